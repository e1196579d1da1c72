// The orchestrator over a real lake with the real batch runner: commits
// arriving in the input table make the jobs run for exactly the new days,
// and `sluice orchestrate` killed with SIGKILL in the middle of a run, then
// restarted, finishes that run once with no duplicate output.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "batch/lake_table.h"
#include "orch_test_util.h"
#include "orchestrator/orchestrator.h"
#include "storage/fs_util.h"

namespace sluice {
namespace {

using orchtest::TempDir;

std::set<std::string> day_strings(const std::vector<Day>& days) {
  std::set<std::string> out;
  for (const Day& d : days) out.insert(d.to_string());
  return out;
}

// Rows per day in a job's output table, read through its commit log.
std::map<std::string, int64_t> rows_per_day(const std::string& table_dir) {
  std::map<std::string, int64_t> out;
  for (const LiveFile& f : read_live_table(table_dir).files) out[f.day->to_string()] += f.rows;
  return out;
}

TEST(OrchestratorLake, NewCommitsRunTheJobsForExactlyTheNewDays) {
  TempDir tmp;
  const std::string lake = tmp.path() + "/lake";
  PipelineConfig p = load_pipeline_from_string(
      orchtest::pipeline_yaml(lake, "", "orchestrator: {warehouse: none}\n"), "p.yaml");
  orchtest::ingest(p, orchtest::events_ndjson({"2025-01-01", "2025-01-02"}, 3, 0), tmp.path(), "a");
  auto store = open_sqlite_store(lake + "/_sluice_orchestrator.db");
  SystemClock clock;
  OrchestratorOptions options;
  options.lake_dir = lake;
  Orchestrator o(p, options, *store, clock, nullptr);

  auto outcomes = o.tick();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].job, "daily");
  EXPECT_EQ(outcomes[0].status, RunStatus::kSucceeded);
  EXPECT_EQ(day_strings(outcomes[0].days), (std::set<std::string>{"2025-01-01", "2025-01-02"}));
  EXPECT_EQ(outcomes[1].job, "daily_copy");  // its input, daily's output, just changed
  EXPECT_EQ(day_strings(outcomes[1].days), (std::set<std::string>{"2025-01-01", "2025-01-02"}));
  EXPECT_TRUE(o.tick().empty());  // nothing new

  orchtest::ingest(p, orchtest::events_ndjson({"2025-01-03"}, 2, 100), tmp.path(), "b");
  outcomes = o.tick();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(day_strings(outcomes[0].days), (std::set<std::string>{"2025-01-03"}));
  EXPECT_EQ(day_strings(outcomes[1].days), (std::set<std::string>{"2025-01-03"}));
  // One row per day in the output, each counted once.
  auto rows = rows_per_day(lake + "/daily");
  EXPECT_EQ(rows, (std::map<std::string, int64_t>{
                      {"2025-01-01", 1}, {"2025-01-02", 1}, {"2025-01-03", 1}}));
  EXPECT_EQ(store->checkpoint("job:daily:events"), read_live_table(lake + "/events").last_seq);
}

// Runs `args` and returns its wait status; `env` ("NAME=value", may be "") is
// set in the child only.
int run_binary(const std::vector<std::string>& args, const std::string& env = "") {
  pid_t pid = fork();
  if (pid == 0) {
    if (!env.empty()) putenv(const_cast<char*>(env.c_str()));
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

bool exited_zero(int status) {
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// The orchestrator is SIGKILLed inside the first job's publish (at each step
// of it, through the batch publisher's test hook), after the attempt was
// recorded as running. A restart resumes that run (a second attempt of the
// same run, not a new run) and the output holds each day once.
TEST(OrchestratorLake, SigkillDuringARunThenRestartFinishesItOnceWithoutDuplicates) {
  for (const std::string step : {"staged", "published", "moved"}) {
    SCOPED_TRACE("killed at " + step);
    TempDir tmp;
    const std::string lake = tmp.path() + "/lake";
    const std::string pipeline = tmp.path() + "/p.yaml";
    orchtest::write_file(pipeline, orchtest::pipeline_yaml(lake, "    retries: 0\n",
                                                           "orchestrator: {warehouse: none}\n"));
    PipelineConfig p = load_pipeline(pipeline);
    orchtest::ingest(p, orchtest::events_ndjson({"2025-02-01", "2025-02-02"}, 4, 0), tmp.path(),
                     "a");
    const std::vector<std::string> once = {SLUICE_BINARY, "orchestrate", pipeline, "--once",
                                           "--quiet"};

    const int killed = run_binary(once, "SLUICE_TEST_BATCH_KILL_AT=" + step);
    ASSERT_TRUE(WIFSIGNALED(killed) && WTERMSIG(killed) == SIGKILL) << "status " << killed;
    {
      auto store = open_sqlite_store(lake + "/_sluice_orchestrator.db");
      auto runs = store->list_runs("daily", 10);
      ASSERT_EQ(runs.size(), 1u);
      EXPECT_EQ(runs[0].status, "running");  // what the killed process left
    }

    EXPECT_TRUE(exited_zero(run_binary(once)));
    auto store = open_sqlite_store(lake + "/_sluice_orchestrator.db");
    auto runs = store->list_runs("daily", 10);
    ASSERT_EQ(runs.size(), 1u);  // the interrupted run was resumed, not duplicated
    EXPECT_EQ(runs[0].status, "succeeded");
    EXPECT_EQ(runs[0].attempts, 2);
    auto attempts = store->attempts(runs[0].id);
    ASSERT_EQ(attempts.size(), 2u);
    EXPECT_EQ(attempts[0].status, "interrupted");
    EXPECT_EQ(attempts[1].status, "succeeded");
    EXPECT_EQ(rows_per_day(lake + "/daily"),
              (std::map<std::string, int64_t>{{"2025-02-01", 1}, {"2025-02-02", 1}}));
    // A third pass finds nothing to do.
    EXPECT_TRUE(exited_zero(run_binary(once)));
    EXPECT_EQ(store->list_runs("daily", 10).size(), 1u);
  }
}

TEST(OrchestratorLake, SluiceRunHostsTheOrchestrator) {
  TempDir tmp;
  const std::string lake = tmp.path() + "/lake";
  const std::string pipeline = tmp.path() + "/p.yaml";
  orchtest::write_file(pipeline,
                       orchtest::pipeline_yaml(lake, "", "orchestrator: {warehouse: none}\n"));
  const std::string input = tmp.path() + "/in.ndjson";
  orchtest::write_file(input, orchtest::events_ndjson({"2025-03-01", "2025-03-02"}, 2, 0));
  ASSERT_TRUE(
      exited_zero(run_binary({SLUICE_BINARY, "run", pipeline, "--input", input, "--quiet"})));
  auto store = open_sqlite_store(lake + "/_sluice_orchestrator.db");
  auto runs = store->list_runs("daily", 10);
  ASSERT_FALSE(runs.empty());
  EXPECT_EQ(runs[0].status, "succeeded");
  EXPECT_EQ(rows_per_day(lake + "/daily"),
            (std::map<std::string, int64_t>{{"2025-03-01", 1}, {"2025-03-02", 1}}));
}

}  // namespace
}  // namespace sluice
