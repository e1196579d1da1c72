// The observability HTTP server, on its own threads beside the pipeline:
//   GET /              the dashboard (one HTML page embedded at build time)
//   GET /metrics       Prometheus text format 0.0.4
//   GET /health/live   200 while the process serves requests
//   GET /health/ready  200 {"ready":true} or 503 {"ready":false,"reason":...}
//   GET /api/status    JSON snapshot for the dashboard
//   GET /api/dlq?limit=N  recent DLQ samples with their reasons (newest first)
//   POST /api/jobs/NAME/trigger  queue a manual run of a batch job
// The state-changing endpoint (POST) is off unless a token is set
// (set_actions): then it needs "Authorization: Bearer TOKEN" (compared in
// constant time). Status codes: 404 when off, when no orchestrator runs in
// the process or the job is unknown (the last only after authentication);
// 401 without a bearer token; 403 with a wrong one; 202 once queued.
// Binds at construction, so a port already in use fails at start-up; serves
// until stop() or destruction.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "observability/telemetry.h"

namespace httplib {
class Server;
}

namespace sluice::obs {

// What the state-changing endpoints act on.
struct HttpActions {
  std::string token;  // "": the endpoints are off
  // Queues a manual run of the job; false for an unknown job. Unset: no
  // orchestrator in this process.
  std::function<bool(const std::string& job)> trigger_job;
};

// Equality whose time depends only on the length of `presented`, not on
// where it differs from `expected` (nor on `expected`'s length).
bool token_matches(std::string_view presented, std::string_view expected);

// The token of the state-changing endpoints: `configured` (http.token), else
// the environment's SLUICE_HTTP_TOKEN, else "" (off).
std::string resolve_http_token(const std::string& configured);

class HttpServer {
 public:
  // `listen`: "HOST:PORT", ":PORT" or "PORT" (127.0.0.1); port 0 picks a free
  // port. Throws std::invalid_argument for a malformed address and RuntimeError when the address
  // cannot be bound.
  HttpServer(Telemetry& telemetry, const std::string& listen);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  const std::string& host() const { return host_; }
  std::string url() const;
  void stop();
  // Any thread; replaces the previous actions.
  void set_actions(HttpActions actions);

 private:
  Telemetry& telemetry_;
  std::mutex actions_mu_;
  HttpActions actions_;  // guarded by actions_mu_
  std::unique_ptr<httplib::Server> server_;
  std::string host_;
  int port_ = 0;
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};

// What the CLI does with --http / http.listen: "off" -> nullptr, else a
// started server (and a line on stderr naming its URL). `fallback` is used
// when both are empty ("off" or an address).
std::unique_ptr<HttpServer> start_http(Telemetry& telemetry, const std::string& flag,
                                       const std::string& config, const std::string& fallback);

}  // namespace sluice::obs
