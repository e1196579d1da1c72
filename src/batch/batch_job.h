// Runs the batch jobs of a pipeline (`sluice batch JOB`): SQL over the lake
// tables' committed files of the selected days, quality checks, then an
// atomic replace of those days in the output lake table, the warehouse and
// the CSV export, and finally the job's incremental state.
//
// Order of effects, so a failure at any step leaves a re-runnable job:
// checks (a failure stops everything) -> lake commit -> warehouse load ->
// CSV rewrite -> state file. The state (LAKE/_sluice_batch/JOB.json,
// replaced atomically with rename) records per day the input commit seq that
// was processed; --since-last selects the days whose input changed after it.
//
// Threading: run_batch_job() blocks; it takes an exclusive lock
// (LAKE/_sluice_batch/JOB.lock) so two runs of one job never interleave.
// DuckDB may use two worker threads inside.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "batch/day.h"
#include "config/pipeline.h"
#include "core/kill_hook.h"

namespace sluice {

struct BatchRunOptions {
  std::string lake_dir;                  // "": the pipeline's sink.lake.path
  std::optional<std::vector<Day>> days;  // nullopt: since the last run (incremental)
  // "duckdb:PATH", "postgresql://...", "none"; "": duckdb:LAKE/_warehouse.duckdb
  std::string warehouse;
  std::string csv_path;           // overrides the named job's csv (not its dependencies')
  bool with_dependencies = true;  // run depends_on jobs first, for the same days
  std::ostream* log = nullptr;    // one progress line per step, if set
  int64_t now_ms = 0;             // wall clock for freshness checks; 0: now
  // Test hook, passed to each output's TablePublisher::set_on_step.
  StepHook on_publish_step;
};

struct BatchJobReport {
  std::string job;
  std::vector<Day> days;   // processed (empty: nothing new)
  int64_t rows = 0;        // result rows published
  int64_t files = 0;       // Parquet files published
  int64_t output_seq = 0;  // commit seq in the output table (0: none)
  std::string output_dir;
  std::string warehouse;  // where it was loaded ("" if not)
  std::string csv_path;   // where the CSV was written ("" if not)
};

// Runs `job` (and, by default, its dependencies first). Throws QualityError
// (batch/quality.h) if a check fails, RuntimeError on other failures, and
// RuntimeError if `job` is not declared.
// True if `sql` names `table` as {{table}} or as a whole word: how a job's
// input tables are found (by the runner and by the orchestrator's triggers).
bool sql_references_table(const std::string& sql, const std::string& table);

std::vector<BatchJobReport> run_batch_job(const PipelineConfig& pipeline, const std::string& job,
                                          const BatchRunOptions& options);

// Directory of the job states under a lake root.
inline constexpr const char* kBatchStateDir = "_sluice_batch";

}  // namespace sluice
