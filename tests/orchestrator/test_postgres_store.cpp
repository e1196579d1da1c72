// The PostgreSQL checkpoint store against a real server (tests/batch/pg_fixture.h):
// runs/attempts/checkpoints round-trip, a failed run keeps the checkpoint,
// leases between two connections, and two orchestrators sharing one store
// run a job exactly once per input.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "../batch/pg_fixture.h"
#include "orch_test_util.h"
#include "orchestrator/orchestrator.h"
#include "sinks/lake/commit_log.h"
#include "storage/fs_util.h"

namespace sluice {
namespace {

using orchtest::TempDir;

constexpr int64_t kStart = 1735725600000;  // 2025-01-01T10:00:00Z

class PostgresStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new batchtest::PostgresServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // A fresh database per test.
  void SetUp() override {
    static int n = 0;
    std::string db = "orch" + std::to_string(++n);
    std::unique_ptr<PGconn, decltype(&PQfinish)> c(PQconnectdb(server_->uri().c_str()), &PQfinish);
    ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
    std::unique_ptr<PGresult, decltype(&PQclear)> r(
        PQexec(c.get(), ("CREATE DATABASE " + db).c_str()), &PQclear);
    ASSERT_EQ(PQresultStatus(r.get()), PGRES_COMMAND_OK) << PQerrorMessage(c.get());
    uri_ = server_->uri();
    uri_ = uri_.substr(0, uri_.rfind('/') + 1) + db;
  }

  static batchtest::PostgresServer* server_;
  std::string uri_;
};

batchtest::PostgresServer* PostgresStoreTest::server_ = nullptr;

TEST_F(PostgresStoreTest, RunsAttemptsAndCheckpointsRoundTrip) {
  auto store = open_checkpoint_store(uri_, "/nonexistent");
  RunRecord run = store->begin_run("daily", "events@3", "arrival", kStart);
  EXPECT_GT(run.id, 0);
  EXPECT_EQ(run.status, "running");
  EXPECT_EQ(run.started_ms, kStart);
  store->record_attempt({run.id, 1, kStart, kStart + 10, "failed", "disk full", 0});
  store->record_attempt({run.id, 2, kStart + 20, kStart + 30, "succeeded", "", 20});
  store->finish_run(run.id, RunStatus::kSucceeded, kStart + 40, "",
                    {{"job:daily:events", 3}, {"job:daily:other", 9}});

  auto last = store->last_run("daily", "events@3");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->id, run.id);
  EXPECT_EQ(last->status, "succeeded");
  EXPECT_EQ(last->trigger, "arrival");
  EXPECT_EQ(last->finished_ms, kStart + 40);
  EXPECT_EQ(last->attempts, 2);
  auto attempts = store->attempts(run.id);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].error, "disk full");
  EXPECT_EQ(attempts[1].status, "succeeded");
  EXPECT_EQ(attempts[1].delay_ms, 20);
  EXPECT_EQ(store->checkpoint("job:daily:events"), 3);
  EXPECT_EQ(store->checkpoint("job:daily:other"), 9);
  EXPECT_FALSE(store->checkpoint("missing").has_value());

  store->set_checkpoint("manual", 5, kStart);
  EXPECT_EQ(store->checkpoint("manual"), 5);

  // A second run of another job; list_runs is newest first and filters by job.
  RunRecord other = store->begin_run("weekly", "days:2025-01-01", "manual", kStart + 50);
  EXPECT_GT(other.id, run.id);
  auto all = store->list_runs("", 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, other.id);
  EXPECT_EQ(store->list_runs("daily", 10).size(), 1u);
  EXPECT_EQ(store->list_runs("", 1).size(), 1u);

  // Incidents open and close once.
  EXPECT_TRUE(store->open_incident("sla", "late", kStart));
  EXPECT_FALSE(store->open_incident("sla", "late", kStart));
  EXPECT_TRUE(store->incident_open("sla"));
  EXPECT_TRUE(store->close_incident("sla"));
  EXPECT_FALSE(store->close_incident("sla"));
  EXPECT_FALSE(store->incident_open("sla"));

  // Everything is durable: a new connection sees it.
  auto reopened = open_checkpoint_store(uri_, "");
  EXPECT_EQ(reopened->checkpoint("job:daily:events"), 3);
  EXPECT_EQ(reopened->attempts(run.id).size(), 2u);
}

TEST_F(PostgresStoreTest, FailedRunDoesNotAdvanceCheckpoints) {
  auto store = open_postgres_store(uri_);
  store->set_checkpoint("job:daily:events", 1, kStart);
  RunRecord run = store->begin_run("daily", "events@2", "arrival", kStart);
  store->finish_run(run.id, RunStatus::kFailed, kStart + 1, "boom", {{"job:daily:events", 2}});
  EXPECT_EQ(store->checkpoint("job:daily:events"), 1);
  EXPECT_EQ(store->last_run("daily", "events@2")->status, "failed");
  EXPECT_EQ(store->last_run("daily", "events@2")->error, "boom");
}

TEST_F(PostgresStoreTest, BeginRunResumesARunningRunAndInterruptsOthers) {
  auto a = open_postgres_store(uri_);
  auto b = open_postgres_store(uri_);
  RunRecord first = a->begin_run("daily", "events@1", "arrival", kStart);
  RunRecord again = b->begin_run("daily", "events@1", "arrival", kStart + 5);
  EXPECT_EQ(again.id, first.id);  // resumed, not a second run
  RunRecord next = b->begin_run("daily", "events@2", "arrival", kStart + 6);
  EXPECT_NE(next.id, first.id);
  EXPECT_EQ(a->last_run("daily", "events@1")->status, "interrupted");
  EXPECT_EQ(a->list_runs("daily", 10).size(), 2u);
}

TEST_F(PostgresStoreTest, LeaseIsHeldByOneOwnerUntilExpiryOrRelease) {
  auto a = open_postgres_store(uri_);
  auto b = open_postgres_store(uri_);
  EXPECT_TRUE(a->acquire_lease("job:daily", "a", kStart, 1000));
  EXPECT_FALSE(b->acquire_lease("job:daily", "b", kStart + 500, 1000));
  EXPECT_TRUE(a->acquire_lease("job:daily", "a", kStart + 900, 1000));  // renewed to +1900
  EXPECT_FALSE(b->acquire_lease("job:daily", "b", kStart + 1500, 1000));
  EXPECT_TRUE(b->acquire_lease("job:daily", "b", kStart + 2000, 1000));  // expired: taken over
  EXPECT_FALSE(a->acquire_lease("job:daily", "a", kStart + 2100, 1000));
  a->release_lease("job:daily", "a");  // not a's: no effect
  EXPECT_FALSE(a->acquire_lease("job:daily", "a", kStart + 2200, 1000));
  b->release_lease("job:daily", "b");
  EXPECT_TRUE(a->acquire_lease("job:daily", "a", kStart + 2300, 1000));
  // Independent names do not interfere.
  EXPECT_TRUE(b->acquire_lease("job:weekly", "b", kStart + 2300, 1000));
}

TEST_F(PostgresStoreTest, TwoOrchestratorsSharingTheStoreRunEachInputOnce) {
  TempDir tmp;
  std::string lake = tmp.path() + "/lake";
  std::string log_dir = lake + "/events/_sluice_log";
  lakefs::make_dirs(log_dir);
  PipelineConfig p = load_pipeline_from_string(orchtest::pipeline_yaml(lake), "p.yaml");

  std::map<std::string, int> calls;
  BatchJobFn fn = [&calls](const PipelineConfig&, const std::string& job, const BatchRunOptions&) {
    ++calls[job];
    BatchJobReport r;
    r.job = job;
    r.days = {*Day::parse("2025-01-01")};
    return std::vector<BatchJobReport>{r};
  };
  auto store_a = open_postgres_store(uri_);
  auto store_b = open_postgres_store(uri_);
  ManualClock clock_a{kStart};
  ManualClock clock_b{kStart};
  auto make = [&](CheckpointStore& store, Clock& clock, const std::string& owner) {
    OrchestratorOptions o;
    o.lake_dir = lake;
    o.owner = owner;
    o.run_job = fn;
    o.seed = 7;
    return Orchestrator(p, o, store, clock, nullptr);
  };
  Orchestrator a = make(*store_a, clock_a, "a");
  Orchestrator b = make(*store_b, clock_b, "b");

  for (int seq = 1; seq <= 3; ++seq) {
    orchtest::write_commit(log_dir, seq);
    Orchestrator& first = seq % 2 ? a : b;
    Orchestrator& second = seq % 2 ? b : a;
    first.tick();
    second.tick();
    first.tick();
    EXPECT_EQ(calls["daily"], seq) << "after commit " << seq;
    clock_a.advance_ms(1000);
    clock_b.advance_ms(1000);
  }
  auto runs = store_a->list_runs("daily", 10);
  ASSERT_EQ(runs.size(), 3u);
  for (const RunRecord& r : runs) EXPECT_EQ(r.status, "succeeded");
  EXPECT_EQ(store_b->checkpoint("job:daily:events"), 3);
}

}  // namespace
}  // namespace sluice
