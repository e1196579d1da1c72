// The `orchestrator:` section and the per-job orchestration keys (schedule,
// timezone, retries, backoff): defaults, values, and errors with line and key.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "core/error.h"

namespace sluice {
namespace {

const char* kBase = R"(name: p
source: {type: file, file: {path: x.ndjson}}
schema:
  fields:
    - {name: id, type: string}
sink:
  lake: {path: /tmp/lake}
batch:
  - name: daily
    sql: SELECT 1
)";

PipelineConfig load(const std::string& extra) {
  return load_pipeline_from_string(std::string(kBase) + extra, "p.yaml");
}

std::string error_of(const std::string& extra) {
  try {
    load(extra);
  } catch (const ConfigError& e) {
    return std::to_string(e.line()) + " " + e.key() + ": " + e.what();
  }
  return "";
}

TEST(OrchestratorConfig, DefaultsWhenAbsent) {
  PipelineConfig c = load("");
  EXPECT_FALSE(c.orchestrator.declared);
  EXPECT_EQ(c.orchestrator.sla_ms, 15 * 60000);
  EXPECT_EQ(c.orchestrator.retries, 4);
  EXPECT_EQ(c.orchestrator.backoff_ms, 1000);
  EXPECT_EQ(c.orchestrator.timezone, "UTC");
  EXPECT_TRUE(c.batch_jobs[0].schedule.empty());
  EXPECT_FALSE(c.batch_jobs[0].retries.has_value());
}

TEST(OrchestratorConfig, ParsesEveryKey) {
  PipelineConfig c = load(
      "    schedule: \"0 2 * * 1-5\"\n"
      "    timezone: \"+02:00\"\n"
      "    retries: 2\n"
      "    backoff: 30s\n"
      "orchestrator:\n"
      "  store: /var/lib/sluice/orch.db\n"
      "  webhook: https://hooks.example.test/x\n"
      "  sla: 30m\n"
      "  poll_interval: 2s\n"
      "  retries: 6\n"
      "  backoff: 2s\n"
      "  max_backoff: 10m\n"
      "  jitter: 0.5\n"
      "  timezone: \"-05:00\"\n"
      "  warehouse: none\n"
      "  lease: 20m\n");
  const auto& o = c.orchestrator;
  EXPECT_TRUE(o.declared);
  EXPECT_EQ(o.store, "/var/lib/sluice/orch.db");
  EXPECT_EQ(o.webhook_url, "https://hooks.example.test/x");
  EXPECT_EQ(o.sla_ms, 30 * 60000);
  EXPECT_EQ(o.poll_interval_ms, 2000);
  EXPECT_EQ(o.retries, 6);
  EXPECT_EQ(o.backoff_ms, 2000);
  EXPECT_EQ(o.max_backoff_ms, 600000);
  EXPECT_DOUBLE_EQ(o.jitter, 0.5);
  EXPECT_EQ(o.timezone, "-05:00");
  EXPECT_EQ(o.warehouse, "none");
  EXPECT_EQ(o.lease_ms, 20 * 60000);
  const auto& j = c.batch_jobs[0];
  EXPECT_EQ(j.schedule, "0 2 * * 1-5");
  EXPECT_EQ(j.timezone, "+02:00");
  EXPECT_EQ(j.retries, 2);
  EXPECT_EQ(j.backoff_ms, 30000);
}

TEST(OrchestratorConfig, EmptySectionEnablesWithDefaults) {
  PipelineConfig c = load("orchestrator: {}\n");
  EXPECT_TRUE(c.orchestrator.declared);
  EXPECT_EQ(c.orchestrator.sla_ms, 15 * 60000);
}

TEST(OrchestratorConfig, ErrorsNameLineAndKey) {
  EXPECT_NE(error_of("orchestrator: {bogus: 1}\n").find("orchestrator.bogus"), std::string::npos);
  EXPECT_NE(error_of("orchestrator:\n  sla: soon\n").find("12 orchestrator.sla"),
            std::string::npos);
  EXPECT_NE(error_of("orchestrator:\n  webhook: ftp://x\n").find("orchestrator.webhook"),
            std::string::npos);
  EXPECT_NE(error_of("orchestrator:\n  timezone: Europe/Paris\n").find("orchestrator.timezone"),
            std::string::npos);
  EXPECT_NE(error_of("orchestrator:\n  jitter: 2\n").find("orchestrator.jitter"),
            std::string::npos);
  EXPECT_NE(error_of("    schedule: \"0 2 * *\"\n").find("11 batch(daily).schedule"),
            std::string::npos);
  EXPECT_NE(error_of("    schedule: \"0 2 * * mon\"\n").find("batch(daily).schedule"),
            std::string::npos);
  EXPECT_NE(error_of("    retries: -1\n").find("batch(daily).retries"), std::string::npos);
  EXPECT_NE(error_of("    timezone: CET\n").find("batch(daily).timezone"), std::string::npos);
}

}  // namespace
}  // namespace sluice
