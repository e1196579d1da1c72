#include "observability/http_server.h"

#include <httplib.h>
#include <sys/socket.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "config/pipeline.h"
#include "core/error.h"
#include "observability/dashboard_html.h"
#include "observability/uplot_css.h"
#include "observability/uplot_js.h"

namespace sluice::obs {

bool token_matches(std::string_view presented, std::string_view expected) {
  if (expected.empty()) return false;
  // Walk the presented bytes; every one is compared with some expected byte,
  // and differences accumulate without an early exit.
  unsigned diff = presented.size() == expected.size() ? 0u : 1u;
  for (size_t i = 0; i < presented.size(); ++i) {
    diff |= static_cast<unsigned char>(presented[i]) ^
            static_cast<unsigned char>(expected[i % expected.size()]);
  }
  return diff == 0;
}

std::string resolve_http_token(const std::string& configured) {
  if (!configured.empty()) return configured;
  const char* env = std::getenv("SLUICE_HTTP_TOKEN");
  return env ? env : "";
}

namespace {
int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

HttpServer::HttpServer(Telemetry& telemetry, const std::string& listen)
    : telemetry_(telemetry), server_(std::make_unique<httplib::Server>()) {
  if (!split_listen_address(listen, host_, port_))
    throw std::invalid_argument("expected HOST:PORT, :PORT, PORT or off, got '" + listen + "'");
  // Not cpp-httplib's default SO_REUSEPORT: a second server on the same port
  // must fail, not share it.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  Telemetry& t = telemetry_;
  server_->Get("/metrics", [&t](const httplib::Request&, httplib::Response& res) {
    res.set_content(t.metrics_text(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/health/live", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"live\":true}", "application/json");
  });
  server_->Get("/health/ready", [&t](const httplib::Request&, httplib::Response& res) {
    Readiness r = t.readiness(wall_ms());
    nlohmann::json j = {{"ready", r.ready}};
    if (!r.ready) j["reason"] = r.reason;
    res.status = r.ready ? 200 : 503;
    res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/json");
  });
  server_->Get("/api/status", [&t](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(t.status_json(wall_ms()), "application/json");
  });
  server_->Get("/api/dlq", [&t](const httplib::Request& req, httplib::Response& res) {
    size_t limit = 20;
    if (req.has_param("limit")) {
      const std::string v = req.get_param_value("limit");
      if (v.empty() || v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos) {
        res.status = 400;
        res.set_content("{\"error\":\"limit must be an integer 0..9999\"}", "application/json");
        return;
      }
      limit = std::stoul(v);
    }
    res.set_content(t.dlq_json(limit), "application/json");
  });
  server_->Post(R"(/api/jobs/([^/]+)/trigger)", [this](const httplib::Request& req,
                                                       httplib::Response& res) {
    HttpActions actions;
    {
      std::lock_guard lock(actions_mu_);
      actions = actions_;
    }
    auto reply = [&res](int status, const nlohmann::json& body) {
      res.status = status;
      res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      "application/json");
    };
    if (actions.token.empty()) {
      reply(404,
            {{"error", "state-changing endpoints are off: set http.token or SLUICE_HTTP_TOKEN"}});
      return;
    }
    const std::string auth = req.get_header_value("Authorization");
    const std::string_view bearer = "Bearer ";
    if (auth.size() <= bearer.size() || auth.compare(0, bearer.size(), bearer) != 0) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"sluice\"");
      reply(401, {{"error", "this endpoint needs 'Authorization: Bearer TOKEN'"}});
      return;
    }
    if (!token_matches(std::string_view(auth).substr(bearer.size()), actions.token)) {
      reply(403, {{"error", "wrong token"}});
      return;
    }
    if (!actions.trigger_job) {
      reply(404, {{"error", "no orchestrator runs in this process"}});
      return;
    }
    const std::string job = req.matches[1];
    if (!actions.trigger_job(job)) {
      reply(404, {{"error", "no batch job '" + job + "'"}});
      return;
    }
    reply(202, {{"job", job}, {"status", "queued"}});
  });
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(kDashboardHtml, kDashboardHtml_size), "text/html; charset=utf-8");
  });
  // uPlot (npm, pinned in web/package-lock.json); 404 when built without it.
  server_->Get("/assets/uplot.js", [](const httplib::Request&, httplib::Response& res) {
    if (kUplotJs_size == 0) {
      res.status = 404;
      return;
    }
    res.set_content(std::string(kUplotJs, kUplotJs_size), "application/javascript");
  });
  server_->Get("/assets/uplot.css", [](const httplib::Request&, httplib::Response& res) {
    if (kUplotCss_size == 0) {
      res.status = 404;
      return;
    }
    res.set_content(std::string(kUplotCss, kUplotCss_size), "text/css");
  });
  if (port_ == 0) {
    port_ = server_->bind_to_any_port(host_);
    if (port_ <= 0) throw RuntimeError("http: cannot listen on " + host_ + " (any port)");
  } else if (!server_->bind_to_port(host_, port_)) {
    throw RuntimeError("http: cannot listen on " + host_ + ":" + std::to_string(port_) +
                       " (address in use or not available; use --http HOST:PORT or --http off)");
  }
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
  // cpp-httplib's stop() does nothing until the accept loop runs (and that
  // loop would then never end): wait for it here, so stop() always works.
  while (!server_->is_running() && !listen_returned_.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void HttpServer::set_actions(HttpActions actions) {
  std::lock_guard lock(actions_mu_);
  actions_ = std::move(actions);
}

std::string HttpServer::url() const {
  bool v6 = host_.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) + "/";
}

std::unique_ptr<HttpServer> start_http(Telemetry& telemetry, const std::string& flag,
                                       const std::string& config, const std::string& fallback) {
  std::string listen = !flag.empty() ? flag : !config.empty() ? config : fallback;
  if (listen.empty() || listen == "off") return nullptr;
  std::unique_ptr<HttpServer> server;
  try {
    server = std::make_unique<HttpServer>(telemetry, listen);
  } catch (const std::invalid_argument& e) {
    throw ConfigError("--http", 0, "http.listen", e.what());
  }
  std::fprintf(stderr, "[sluice] http: serving %s (metrics at %smetrics)\n", server->url().c_str(),
               server->url().c_str());
  return server;
}

}  // namespace sluice::obs
