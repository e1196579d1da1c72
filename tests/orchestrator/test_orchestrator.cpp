// The orchestrator with a fake clock and an injected job function: retries
// with growing backoff, fatal vs retriable failures, checkpoints that only a
// succeeded run advances, upstream failures, alerts to a loopback webhook
// (one per incident, one on recovery), SLA alerts and cron schedules.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "batch/quality.h"
#include "core/error.h"
#include "orch_test_util.h"
#include "orchestrator/orchestrator.h"
#include "sinks/lake/commit_log.h"
#include "storage/fs_util.h"

namespace sluice {
namespace {

using orchtest::TempDir;

constexpr int64_t kStart = 1735725600000;  // 2025-01-01T10:00:00Z

// Counts calls per job; fails the first `failures[job]` calls with `error`.
struct FakeJobs {
  std::map<std::string, int> calls;
  std::map<std::string, int> failures;
  std::function<void()> error = [] { throw RuntimeError("disk full"); };
  std::vector<std::optional<std::vector<Day>>> days_seen;

  BatchJobFn fn() {
    return [this](const PipelineConfig&, const std::string& job, const BatchRunOptions& o) {
      EXPECT_FALSE(o.with_dependencies);
      days_seen.push_back(o.days);
      if (calls[job]++ < failures[job]) error();
      BatchJobReport r;
      r.job = job;
      r.days = {*Day::parse("2025-01-01")};
      return std::vector<BatchJobReport>{r};
    };
  }
};

class OrchestratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lake_ = tmp_.path() + "/lake";
    lakefs::make_dirs(lake_);
    store_ = open_sqlite_store(tmp_.path() + "/orch.db");
  }

  PipelineConfig pipeline(const std::string& job_keys = "", const std::string& orch = "") {
    return load_pipeline_from_string(orchtest::pipeline_yaml(lake_, job_keys, orch), "p.yaml");
  }

  // A fake input table: a commit-log directory with `n` entries without files.
  void commits(int n, const std::string& table = "events") {
    std::string dir = lake_ + "/" + table + "/_sluice_log";
    lakefs::make_dirs(dir);
    for (int i = 1; i <= n; ++i) orchtest::write_commit(dir, i);
  }

  Orchestrator make(const PipelineConfig& p, AlertSink* alerts = nullptr) {
    OrchestratorOptions o;
    o.lake_dir = lake_;
    o.owner = "test";
    o.run_job = jobs_.fn();
    o.seed = 7;
    return Orchestrator(p, o, *store_, clock_, alerts);
  }

  TempDir tmp_;
  std::string lake_;
  std::unique_ptr<CheckpointStore> store_;
  ManualClock clock_{kStart};
  FakeJobs jobs_;
};

TEST(RetryPolicy, ClassifiesQualityAndConfigAsFatal) {
  auto kind_of = [](auto thrower) {
    try {
      thrower();
    } catch (...) {
      return classify_failure(std::current_exception());
    }
    return FailureKind::kOther;
  };
  EXPECT_EQ(kind_of([] { throw QualityError("j", {}); }), FailureKind::kQuality);
  EXPECT_EQ(kind_of([] { throw ConfigError("f", 1, "k", "m"); }), FailureKind::kConfig);
  EXPECT_EQ(kind_of([] { throw RuntimeError("io"); }), FailureKind::kRuntime);
  EXPECT_EQ(kind_of([] { throw std::system_error(std::make_error_code(std::errc::io_error)); }),
            FailureKind::kSystem);
  EXPECT_FALSE(is_retriable(FailureKind::kQuality));
  EXPECT_FALSE(is_retriable(FailureKind::kConfig));
  EXPECT_TRUE(is_retriable(FailureKind::kRuntime));
  EXPECT_TRUE(is_retriable(FailureKind::kSystem));
}

TEST(RetryPolicy, BackoffDoublesWithBoundedJitterAndCap) {
  RetryPolicy p;
  p.initial_ms = 1000;
  p.max_ms = 5000;
  p.jitter = 0.2;
  std::mt19937_64 rng(1);
  for (int round = 0; round < 50; ++round) {
    int64_t d1 = backoff_delay_ms(p, 1, rng), d2 = backoff_delay_ms(p, 2, rng),
            d3 = backoff_delay_ms(p, 3, rng), d5 = backoff_delay_ms(p, 5, rng);
    EXPECT_GE(d1, 1000);
    EXPECT_LE(d1, 1200);
    EXPECT_GE(d2, 2000);
    EXPECT_LE(d2, 2400);
    EXPECT_GE(d3, 4000);
    EXPECT_LE(d3, 4800);
    EXPECT_GE(d5, 5000);  // capped, then jittered
    EXPECT_LE(d5, 6000);
  }
  p.jitter = 0;
  EXPECT_EQ(backoff_delay_ms(p, 2, rng), 2000);
}

TEST(Cron, NextFiringTimesInUtcAndFixedOffsets) {
  const int64_t t = kStart;  // Wed 2025-01-01 10:00 UTC
  auto daily2 = CronSchedule::parse("0 2 * * *");
  EXPECT_EQ(*daily2.next_after(t), t + 16 * 3600000LL);  // 2025-01-02 02:00 UTC
  auto local2 = CronSchedule::parse("0 2 * * *", *parse_utc_offset_minutes("+02:00"));
  EXPECT_EQ(*local2.next_after(t), t + 14 * 3600000LL);  // 02:00 +02:00 = 00:00 UTC
  auto every15 = CronSchedule::parse("*/15 * * * *");
  EXPECT_EQ(*every15.next_after(t), t + 15 * 60000LL);
  EXPECT_EQ(*every15.next_after(t + 1), t + 15 * 60000LL);
  auto monday = CronSchedule::parse("30 8 * * 1");  // next Monday is 2025-01-06
  EXPECT_EQ(*monday.next_after(t), t + (5 * 24 - 2) * 3600000LL + 30 * 60000LL);
  auto feb30 = CronSchedule::parse("0 0 30 2 *");
  EXPECT_FALSE(feb30.next_after(t).has_value());
  EXPECT_THROW(CronSchedule::parse("61 * * * *"), std::invalid_argument);
  EXPECT_THROW(CronSchedule::parse("* * *"), std::invalid_argument);
  EXPECT_EQ(parse_utc_offset_minutes("-05:30"), -330);
  EXPECT_FALSE(parse_utc_offset_minutes("Europe/Paris").has_value());
}

TEST_F(OrchestratorTest, FailsTwiceThenSucceedsWithThreeAttemptsAndGrowingDelays) {
  commits(2);
  jobs_.failures["daily"] = 2;
  Orchestrator o = make(pipeline());
  auto outcomes = o.tick();
  ASSERT_GE(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].job, "daily");
  EXPECT_EQ(outcomes[0].status, RunStatus::kSucceeded);
  EXPECT_EQ(outcomes[0].attempts, 3);
  EXPECT_EQ(jobs_.calls["daily"], 3);

  auto runs = store_->list_runs("daily", 10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "succeeded");
  EXPECT_EQ(runs[0].attempts, 3);
  auto attempts = store_->attempts(runs[0].id);
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].status, "failed");
  EXPECT_EQ(attempts[1].status, "failed");
  EXPECT_EQ(attempts[2].status, "succeeded");
  EXPECT_EQ(attempts[0].delay_ms, 0);
  EXPECT_GE(attempts[1].delay_ms, 1000);
  EXPECT_LE(attempts[1].delay_ms, 1200);
  EXPECT_GT(attempts[2].delay_ms, attempts[1].delay_ms);
  EXPECT_GE(attempts[2].delay_ms, 2000);
  // The fake clock slept exactly the delays: no real sleeps.
  int64_t slept = 0;
  for (int64_t s : clock_.sleeps()) slept += s;
  EXPECT_EQ(slept, attempts[1].delay_ms + attempts[2].delay_ms);
  EXPECT_EQ(attempts[2].started_ms - kStart, slept);
  // The checkpoint moved to the input's last seq; nothing is due any more.
  EXPECT_EQ(store_->checkpoint("job:daily:events"), 2);
  EXPECT_TRUE(o.tick().empty());
  EXPECT_EQ(jobs_.calls["daily"], 3);
}

TEST_F(OrchestratorTest, GivesUpAfterMaxAttemptsWithoutAdvancingTheCheckpoint) {
  commits(1);
  commits(1, "daily");  // daily_copy reads it: due too
  jobs_.failures["daily"] = 100;
  Orchestrator o = make(pipeline("    retries: 2\n    backoff: 500ms\n"));
  auto outcomes = o.tick();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].status, RunStatus::kFailed);
  EXPECT_EQ(outcomes[0].attempts, 3);
  EXPECT_EQ(jobs_.calls["daily"], 3);
  auto attempts = store_->attempts(outcomes[0].run_id);
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_GE(attempts[1].delay_ms, 500);
  EXPECT_LE(attempts[1].delay_ms, 600);
  EXPECT_FALSE(store_->checkpoint("job:daily:events").has_value());
  // The downstream job does not run: its upstream failed.
  EXPECT_EQ(outcomes[1].job, "daily_copy");
  EXPECT_EQ(outcomes[1].status, RunStatus::kSkipped);
  EXPECT_EQ(jobs_.calls["daily_copy"], 0);
  // Same input again: no retry storm; new input: a new run that succeeds.
  EXPECT_TRUE(o.tick().empty());
  EXPECT_EQ(jobs_.calls["daily"], 3);
  jobs_.failures["daily"] = 0;
  commits(2);
  outcomes = o.tick();
  ASSERT_GE(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].status, RunStatus::kSucceeded);
  EXPECT_EQ(store_->checkpoint("job:daily:events"), 2);
  // With its upstream recovered, the downstream job runs on the same input.
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[1].status, RunStatus::kSucceeded);
  EXPECT_EQ(jobs_.calls["daily_copy"], 1);
}

TEST_F(OrchestratorTest, QualityFailureIsFatalAndAlertedOnceThenRecovers) {
  orchtest::WebhookReceiver hook;
  auto sink = make_webhook_sink(hook.url());
  commits(1);
  jobs_.failures["daily"] = 1;
  jobs_.error = [] { throw QualityError("daily", {CheckFailure{"row_count", "0 rows"}}); };
  Orchestrator o = make(pipeline(), sink.get());
  auto outcomes = o.tick();
  ASSERT_FALSE(outcomes.empty());
  EXPECT_EQ(outcomes[0].status, RunStatus::kFailed);
  EXPECT_EQ(outcomes[0].attempts, 1);  // fatal: no retry
  EXPECT_TRUE(clock_.sleeps().empty());
  auto bodies = hook.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  auto alert = nlohmann::json::parse(bodies[0]);
  EXPECT_EQ(alert["kind"], "quality_failed");
  EXPECT_EQ(alert["state"], "firing");
  EXPECT_EQ(alert["job"], "daily");
  EXPECT_NE(alert["text"].get<std::string>().find("daily"), std::string::npos);

  // It fails again on new input: still one alert for the open incident.
  jobs_.failures["daily"] = 2;
  commits(2);
  o.tick();
  EXPECT_EQ(hook.bodies().size(), 1u);
  // Recovery.
  commits(3);
  outcomes = o.tick();
  EXPECT_EQ(outcomes[0].status, RunStatus::kSucceeded);
  bodies = hook.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  auto recovered = nlohmann::json::parse(bodies[1]);
  EXPECT_EQ(recovered["state"], "resolved");
  EXPECT_EQ(recovered["incident"], "quality_failed:daily");
}

TEST_F(OrchestratorTest, FailureAfterRetriesIsAlertedOnceAndRecoveryOnce) {
  orchtest::WebhookReceiver hook;
  auto sink = make_webhook_sink(hook.url());
  commits(1);
  jobs_.failures["daily"] = 5;
  Orchestrator o = make(pipeline(), sink.get());
  auto outcomes = o.tick();
  EXPECT_EQ(outcomes[0].status, RunStatus::kFailed);
  EXPECT_EQ(outcomes[0].attempts, 5);
  auto bodies = hook.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  auto alert = nlohmann::json::parse(bodies[0]);
  EXPECT_EQ(alert["kind"], "job_failed");
  EXPECT_EQ(alert["attempts"], 5);
  EXPECT_EQ(alert["error"], "disk full");
  commits(2);
  outcomes = o.tick();
  EXPECT_EQ(outcomes[0].status, RunStatus::kSucceeded);
  bodies = hook.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(bodies[1])["state"], "resolved");
  EXPECT_EQ(nlohmann::json::parse(bodies[1])["incident"], "job_failed:daily");
  o.tick();
  EXPECT_EQ(hook.bodies().size(), 2u);
}

TEST_F(OrchestratorTest, NoDataSlaAlertsOnceAndRecovers) {
  orchtest::WebhookReceiver hook;
  auto sink = make_webhook_sink(hook.url());
  commits(1);
  Orchestrator o = make(pipeline("", "orchestrator: {sla: 15m}\n"), sink.get());
  o.tick();
  clock_.advance_ms(14 * 60000);
  o.tick();
  EXPECT_TRUE(hook.bodies().empty());
  clock_.advance_ms(2 * 60000);
  o.tick();
  o.tick();
  auto bodies = hook.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(bodies[0])["incident"], "sla_no_data:events");
  commits(2);
  o.tick();
  bodies = hook.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(bodies[1])["state"], "resolved");
}

TEST_F(OrchestratorTest, CronJobRunsOncePerDueTimeAndNotOnArrival) {
  commits(1);
  Orchestrator o = make(pipeline("    schedule: \"0 2 * * *\"\n    timezone: \"+02:00\"\n"));
  o.tick();  // first start: remembers now, does not fire for the past
  EXPECT_EQ(jobs_.calls["daily"], 0);
  clock_.advance_ms(13 * 3600000LL);  // 23:00 UTC: not yet 02:00 +02:00 (= 00:00 UTC)
  o.tick();
  EXPECT_EQ(jobs_.calls["daily"], 0);
  clock_.advance_ms(2 * 3600000LL);  // 01:00 UTC
  auto outcomes = o.tick();
  EXPECT_EQ(jobs_.calls["daily"], 1);
  auto runs = store_->list_runs("daily", 10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].trigger, "schedule");
  EXPECT_EQ(runs[0].input_key, "schedule@2025-01-02T00:00Z");
  o.tick();
  EXPECT_EQ(jobs_.calls["daily"], 1);
}

TEST_F(OrchestratorTest, ManualTriggerRunsDependenciesFirstForTheGivenDays) {
  Orchestrator o = make(pipeline());
  std::vector<Day> days{*Day::parse("2025-01-01"), *Day::parse("2025-01-02")};
  auto outcomes = o.trigger("daily_copy", days);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].job, "daily");
  EXPECT_EQ(outcomes[1].job, "daily_copy");
  ASSERT_EQ(jobs_.days_seen.size(), 2u);
  EXPECT_EQ(*jobs_.days_seen[0], days);
  EXPECT_EQ(store_->list_runs("", 10).front().trigger, "manual");
  // Manual runs never move arrival checkpoints.
  EXPECT_FALSE(store_->checkpoint("job:daily:events").has_value());
}

TEST_F(OrchestratorTest, LeaseHeldByAnotherOwnerPreventsASecondRun) {
  commits(1);
  ASSERT_TRUE(store_->acquire_lease("job:daily", "other", kStart, 60000));
  Orchestrator o = make(pipeline());
  o.tick();
  EXPECT_EQ(jobs_.calls["daily"], 0);
  clock_.advance_ms(61000);  // the other owner's lease expired
  o.tick();
  EXPECT_EQ(jobs_.calls["daily"], 1);
}

TEST_F(OrchestratorTest, ACrashedRunIsResumedNotDuplicated) {
  commits(1);
  // A previous process started the run and died during attempt 1.
  RunRecord dead = store_->begin_run("daily", "events@1", "arrival", kStart);
  store_->record_attempt({dead.id, 1, kStart, kStart, "failed", "killed", 0});
  Orchestrator o = make(pipeline());
  auto outcomes = o.tick();
  ASSERT_FALSE(outcomes.empty());
  EXPECT_EQ(outcomes[0].run_id, dead.id);
  EXPECT_EQ(outcomes[0].status, RunStatus::kSucceeded);
  EXPECT_EQ(outcomes[0].attempts, 2);
  EXPECT_EQ(store_->list_runs("daily", 10).size(), 1u);
}

}  // namespace
}  // namespace sluice
