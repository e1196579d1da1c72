// The orchestrator's durable memory: every run and attempt, the checkpoints
// that say what was processed (per job and input table: the last commit
// seq), open alert incidents, and leases. A failed run never advances a
// checkpoint: finish_run() writes checkpoints only for a succeeded run, in
// the same transaction as its status.
//
// Threading: a store object is used by one thread at a time (the
// orchestrator serializes its calls). Several processes may share one SQLite
// file or PostgreSQL database: each call is one transaction, and writers wait
// for each other.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

enum class RunStatus { kRunning, kSucceeded, kFailed, kSkipped, kInterrupted };
const char* run_status_name(RunStatus status);

struct RunRecord {
  int64_t id = 0;
  std::string job;
  std::string input_key;  // what the run processes, e.g. "clickstream@12" or "days:2025-01-01"
  std::string trigger;    // arrival | schedule | manual
  std::string status;     // run_status_name()
  int64_t started_ms = 0;
  int64_t finished_ms = 0;  // 0 while running
  int attempts = 0;
  std::string error;
};

struct AttemptRecord {
  int64_t run_id = 0;
  int attempt = 0;  // 1-based
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  std::string status;  // succeeded | failed
  std::string error;
  int64_t delay_ms = 0;  // waited before this attempt
};

class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;

  // Starts a run of (job, input_key), or resumes the one a dead process left
  // 'running' with the same key (so a restart finishes the run instead of
  // recording a second one). Other 'running' runs of the job become
  // 'interrupted'.
  virtual RunRecord begin_run(const std::string& job, const std::string& input_key,
                              const std::string& trigger, int64_t now_ms) = 0;
  // Records an attempt and sets the run's attempt count to it.
  virtual void record_attempt(const AttemptRecord& attempt) = 0;
  // Ends a run. `checkpoints` are stored only if `status` is kSucceeded.
  virtual void finish_run(int64_t run_id, RunStatus status, int64_t now_ms,
                          const std::string& error,
                          const std::map<std::string, int64_t>& checkpoints) = 0;

  virtual std::optional<int64_t> checkpoint(const std::string& key) = 0;
  virtual void set_checkpoint(const std::string& key, int64_t value, int64_t now_ms) = 0;

  // The latest run of (job, input_key), if any.
  virtual std::optional<RunRecord> last_run(const std::string& job,
                                            const std::string& input_key) = 0;
  // Newest first; `job` "" for all jobs.
  virtual std::vector<RunRecord> list_runs(const std::string& job, int limit) = 0;
  virtual std::vector<AttemptRecord> attempts(int64_t run_id) = 0;

  // Alert incidents: open returns true only if the incident was not open;
  // close returns true only if it was.
  virtual bool open_incident(const std::string& key, const std::string& message,
                             int64_t now_ms) = 0;
  virtual bool close_incident(const std::string& key) = 0;
  virtual bool incident_open(const std::string& key) = 0;

  // A named lease held by `owner` until now + ttl; taken over once expired.
  // Re-acquiring one's own lease renews it.
  virtual bool acquire_lease(const std::string& name, const std::string& owner, int64_t now_ms,
                             int64_t ttl_ms) = 0;
  virtual void release_lease(const std::string& name, const std::string& owner) = 0;
};

// Default store file under a lake root.
inline constexpr const char* kOrchestratorStoreFile = "_sluice_orchestrator.db";

// Opens the store named by `spec`: "" (LAKE/_sluice_orchestrator.db), a file
// path, "sqlite:PATH", or a "postgresql://..." (or "postgres://...") URI.
// Throws RuntimeError if the store cannot be opened.
std::unique_ptr<CheckpointStore> open_checkpoint_store(const std::string& spec,
                                                       const std::string& lake_dir);

// The SQLite store (WAL mode) at `path`, creating it and its tables.
std::unique_ptr<CheckpointStore> open_sqlite_store(const std::string& path);

// The PostgreSQL store at libpq `uri`, creating its tables if missing. Several
// processes may share it: multi-statement calls are transactions, begin_run
// is serialized by an advisory lock and a lease is one atomic upsert.
std::unique_ptr<CheckpointStore> open_postgres_store(const std::string& uri);

}  // namespace sluice
