// The stateful part of the streaming job: watermark, dedupe and windows,
// with their state made exactly-once through the lake commit log.
//
// How state survives a crash: nothing is checkpointed separately. Each raw
// commit records the watermark and the per-stream maximum event times in its
// meta; on restart, dedupe keys and open windows are rebuilt from the raw
// table's committed rows that can still matter (event time >= watermark -
// horizon, or in windows still open). Window results go to their own lake
// table; each of its commits carries the raw commit's sequence number
// (meta "raw_seq") and is made just before that raw commit. A window commit
// whose raw commit never happened is rolled back at start-up, so no window
// is lost or emitted twice. This needs one writer per raw table.
//
// Event time (ARCHITECTURE.md, "Event time"): each row is judged against
// the watermark of its own source stream as it stood just before the row's
// record (the stream's largest earlier event time minus the delay), never
// one raised by rows after it, and never below what was already emitted or
// evicted. Lateness and duplicates therefore depend on each stream's order
// only, not on batch sizes, read speed or how streams interleave.
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
#include "core/record.h"
#include "sinks/lake/lake_writer.h"
#include "transforms/eventtime/dedupe.h"
#include "transforms/eventtime/watermark.h"
#include "transforms/eventtime/window.h"
#include "transforms/parse/parser.h"

namespace sluice {

struct EventTimeStats {
  int64_t duplicates = 0;
  int64_t late_rows = 0;
  int64_t windows_emitted = 0;
  int64_t rebuilt_rows = 0;
};

class EventTimeStage {
 public:
  // Throws ConfigError (file, line, key) for unknown columns.
  EventTimeStage(const PipelineConfig& config, const OutputSchema& raw_schema,
                 std::string writer_id);
  ~EventTimeStage();

  bool enabled() const { return enabled_; }

  // After the raw table was opened: rolls back derived commits newer than the
  // raw table's, opens the window (and late) tables, restores the watermark
  // and rebuilds dedupe and window state from committed rows.
  void open(const LakeState& raw_state, const std::string& raw_table_dir, int64_t now_ms);

  // Processes one parsed batch and leaves in `rows` the rows for the raw
  // table (duplicates and dropped late rows removed; `row_records` still
  // describes the rows as they came in). Late rows under the DLQ policy
  // become rejects of their records in `late_rejects`.
  void process(const RawBatch& raw, RecordBatch& rows, const std::vector<uint32_t>& row_records,
               std::vector<Reject>& late_rejects, int64_t now_ms);

  // Just before raw commit `raw_seq`: emits closed windows and commits the
  // derived tables tagged with raw_seq; adds watermark state to `meta`.
  void before_commit(int64_t raw_seq, std::map<std::string, std::string>& meta, int64_t now_ms);
  // After the raw commit: forgets dedupe keys behind the watermark.
  void after_commit();

  // Scale-out (ARCHITECTURE.md "Scaling out stateful pipelines"). Streams
  // newly assigned to this process: each one's event-time maximum is restored
  // from the latest raw commit that covered it (whoever wrote it), and the
  // dedupe keys that can still matter to it are read back from the committed
  // rows, as open() does after a restart. Call after the streams were claimed
  // in the raw table and before any of their rows is processed.
  void adopt(const std::vector<std::string>& streams, const std::string& raw_table_dir,
             int64_t now_ms);
  // Streams taken away (after their last commit): their maxima are forgotten.
  void release(const std::vector<std::string>& streams);
  // Windows (and the late table) are tagged with the raw commit's seq and
  // rebuilt from one writer's open windows: such pipelines need one writer.
  bool needs_single_writer() const { return window_.has_value(); }

  int64_t watermark() const { return tracker_.current(); }
  const EventTimeStats& stats() const { return stats_; }
  size_t open_windows() const { return window_ ? window_->open_windows() : 0; }
  size_t dedupe_keys() const { return dedupe_ ? dedupe_->size() : 0; }

 private:
  const PipelineConfig& config_;
  const OutputSchema& raw_schema_;
  std::string writer_id_;
  bool enabled_ = false;
  int ts_col_ = -1;
  WatermarkTracker tracker_;
  std::optional<Deduper> dedupe_;
  std::optional<WindowOperator> window_;
  std::unique_ptr<LakeWriter> window_lake_;
  std::unique_ptr<LakeWriter> late_lake_;
  std::optional<RecordBatch> window_out_;
  std::optional<RecordBatch> kept_;
  std::optional<RecordBatch> late_rows_;
  std::vector<uint32_t> keep_, late_, all_;
  // Per row of the batch being processed: the watermark it is judged against.
  std::vector<int64_t> row_watermark_, kept_watermark_, running_max_;
  // The highest pipeline watermark already applied (windows emitted, dedupe
  // state evicted): no row can be judged against less.
  int64_t floor_ = kNoWatermark;
  // Late rows (in the raw table) whose windows are not emitted yet, by
  // WindowOperator::row_signature: recorded in each raw commit's meta
  // ("late_open") so that a restart leaves them out of the rebuilt windows.
  struct LateOpen {
    int64_t time = 0;
    int64_t count = 0;
  };
  std::map<std::string, LateOpen> late_open_;
  EventTimeStats stats_;
};

}  // namespace sluice
