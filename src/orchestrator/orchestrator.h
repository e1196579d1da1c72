// The orchestrator: runs a pipeline's batch jobs by themselves. Each pass
// (tick) is one walk of the pipeline's DAG in dependency order:
//   sensor (new commits in an input table's log, or a due cron time)
//   -> job -> its quality checks -> warehouse load (all three: run_batch_job)
// with retries (retry.h), runs/attempts/checkpoints in a CheckpointStore and
// alerts on failures, SLA misses and recoveries. A job whose upstream
// (depends_on) failed is not run. Arrival-triggered jobs run "since last",
// so each run covers exactly the days whose input changed.
//
// Exactly once across restarts: a job's checkpoint (per input table, the last
// commit seq processed) advances only with a succeeded run, in the same store
// transaction. A run cut short by a crash stays 'running'; the next pass finds
// the same input unprocessed and resumes that run (same run id). Batch jobs
// replace whole days, so a repeated attempt never duplicates output.
//
// Threading: tick(), trigger() and run() must be called from one thread at a
// time (they share the store); notify() may be called from any thread (it
// only wakes run()). Job attempts block that thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "batch/batch_job.h"
#include "batch/lake_root.h"
#include "config/pipeline.h"
#include "orchestrator/alerts.h"
#include "orchestrator/checkpoint_store.h"
#include "orchestrator/clock.h"
#include "orchestrator/cron.h"
#include "orchestrator/retry.h"

namespace sluice {

struct JobOutcome;

// Runs one job (without its dependencies): run_batch_job by default; tests
// inject failures here.
using BatchJobFn = std::function<std::vector<BatchJobReport>(
    const PipelineConfig&, const std::string& job, const BatchRunOptions&)>;

struct OrchestratorOptions {
  std::string lake_dir;  // "": the pipeline's sink.lake.path
  // Lease owner name; a restarted process with the same owner takes over its
  // leases at once (others wait for expiry). "": "<hostname>/<pipeline>".
  std::string owner;
  std::ostream* log = nullptr;  // one line per run, attempt and alert
  BatchJobFn run_job;           // empty: run_batch_job
  uint64_t seed = 0;            // jitter; 0: random
  // Called after each run that ran (run id != 0), with its start and end
  // (ms since the epoch, from the orchestrator's clock): metrics hook.
  std::function<void(const JobOutcome&, int64_t started_ms, int64_t finished_ms)> on_run;
  // Test hook, passed to each job's BatchRunOptions::on_publish_step.
  StepHook on_publish_step;
};

struct JobOutcome {
  std::string job;
  int64_t run_id = 0;
  RunStatus status = RunStatus::kSkipped;
  int attempts = 0;
  std::string error;
  std::vector<Day> days;  // processed days (from the job's report)
};

class Orchestrator {
 public:
  // Throws ConfigError for a bad schedule or time zone.
  Orchestrator(const PipelineConfig& pipeline, OrchestratorOptions options, CheckpointStore& store,
               Clock& clock, AlertSink* alerts);

  // One pass over the DAG: runs every job that is due; returns what ran.
  std::vector<JobOutcome> tick();

  // Manual run of `job` over `days` (nullopt: since the last run), after its
  // depends_on jobs for the same days (if `with_dependencies`). Never moves
  // the arrival checkpoints.
  std::vector<JobOutcome> trigger(const std::string& job, std::optional<std::vector<Day>> days,
                                  bool with_dependencies = true);

  // tick() until `stop`, waiting poll_interval between passes or until notify().
  void run(const std::atomic<bool>& stop);
  // Wakes run() (e.g. after a local lake commit). Any thread.
  void notify();
  // Asks run() to trigger(job) (since its last run, with its dependencies)
  // before its next pass, and wakes it; false for an unknown job. Any thread
  // (the HTTP trigger endpoint).
  bool request_trigger(const std::string& job);

  // The lake tables job `job` reads (named in its SQL, except its output).
  std::vector<std::string> input_tables(const BatchJobConfig& job) const;

 private:
  struct Due {
    std::string input_key;
    std::string trigger;
    std::map<std::string, int64_t> checkpoints;  // stored on success
  };

  std::optional<Due> arrival_due(const BatchJobConfig& job,
                                 const std::map<std::string, int64_t>& seqs);
  std::optional<Due> schedule_due(const BatchJobConfig& job);
  JobOutcome run_with_retries(const BatchJobConfig& job, const Due& due,
                              const std::optional<std::vector<Day>>& days);
  RetryPolicy policy_for(const BatchJobConfig& job) const;
  std::map<std::string, int64_t> table_seqs() const;
  std::optional<std::string> failed_upstream(const BatchJobConfig& job,
                                             const std::set<std::string>& failed_now);
  void check_no_data_sla(const std::map<std::string, int64_t>& seqs);
  void check_late_sla(const BatchJobConfig& job, bool due);
  void fire(const std::string& incident, Alert alert);
  void resolve(const std::string& incident, Alert alert);
  // Logs the alert and sends it to the webhook, if any.
  void deliver(const std::string& incident, const char* state, Alert alert);
  void say(const std::string& line);
  void wait_ms(int64_t ms);

  PipelineConfig pipeline_;
  OrchestratorOptions options_;
  CheckpointStore& store_;
  Clock& clock_;
  AlertSink* alerts_;
  std::string lake_dir_;
  std::unique_ptr<LakeRoot> root_;            // tables and their newest data commits
  std::vector<const BatchJobConfig*> order_;  // dependencies first
  std::map<std::string, CronSchedule> schedules_;
  std::mt19937_64 rng_;
  const std::atomic<bool>* stop_ = nullptr;

  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool woken_ = false;
  std::vector<std::string> requested_;  // guarded by wake_mu_: request_trigger()
};

}  // namespace sluice
