// The stateful part of the streaming job: watermark, dedupe and windows,
// with their state made exactly-once through the lake commit log.
//
// How state survives a crash: nothing is checkpointed separately. Each raw
// commit records the watermark and the per-stream maximum event times in its
// meta; on restart, dedupe keys are rebuilt from the raw table's committed
// rows that can still matter (event time >= watermark - horizon). Windows
// are not state of this stage: it only judges each row (late or not) and
// records in the raw commit's meta ("late_rows") the rows some of whose
// windows were closed when they arrived; the WindowFinalizer
// (window_finalizer.h) computes the windows from the committed raw rows.
// Late rows under the side-table policy go to the late table, committed just
// before the raw commit with source positions of its own (fenced by claims
// like the raw table's): a record whose late rows a late commit already
// holds (its raw commit never happened) adds none again
// (ARCHITECTURE.md "The late side table with several workers").
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

inline constexpr const char* kLateRowsMetaKey = "late_rows";

// The lake config of a table derived from the raw table (windows, late
// rows): the raw table's settings, partitioned by hour of column `ts`.
LakeSinkConfig derived_table_config(const LakeSinkConfig& raw, const std::string& table,
                                    const std::string& ts);

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

  // Just before the raw commit of positions up to `end_offsets`: commits the
  // late table (if it holds rows) with the positions of the same streams from
  // where the late table stands to `end_offsets`; adds watermark state and the
  // late rows to `meta`. Throws StaleWriterError if another process claimed
  // one of those streams in the late table.
  void before_commit(const SourceOffsets& end_offsets, std::map<std::string, std::string>& meta,
                     int64_t now_ms);
  // After the raw commit: forgets dedupe keys behind the watermark.
  void after_commit();

  // Scale-out (ARCHITECTURE.md "Dedupe state moves with the partition").
  // Streams assigned to this process (claimed in the late table first, if
  // any; their late positions are the late table's as of that claim): each one's event-time maximum
  // is restored from the latest raw commit that covered it (whoever wrote it; also for a stream
  // known already, whose maximum may be stale), and if one changed, the dedupe keys that can still
  // matter are read back from the committed rows, as open() does after a restart. Call after the
  // streams were claimed in the raw table and before any of their rows is processed.
  void adopt(const std::vector<std::string>& streams, const std::string& raw_table_dir,
             int64_t now_ms);
  // Streams taken away (after their last commit): their maxima are forgotten.
  void release(const std::vector<std::string>& streams);
  // The finalizer of this process committed every window closed at
  // `watermark` (`windows` of them this time): no row is judged against
  // less from now on (a row of a stream that was idle stays out of windows
  // already committed and is late, as with windows emitted here before).
  void note_finalized(int64_t watermark, int64_t windows);

  // One entry of a raw commit's meta "late_rows": `count` rows with this
  // WindowOperator::row_signature, judged against `watermark` (some of
  // their windows were closed). Throws nlohmann::json::exception if malformed.
  struct LateRecord {
    std::string signature;
    int64_t time = 0;
    int64_t watermark = 0;
    int64_t count = 0;
  };
  static std::vector<LateRecord> parse_late_rows(const std::string& text);

  int64_t watermark() const { return tracker_.current(); }
  const EventTimeStats& stats() const { return stats_; }
  // Windows live in the finalizer's table, none in this stage.
  size_t open_windows() const { return 0; }
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
  std::unique_ptr<LakeWriter> late_lake_;
  // Per stream: the late table's end position (its own last commit, or as of
  // open() or the stream's claim). Late rows of records before it are in the
  // late table already (a late commit whose raw commit never happened).
  SourceOffsets late_pos_;
  std::optional<RecordBatch> kept_;
  std::optional<RecordBatch> late_rows_;
  std::vector<uint32_t> keep_, late_;
  // Per row of the batch being processed: the watermark it is judged against.
  std::vector<int64_t> row_watermark_, row_window_watermark_, kept_watermark_, running_max_;
  // The highest pipeline watermark already applied (dedupe state evicted):
  // no row is judged against less for dedupe.
  int64_t floor_ = kNoWatermark;
  // The highest table watermark this process's finalizer committed windows
  // up to: a row behind it is late (its windows are in the table already).
  // Not floor_: that is this worker's own pipeline watermark, which depends
  // on the streams it happens to read; a window verdict must not (a stream
  // taken over from another worker may lag behind this worker's others).
  int64_t window_floor_ = kNoWatermark;
  // Rows of the pending raw commit some of whose windows were closed, by
  // (signature, watermark): the commit's meta "late_rows".
  struct LateRow {
    int64_t time = 0;
    int64_t count = 0;
  };
  std::map<std::pair<std::string, int64_t>, LateRow> late_rows_meta_;
  EventTimeStats stats_;
};

}  // namespace sluice
