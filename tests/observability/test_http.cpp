// The observability server over real HTTP: `sluice run --http` on a free
// loopback port, scraped by this test (/metrics, /health/*, /api/*, the
// dashboard) and by a real Prometheus server started here with a generated
// scrape config, whose query API must report sluice_events_read_total.
// Waits are "until the condition holds" with a generous cap, never timed
// assertions.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "observability/metric_names.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

const std::string kPipeline = std::string(SLUICE_SOURCE_DIR) + "/examples/clickstream.yaml";

bool wait_until(const std::function<bool()>& ok, int max_seconds = 120) {
  for (int i = 0; i < max_seconds * 10; ++i) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ok();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run_shell_impl(const std::string& cmd, std::string* out);
int run_shell(const std::string& cmd, std::string* out) {
  return run_shell_impl(cmd, out);
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  close(fd);
  return port;
}

// Writes `good` valid clickstream events and `bad` invalid ones.
std::string write_input(const std::string& dir, int good, int bad) {
  std::string path = dir + "/in.ndjson";
  std::ofstream f(path);
  for (int i = 0; i < good; ++i) {
    f << R"({"session_id":"s)" << i % 17 << R"(","page_url":"https://shop.example.com/p/)" << i % 5
      << R"(","timestamp":"2025-01-02T10:0)" << i % 10 << R"(:00Z","TTI":)" << 100 + i << "}\n";
  }
  for (int i = 0; i < bad; ++i) {
    f << R"({"session_id":"x","page_url":"https://a/b","timestamp":"2025-01-01T00:00:00Z","TTI":"fast"})"
      << "\n";
  }
  return path;
}

// The port `sluice` printed ("[sluice] http: serving http://127.0.0.1:PORT/").
int served_port(const std::string& log) {
  int port = 0;
  wait_until([&] {
    std::smatch m;
    std::string text = slurp(log);
    static const std::regex re(R"(http: serving http://127\.0\.0\.1:(\d+)/)");
    if (!std::regex_search(text, m, re)) return false;
    port = std::stoi(m[1]);
    return true;
  });
  return port;
}

// sluice_events_read_total's value in an exposition text, -1 if absent.
int64_t events_read(const std::string& text) {
  std::smatch m;
  static const std::regex re(R"(\nsluice_events_read_total\{pipeline="clickstream"\} (\d+)\n)");
  if (!std::regex_search(text, m, re)) return -1;
  return std::stoll(m[1]);
}

class HttpRun : public ::testing::Test {
 protected:
  void start(int good, int bad, const std::string& http = "127.0.0.1:0") {
    input_ = write_input(dir_.path(), good, bad);
    log_ = dir_.path() + "/sluice.log";
    // follow: the run keeps going after the input, until SIGTERM.
    child_ = std::make_unique<Child>(
        std::vector<std::string>{"run", kPipeline, "--input", input_, "--lake",
                                 dir_.path() + "/lake", "--set", "source.file.follow=true", "--set",
                                 "sink.lake.commit_interval_ms=1000", "--http", http, "--quiet"},
        log_);
    port_ = served_port(log_);
    ASSERT_GT(port_, 0) << slurp(log_);
  }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  TempDir dir_;
  std::string input_, log_;
  std::unique_ptr<Child> child_;
  int port_ = 0;
};

TEST_F(HttpRun, MetricsHealthStatusAndDlqOverHttp) {
  start(500, 7);
  auto c = client();
  auto live = c.Get("/health/live");
  ASSERT_TRUE(live) << slurp(log_);
  EXPECT_EQ(live->status, 200);

  std::string metrics;
  ASSERT_TRUE(wait_until([&] {
    auto r = c.Get("/metrics");
    if (!r || r->status != 200) return false;
    metrics = r->body;
    return events_read(metrics) == 507;
  })) << metrics
      << slurp(log_);
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("# TYPE sluice_events_read_total counter\n"), std::string::npos);
  EXPECT_NE(
      r->body.find("sluice_events_rejected_total{pipeline=\"clickstream\",rule=\"type\"} 7\n"),
      std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("sluice_dlq_records_total{pipeline=\"clickstream\"} 7\n"),
            std::string::npos);
  EXPECT_NE(r->body.find("process_resident_memory_bytes{pipeline=\"clickstream\"} "),
            std::string::npos);
  if (access("/usr/bin/promtool", X_OK) == 0) {
    // Prometheus' own linter of the exposition format.
    std::string scrape = dir_.path() + "/scrape.txt";
    std::ofstream(scrape) << r->body;
    std::string lint;
    EXPECT_EQ(run_shell("/usr/bin/promtool check metrics < " + scrape, &lint), 0) << lint;
  }

  // Ready once the accepted rows are committed.
  nlohmann::json status;
  ASSERT_TRUE(wait_until([&] {
    auto s = c.Get("/api/status");
    if (!s || s->status != 200) return false;
    status = nlohmann::json::parse(s->body);
    return status["counters"]["rows_written"] == 500 && status["ready"] == true;
  })) << status.dump();
  EXPECT_EQ(status["counters"]["events_read"], 507);
  EXPECT_EQ(status["counters"]["events_rejected"], 7);
  EXPECT_GE(status["counters"]["commits"], 1);
  EXPECT_GE(status["recent_commits"].size(), 1u);
  auto ready = c.Get("/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(nlohmann::json::parse(ready->body)["ready"], true);

  auto dlq = c.Get("/api/dlq?limit=3");
  ASSERT_TRUE(dlq);
  auto samples = nlohmann::json::parse(dlq->body);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0]["rule"], "type");
  EXPECT_EQ(samples[0]["field"], "TTI");
  EXPECT_NE(samples[0]["position"].get<std::string>().find("@"), std::string::npos);
  auto bad = c.Get("/api/dlq?limit=abc");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);

  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("/api/status"), std::string::npos);

  // A second server on the same port fails at start-up with a clear error.
  std::string out;
  int rc = run_sluice({"run", kPipeline, "--input", input_, "--lake", dir_.path() + "/lake2",
                       "--http", "127.0.0.1:" + std::to_string(port_), "--quiet"},
                      &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("cannot listen on 127.0.0.1:" + std::to_string(port_)), std::string::npos)
      << out;
  // A malformed address is a usage/config error (exit 3).
  rc = run_sluice({"run", kPipeline, "--input", input_, "--http", "127.0.0.1:http"}, &out);
  EXPECT_EQ(rc, 3) << out;

  // After SIGTERM the run drains and exits cleanly.
  child_->signal(SIGTERM);
  EXPECT_EQ(child_->wait(), 0) << slurp(log_);
}

TEST_F(HttpRun, NotReadyWhileKafkaHasNoPartitions) {
  // A Kafka source pointing at a closed port never gets partitions assigned.
  log_ = dir_.path() + "/k.log";
  int dead = free_port();
  child_ = std::make_unique<Child>(
      std::vector<std::string>{"run", kPipeline, "--brokers", "127.0.0.1:" + std::to_string(dead),
                               "--topic", "t", "--group", "g", "--lake", dir_.path() + "/lake",
                               "--http", "127.0.0.1:0", "--quiet"},
      log_);
  port_ = served_port(log_);
  ASSERT_GT(port_, 0) << slurp(log_);
  auto c = client();
  int status = 0;
  std::string body;
  ASSERT_TRUE(wait_until([&] {
    auto r = c.Get("/health/ready");
    if (!r) return false;
    status = r->status;
    body = r->body;
    // "starting" until the stream has opened its source.
    return body.find("starting") == std::string::npos;
  })) << body;
  EXPECT_EQ(status, 503);
  auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j["ready"], false);
  EXPECT_EQ(j["reason"], "no Kafka partitions assigned yet");
  auto m = c.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("sluice_ready{pipeline=\"clickstream\"} 0\n"), std::string::npos);
}

// The dashboard in a real browser: headless Chromium loads `/`, whose script
// fetches /api/status; the dumped DOM must show the live event count.
TEST_F(HttpRun, DashboardShowsLiveNumbersInHeadlessChromium) {
  const std::string chromium = "/usr/bin/chromium";
  if (access(chromium.c_str(), X_OK) != 0) GTEST_SKIP() << "chromium is not installed";
  start(250, 5);
  auto c = client();
  ASSERT_TRUE(wait_until([&] {
    auto r = c.Get("/metrics");
    return r && events_read(r->body) == 255;
  }));
  const std::string profile = dir_.path() + "/chromium-profile";
  const std::string cmd =
      "timeout 120 " + chromium +
      " --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run"
      " --disable-component-update --disable-sync --disable-dev-shm-usage"
      " --virtual-time-budget=5000 --user-data-dir=" +
      profile + " --dump-dom http://127.0.0.1:" + std::to_string(port_) + "/";
  std::string dom;
  int rc = run_shell(cmd + " 2>/dev/null", &dom);
  ASSERT_EQ(rc, 0) << dom;
  EXPECT_NE(dom.find("data-loaded=\"1\""), std::string::npos) << dom;
  EXPECT_NE(dom.find("id=\"events-read\">255<"), std::string::npos) << dom;
  EXPECT_NE(dom.find("id=\"events-rejected\">5<"), std::string::npos) << dom;
  EXPECT_NE(dom.find("id=\"pipeline\">clickstream"), std::string::npos) << dom;
  // DLQ samples appear in their table.
  EXPECT_NE(dom.find("TTI: type:"), std::string::npos) << dom;
  // With uPlot installed (scripts/setup.sh) it is embedded, served and draws.
  if (std::filesystem::exists(std::string(SLUICE_SOURCE_DIR) +
                              "/web/node_modules/uplot/dist/uPlot.iife.min.js")) {
    auto js = c.Get("/assets/uplot.js");
    ASSERT_TRUE(js);
    EXPECT_EQ(js->status, 200);
    EXPECT_NE(js->body.find("uPlot"), std::string::npos);
    EXPECT_NE(dom.find("class=\"uplot"), std::string::npos) << dom;
  }
}

// `sluice orchestrate --http`: the batch job runs appear in /metrics and
// /api/status once the orchestrator has run them over a lake `sluice run` filled.
TEST(HttpOrchestrate, JobRunsInMetricsAndStatus) {
  TempDir dir;
  const std::string pipeline = dir.path() + "/clickstream.yaml";
  std::filesystem::copy_file(kPipeline, pipeline);
  std::filesystem::create_directories(dir.path() + "/data");
  std::string out;
  ASSERT_EQ(run_sluice({"generate", "sales-csv", "--output", dir.path() + "/data/sales.csv"}, &out),
            0)
      << out;
  ASSERT_EQ(run_sluice(
                {"generate", "product-master", "--output", dir.path() + "/data/product_master.csv"},
                &out),
            0)
      << out;
  const std::string lake = dir.path() + "/lake";
  ASSERT_EQ(run_sluice({"run", pipeline, "--input", write_input(dir.path(), 100, 0), "--lake", lake,
                        "--quiet"},
                       &out),
            0)
      << out;
  const std::string log = dir.path() + "/orch.log";
  Child orch({"orchestrate", pipeline, "--lake", lake, "--http", "127.0.0.1:0", "--quiet"}, log);
  int port = served_port(log);
  ASSERT_GT(port, 0) << slurp(log);
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  std::string metrics;
  EXPECT_TRUE(wait_until([&] {
    auto r = c.Get("/metrics");
    if (!r) return false;
    metrics = r->body;
    return metrics.find(
               "sluice_batch_job_runs_total{pipeline=\"clickstream\",job=\"page_metrics\","
               "status=\"succeeded\"} 1\n") != std::string::npos;
  })) << metrics
      << slurp(log);
  EXPECT_NE(metrics.find("sluice_batch_job_duration_seconds_count{pipeline=\"clickstream\"} "),
            std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      metrics, m,
      std::regex(
          R"(sluice_orchestrator_last_success_timestamp_seconds\{pipeline="clickstream",job="page_metrics"\} (\S+)\n)")))
      << metrics;
  EXPECT_GT(std::stod(m[1]), 1.7e9);  // a Unix time, not 0
  auto s = c.Get("/api/status");
  ASSERT_TRUE(s);
  auto j = nlohmann::json::parse(s->body);
  ASSERT_GE(j["recent_job_runs"].size(), 1u);
  auto ready = c.Get("/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  orch.signal(SIGTERM);
  EXPECT_EQ(orch.wait(), 0) << slurp(log);
}

// Kafka: a dev broker with two partitions; the per-partition consumer lag is
// exported with topic and partition labels and reaches 0 once all is read.
TEST(HttpKafka, ConsumerLagPerPartitionAndReady) {
  TempDir dir;
  const std::string broker_log = dir.path() + "/broker.log";
  Child broker({"dev-broker", "--topic", "obs", "--partitions", "2"}, broker_log);
  std::string boot;
  ASSERT_TRUE(wait_until([&] {
    std::smatch m;
    std::string text = slurp(broker_log);
    if (!std::regex_search(text, m, std::regex(R"(dev broker listening on (\S+);)"))) return false;
    boot = m[1];
    return true;
  })) << slurp(broker_log);
  std::string out;
  ASSERT_EQ(run_sluice({"generate", "clickstream", "--count", "400", "--output",
                        "kafka://" + boot + "/obs"},
                       &out),
            0)
      << out;
  const std::string log = dir.path() + "/run.log";
  Child run({"run", kPipeline, "--brokers", boot, "--topic", "obs", "--group", "g", "--lake",
             dir.path() + "/lake", "--http", "127.0.0.1:0", "--quiet"},
            log);
  int port = served_port(log);
  ASSERT_GT(port, 0) << slurp(log);
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  std::string metrics;
  EXPECT_TRUE(wait_until([&] {
    auto r = c.Get("/metrics");
    if (!r) return false;
    metrics = r->body;
    return events_read(metrics) == 400 &&
           metrics.find(
               "sluice_kafka_consumer_lag{pipeline=\"clickstream\",topic=\"obs\","
               "partition=\"0\"} 0\n") != std::string::npos &&
           metrics.find(
               "sluice_kafka_consumer_lag{pipeline=\"clickstream\",topic=\"obs\","
               "partition=\"1\"} 0\n") != std::string::npos;
  })) << metrics
      << slurp(log);
  nlohmann::json status;
  EXPECT_TRUE(wait_until([&] {
    auto r = c.Get("/api/status");
    if (!r) return false;
    status = nlohmann::json::parse(r->body);
    return status["ready"] == true && status["kafka_lag"].size() == 2u;
  })) << status.dump();
  run.signal(SIGTERM);
  EXPECT_EQ(run.wait(), 0) << slurp(log);
}

TEST(HttpConfig, ListenFromPipelineYamlAndErrorsWithFileAndLine) {
  TempDir dir;
  std::string text = slurp(kPipeline);
  std::string bad = dir.path() + "/bad.yaml";
  {
    std::ofstream f(bad);
    f << text << "\nhttp:\n  listen: 'nowhere:port'\n";
  }
  std::string out;
  EXPECT_EQ(run_sluice({"validate", bad}, &out), 3);
  EXPECT_NE(out.find("bad.yaml:"), std::string::npos) << out;
  EXPECT_NE(out.find("http.listen"), std::string::npos) << out;
  std::string unknown = dir.path() + "/unknown.yaml";
  {
    std::ofstream f(unknown);
    f << text << "\nhttp:\n  port: 1\n";
  }
  EXPECT_EQ(run_sluice({"validate", unknown}, &out), 3);
  EXPECT_NE(out.find("http.port"), std::string::npos) << out;

  // http.listen starts the server without --http.
  std::string good = dir.path() + "/good.yaml";
  {
    std::ofstream f(good);
    f << text << "\nhttp:\n  listen: '127.0.0.1:0'\n";
  }
  std::string input = write_input(dir.path(), 10, 0);
  EXPECT_EQ(run_sluice({"run", good, "--input", input, "--lake", dir.path() + "/lake"}, &out), 0)
      << out;
  EXPECT_NE(out.find("http: serving http://127.0.0.1:"), std::string::npos) << out;
  // --http off wins over the file.
  EXPECT_EQ(
      run_sluice({"run", good, "--input", input, "--lake", dir.path() + "/lake", "--http", "off"},
                 &out),
      0);
  EXPECT_EQ(out.find("http: serving"), std::string::npos) << out;
}

// A real Prometheus server scrapes the running sluice; its query API must
// return sluice_events_read_total with the number of input events.
TEST_F(HttpRun, RealPrometheusScrapesEventsRead) {
  const std::string prom = "/usr/bin/prometheus";
  if (access(prom.c_str(), X_OK) != 0) GTEST_SKIP() << "prometheus is not installed";
  start(300, 4);
  const int prom_port = free_port();
  const std::string cfg = dir_.path() + "/prometheus.yml";
  {
    std::ofstream f(cfg);
    f << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
      << "scrape_configs:\n  - job_name: sluice\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << port_ << "']\n";
  }
  const std::string prom_log = dir_.path() + "/prometheus.log";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    FILE* f = std::fopen(prom_log.c_str(), "a");
    if (f) {
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
    }
    std::string a1 = "--config.file=" + cfg;
    std::string a2 = "--storage.tsdb.path=" + dir_.path() + "/tsdb";
    std::string a3 = "--web.listen-address=127.0.0.1:" + std::to_string(prom_port);
    execl(prom.c_str(), prom.c_str(), a1.c_str(), a2.c_str(), a3.c_str(), nullptr);
    _exit(127);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      kill(pid, SIGTERM);
      int st;
      waitpid(pid, &st, 0);
    }
  } reap{pid};
  httplib::Client pc("127.0.0.1", prom_port);
  pc.set_read_timeout(10, 0);
  std::string body;
  bool found = wait_until(
      [&] {
        auto r = pc.Get("/api/v1/query?query=sluice_events_read_total");
        if (!r || r->status != 200) return false;
        body = r->body;
        auto j = nlohmann::json::parse(r->body, nullptr, false);
        if (j.is_discarded() || j["status"] != "success") return false;
        for (const auto& s : j["data"]["result"]) {
          if (s["metric"]["pipeline"] == "clickstream" && s["metric"]["job"] == "sluice" &&
              s["value"][1] == "304")
            return true;
        }
        return false;
      },
      180);
  EXPECT_TRUE(found) << body << "\n" << slurp(prom_log);
  // The scrape target is healthy in Prometheus' own view.
  auto t = pc.Get("/api/v1/targets");
  ASSERT_TRUE(t);
  auto tj = nlohmann::json::parse(t->body);
  ASSERT_EQ(tj["data"]["activeTargets"].size(), 1u);
  EXPECT_EQ(tj["data"]["activeTargets"][0]["health"], "up") << t->body;
}

int run_shell_impl(const std::string& cmd, std::string* out) {
  std::string full = cmd.find("2>") == std::string::npos ? cmd + " 2>&1" : cmd;
  FILE* p = popen(full.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  out->clear();
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// deploy/: the alert rules and scrape config pass promtool, and every metric
// the Grafana dashboard and the rules query is one sluice exports.
TEST(Deploy, PromtoolAcceptsRulesAndConfigAndQueriesUseKnownMetrics) {
  const std::string deploy = std::string(SLUICE_SOURCE_DIR) + "/deploy";
  std::set<std::string> known = {"up"};
  for (const auto& d : obs::kAllMetrics) {
    known.insert(d.name);
    if (d.type == obs::MetricType::kHistogram) {
      known.insert(std::string(d.name) + "_bucket");
      known.insert(std::string(d.name) + "_sum");
      known.insert(std::string(d.name) + "_count");
    }
  }
  const std::regex name(R"(\b((sluice|process)_[a-z_]+)\b)");
  auto check_names = [&](const std::string& text, const std::string& what) {
    int found = 0;
    for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) {
      ++found;
      EXPECT_TRUE(known.count((*it)[1])) << what << " uses unknown metric " << (*it)[1];
    }
    EXPECT_GT(found, 5) << what;
  };
  auto dash = nlohmann::json::parse(slurp(deploy + "/grafana/sluice-dashboard.json"));
  std::string exprs;
  for (const auto& p : dash["panels"]) {
    for (const auto& t : p["targets"]) exprs += t["expr"].get<std::string>() + "\n";
  }
  check_names(exprs, "sluice-dashboard.json");
  std::string rules = slurp(deploy + "/grafana/alerts.yml");
  std::string exprs_only;
  const std::regex expr_line(R"(expr: (.*))");
  for (std::sregex_iterator it(rules.begin(), rules.end(), expr_line), end; it != end; ++it)
    exprs_only += (*it)[1].str() + "\n";
  check_names(exprs_only, "alerts.yml");

  if (access("/usr/bin/promtool", X_OK) != 0) GTEST_SKIP() << "promtool is not installed";
  std::string out;
  EXPECT_EQ(run_shell("/usr/bin/promtool check rules " + deploy + "/grafana/alerts.yml", &out), 0)
      << out;
  EXPECT_EQ(run_shell("/usr/bin/promtool check config " + deploy + "/prometheus.yml", &out), 0)
      << out;
}

}  // namespace
}  // namespace sluice::testing
