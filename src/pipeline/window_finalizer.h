// The window finalizer: computes the window table from the committed raw
// rows, so that any number of workers can write the raw table (ARCHITECTURE.md
// "Windows over several workers").
//
// The table watermark. Every raw commit records, per stream it covers, the
// stream's largest event time after the committed rows (meta "stream_max").
// The table watermark is the minimum over the table's streams (those with a
// commit or a claim) of the latest such value minus the delay, ignoring
// streams whose latest commit or claim is older than the idle timeout before
// the newest commit; a claimed stream that has committed nothing yet holds it
// back until then. A row committed after this is computed is judged by its
// worker against at least its stream's watermark, hence at least the table
// watermark: if its windows close at the table watermark, it is late.
//
// Finalizing. Once the table watermark W passes the end + allowed lateness of
// windows the table has not covered yet (covered: the window table's position
// of the stream "finalize"), the finalizer reads the committed raw rows of
// those windows' time range and aggregates them with the stage's
// WindowOperator, in a fixed row order (event time, then the row's values),
// each row judged against the watermark its worker recorded in "late_rows"
// (rows not listed were judged against a watermark closing none of their
// windows). The windows closed at W and not at the covered position go out
// in one window-table commit from "finalize" = covered to W. So a plain glob
// of the window table shows each window and group once, final.
//
// Fencing. One finalizer at a time: taking the role publishes a claim of the
// stream "finalize" in the window table's log (LakeWriter::claim), and every
// window commit is fenced like a raw commit: a finalizer whose claim is no
// longer the latest, or whose start position is not the log's, gets
// StaleWriterError and publishes nothing.
//
// Threading: single-threaded (the runner's writer thread).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "core/batch.h"
#include "core/kill_hook.h"
#include "sinks/lake/lake_writer.h"
#include "transforms/eventtime/window.h"

namespace sluice {

namespace storage {
class Storage;
}

class WindowFinalizer {
 public:
  // The position of this stream in the window table is the table watermark
  // up to which every window was committed.
  static constexpr const char* kStream = "finalize";

  // `config` must have a window. Throws ConfigError like EventTimeStage.
  WindowFinalizer(const PipelineConfig& config, const OutputSchema& raw_schema,
                  std::string writer_id);
  ~WindowFinalizer();

  // Opens (recovers) the window table next to the raw table `raw_table_dir`.
  void open(const std::string& raw_table_dir);
  // Takes the finalizer role: claims kStream in the window table and reads
  // the position it starts from. Call again after a drop() to take it anew.
  void take();
  // Gives the role up (this process no longer finalizes).
  void drop() { active_ = false; }
  bool active() const { return active_; }

  // Reads the raw log's new entries and, if the table watermark closes
  // windows not covered yet, commits them. Returns how many windows (rows)
  // were committed. Throws StaleWriterError if another finalizer claimed the
  // role since take() (nothing is published).
  int64_t run(int64_t processing_time_us);

  // Every window with end + allowed lateness <= covered() is committed
  // (kNoWatermark: none yet).
  int64_t covered() const { return covered_; }
  // The table watermark as of the last run() (kNoWatermark: unknown).
  int64_t table_watermark() const { return table_watermark_; }

  // Test hook: called with "commit" just before a window commit is published.
  void set_step_hook(StepHook hook) { on_step_ = std::move(hook); }

 private:
  void read_raw_log();
  int64_t compute_watermark() const;
  // Where the window table was before this design (window commits tagged
  // with "raw_seq"): the raw watermark those commits covered.
  int64_t legacy_covered() const;

  const PipelineConfig& config_;
  const OutputSchema& raw_schema_;
  std::string writer_id_;
  WindowOperator shape_;                         // verdict helpers and the output schema
  std::unique_ptr<storage::Storage> raw_table_;  // local directory or s3://
  std::unique_ptr<LakeWriter> lake_;
  bool active_ = false;
  StepHook on_step_;
  int64_t covered_;
  int64_t table_watermark_;

  // What the raw log says so far.
  int64_t raw_seq_ = 0;
  int64_t newest_ms_ = 0;  // timestamp of the newest data commit
  struct Stream {
    int64_t max = 0;  // kNoWatermark: claimed, nothing committed
    int64_t seen_ms = 0;
  };
  std::map<std::string, Stream> streams_;
  // Late rows of the committed raw rows that a finalization may still read:
  // signature -> (watermark -> rows), with the event time for pruning.
  struct Late {
    int64_t time = 0;
    std::map<int64_t, int64_t> by_watermark;
  };
  std::map<std::string, Late> late_;
};

}  // namespace sluice
