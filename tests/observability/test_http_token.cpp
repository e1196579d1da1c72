// The state-changing endpoint POST /api/jobs/NAME/trigger: off (404) without
// a token; with one (SLUICE_HTTP_TOKEN or http.token) it needs
// "Authorization: Bearer TOKEN": 401 without, 403 with a wrong token, 404 for
// an unknown job, 202 and a real orchestrated run with the right one.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "obs_test_util.h"
#include "observability/http_server.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

const std::string kPipeline = std::string(SLUICE_SOURCE_DIR) + "/examples/clickstream.yaml";
const std::string kToken = "s3cret-token-0123456789";

TEST(HttpToken, ConstantTimeCompare) {
  EXPECT_TRUE(obs::token_matches(kToken, kToken));
  EXPECT_FALSE(obs::token_matches("s3cret-token-012345678X", kToken));  // last byte
  EXPECT_FALSE(obs::token_matches("X3cret-token-0123456789", kToken));  // first byte
  EXPECT_FALSE(obs::token_matches("s3cret-token", kToken));             // a prefix
  EXPECT_FALSE(obs::token_matches(kToken + "0", kToken));               // longer
  EXPECT_FALSE(obs::token_matches("", kToken));
  EXPECT_FALSE(obs::token_matches("", ""));  // no token configured: nothing matches
}

TEST(HttpToken, ConfigThenEnvironment) {
  unsetenv("SLUICE_HTTP_TOKEN");
  EXPECT_EQ(obs::resolve_http_token(""), "");
  setenv("SLUICE_HTTP_TOKEN", "from-the-environment", 1);
  EXPECT_EQ(obs::resolve_http_token(""), "from-the-environment");
  EXPECT_EQ(obs::resolve_http_token("from-the-config-file"), "from-the-config-file");
  unsetenv("SLUICE_HTTP_TOKEN");
}

TEST(HttpToken, ShortTokenInConfigIsAnErrorWithFileAndLine) {
  TempDir dir;
  const std::string pipeline = dir.path() + "/p.yaml";
  std::filesystem::copy_file(kPipeline, pipeline);
  {
    std::ofstream f(pipeline, std::ios::app);
    f << "http:\n  listen: 127.0.0.1:0\n  token: short\n";
  }
  std::string out;
  EXPECT_EQ(run_sluice({"validate", pipeline}, &out), 3) << out;
  EXPECT_TRUE(std::regex_search(
      out, std::regex(R"(p\.yaml:\d+: http\.token: a token has at least 16 characters)")))
      << out;
}

class TriggerEndpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    pipeline_ = dir_.path() + "/clickstream.yaml";
    std::filesystem::copy_file(kPipeline, pipeline_);
    std::filesystem::create_directories(dir_.path() + "/data");
    std::string out;
    ASSERT_EQ(
        run_sluice({"generate", "sales-csv", "--output", dir_.path() + "/data/sales.csv"}, &out), 0)
        << out;
    ASSERT_EQ(run_sluice({"generate", "product-master", "--output",
                          dir_.path() + "/data/product_master.csv"},
                         &out),
              0)
        << out;
    lake_ = dir_.path() + "/lake";
    const std::string input = dir_.path() + "/in.ndjson";
    ASSERT_EQ(run_sluice({"generate", "clickstream", "--count", "200", "--output", input}, &out), 0)
        << out;
    ASSERT_EQ(run_sluice({"run", pipeline_, "--input", input, "--lake", lake_, "--quiet"}, &out), 0)
        << out;
  }
  // Starts `sluice orchestrate --http` (SLUICE_HTTP_TOKEN = `token` unless empty).
  void start(const std::string& token) {
    if (token.empty()) {
      unsetenv("SLUICE_HTTP_TOKEN");
    } else {
      setenv("SLUICE_HTTP_TOKEN", token.c_str(), 1);
    }
    log_ = dir_.path() + "/orch-" + std::to_string(++starts_) + ".log";
    child_ =
        std::make_unique<Child>(std::vector<std::string>{"orchestrate", pipeline_, "--lake", lake_,
                                                         "--http", "127.0.0.1:0", "--quiet"},
                                log_);
    unsetenv("SLUICE_HTTP_TOKEN");
    port_ = printed_port(log_);
    ASSERT_GT(port_, 0) << slurp_file(log_);
  }
  httplib::Result post(const std::string& path, const std::string& auth) {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    httplib::Headers h;
    if (!auth.empty()) h.emplace("Authorization", auth);
    return c.Post(path, h, "", "application/json");
  }
  // Runs of page_metrics reported in /metrics (all statuses).
  int64_t page_metrics_runs() {
    httplib::Client c("127.0.0.1", port_);
    auto r = c.Get("/metrics");
    if (!r) return -1;
    int64_t n = 0;
    static const std::regex re(
        R"(sluice_batch_job_runs_total\{pipeline="clickstream",job="page_metrics",status="\w+"\} (\d+))");
    for (std::sregex_iterator it(r->body.begin(), r->body.end(), re), end; it != end; ++it)
      n += std::stoll((*it)[1]);
    return n;
  }
  void TearDown() override {
    if (child_) {
      child_->signal(SIGTERM);
      EXPECT_EQ(child_->wait(), 0) << slurp_file(log_);
    }
  }
  TempDir dir_;
  std::string pipeline_, lake_, log_;
  std::unique_ptr<Child> child_;
  int port_ = 0;
  int starts_ = 0;
};

TEST_F(TriggerEndpoint, OffWithoutAToken) {
  start("");
  auto r = post("/api/jobs/page_metrics/trigger", "Bearer " + kToken);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
  EXPECT_NE(r->body.find("state-changing endpoints are off"), std::string::npos) << r->body;
  // Read-only endpoints still serve.
  httplib::Client c("127.0.0.1", port_);
  auto live = c.Get("/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
}

TEST_F(TriggerEndpoint, NeedsTheRightBearerToken) {
  start(kToken);
  // The arrival run of the lake's commits comes first.
  ASSERT_TRUE(wait_for([&] { return page_metrics_runs() >= 1; })) << slurp_file(log_);
  const int64_t before = page_metrics_runs();

  auto r = post("/api/jobs/page_metrics/trigger", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"sluice\"");
  r = post("/api/jobs/page_metrics/trigger", "Basic " + kToken);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  r = post("/api/jobs/page_metrics/trigger", "Bearer wrong-token-0123456789");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  // An unknown job is only revealed after authentication.
  r = post("/api/jobs/nope/trigger", "Bearer wrong");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  r = post("/api/jobs/nope/trigger", "Bearer " + kToken);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
  EXPECT_NE(r->body.find("no batch job 'nope'"), std::string::npos) << r->body;
  // None of the refused requests ran anything.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(page_metrics_runs(), before);

  r = post("/api/jobs/page_metrics/trigger", "Bearer " + kToken);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202) << r->body;
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["job"], "page_metrics");
  EXPECT_EQ(j["status"], "queued");
  // The orchestrator ran it: a manual run in the store and in the metrics.
  ASSERT_TRUE(wait_for([&] { return page_metrics_runs() > before; })) << slurp_file(log_);
  std::string runs;
  ASSERT_EQ(run_sluice({"runs", "--lake", lake_, "--job", "page_metrics"}, &runs), 0) << runs;
  EXPECT_NE(runs.find("manual"), std::string::npos) << runs;
}

}  // namespace
}  // namespace sluice::testing
