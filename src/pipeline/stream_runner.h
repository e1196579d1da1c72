// The streaming job: source -> parse/validate/preprocess -> lake + DLQ, with
// exactly-once commits. Used by `sluice run` and `sluice demo`.
//
// Threading: run() uses two threads. The reader thread polls the source and
// parses (CPU-heavy, simdjson); the calling thread appends to the lake sink,
// writes the DLQ and commits (Parquet encoding, I/O). They exchange whole
// batches through a bounded queue, so memory stays bounded. A Kafka
// rebalance makes the reader wait until everything read so far is committed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "config/pipeline.h"
#include "core/kill_hook.h"
#include "observability/progress.h"

namespace sluice::obs {
class Telemetry;
}

namespace sluice {

struct RunOptions {
  std::string writer_id = "w0";   // stable per process slot; names its files
  int64_t stop_after_events = 0;  // > 0: drain and stop once this many were read
  int64_t idle_stop_ms = 0;       // > 0: stop after this long without input
  bool progress = true;           // progress lines on stderr
  int progress_interval_ms = 1000;
  // If set (and `progress`), called instead of printing the progress lines:
  // on the writer thread, every progress_interval_ms and once at the end.
  std::function<void(const obs::Progress&)> on_progress;
  std::atomic<int64_t>* read_counter = nullptr;  // if set, kept equal to events read
  // If set, called on the writer thread after each lake commit (must be quick:
  // `sluice run` uses it to wake the orchestrator's own thread).
  std::function<void()> on_commit;
  // If set: metrics and status (src/observability/), updated once per batch,
  // per commit and about once a second (lag, watermark delay).
  obs::Telemetry* telemetry = nullptr;
  // Test hook of the window finalizer (WindowFinalizer::set_step_hook).
  StepHook finalizer_step;
};

struct RunSummary {
  int64_t events_read = 0;
  int64_t events_accepted = 0;
  int64_t events_rejected = 0;
  int64_t rows_written = 0;
  int64_t files_written = 0;
  int64_t bytes_written = 0;
  int64_t commits = 0;
  int64_t resumed_streams = 0;  // streams that resumed from the commit log
  int64_t duplicates = 0;       // dropped by dedupe
  int64_t late_rows = 0;        // behind closed windows
  int64_t windows_emitted = 0;
  int64_t dedupe_keys = 0;  // dedupe state at the end (keys within the horizon)
  double seconds = 0;
};

class StreamRunner {
 public:
  StreamRunner(PipelineConfig config, RunOptions options);
  ~StreamRunner();

  // Runs until the source ends, `stop` becomes true (SIGINT/SIGTERM), or a
  // stop condition of RunOptions holds; always drains and commits before it
  // returns. Throws RuntimeError on fatal errors (nothing uncommitted is
  // published then; a restart resumes from the commit log).
  RunSummary run(const std::atomic<bool>& stop);

 private:
  PipelineConfig config_;
  RunOptions options_;
};

std::string format_summary(const RunSummary& s);

}  // namespace sluice
