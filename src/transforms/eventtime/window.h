// Tumbling and hopping event-time windows with count/sum/avg/min/max and
// exact quantiles, grouped by key columns. A window is emitted exactly once,
// when the watermark passes its end plus the allowed lateness; rows that only
// belong to already-closed windows are reported as late.
//
// Quantiles are exact: every value of an open window is kept, and pNN is
// computed like DuckDB's quantile_cont (linear interpolation between the two
// nearest ranks, position q * (n - 1)).
//
// Threading: single-threaded (the runner's writer thread).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/pipeline.h"
#include "core/batch.h"

namespace sluice {

class WindowOperator {
 public:
  // `input` is the raw table's schema; throws std::invalid_argument naming a
  // group_by or aggregate column that does not exist or is not numeric.
  WindowOperator(const WindowConfig& config, const OutputSchema& input, int timestamp_column);

  // window_start, window_end, the group columns, the aggregates, processing_time.
  const OutputSchema& output_schema() const { return out_schema_; }

  // Adds the selected rows of `in` to their open windows. Rows whose every
  // window has closed (end + lateness <= the row's watermark) go to `late`
  // instead. `watermarks[r]` is the watermark row r of `in` is judged
  // against: the one that held before it arrived, so a row is never made
  // late by rows that came after it.
  void add(const RecordBatch& in, const std::vector<uint32_t>& rows, const int64_t* watermarks,
           std::vector<uint32_t>& late);
  // The same with one watermark for every row (rebuilding state).
  void add(const RecordBatch& in, const std::vector<uint32_t>& rows, int64_t watermark,
           std::vector<uint32_t>& late);
  // Moves every window with end + lateness <= watermark into `out` (built on
  // output_schema()), ordered by window start then group; returns how many.
  size_t emit(int64_t watermark, int64_t processing_time, RecordBatch& out);

  // Drops every window with end + lateness <= watermark unemitted (the
  // finalizer: windows an earlier finalization already committed).
  void discard_closed(int64_t watermark);

  size_t open_windows() const { return windows_.size(); }
  // True if every window holding event time `t` is closed at `watermark`.
  // (The latest of them, starting at the slide boundary at or before t, ends last.)
  bool all_closed(int64_t t, int64_t watermark) const {
    return closed(floor_div(t, slide_us_) * slide_us_, watermark);
  }
  // True if some window holding event time `t` is closed at `watermark`
  // (the earliest of them, starting after t - size, ends first). For
  // tumbling windows the same as all_closed().
  bool any_closed(int64_t t, int64_t watermark) const {
    const int64_t last = floor_div(t, slide_us_) * slide_us_;
    const int64_t steps = (last - (t - size_us_) - 1) / slide_us_;  // earlier starts > t - size
    return closed(last - steps * slide_us_, watermark);
  }
  // The values of row `row` that the windows read (event time, group
  // columns, aggregate inputs) as bytes: rows with equal signatures are
  // interchangeable for every window result.
  std::string row_signature(const RecordBatch& in, size_t row) const;
  // Earliest window start that a row with event time >= this may still join,
  // for rebuilding state: rows older than this belong to closed windows.
  int64_t rebuild_from(int64_t watermark) const;

 private:
  struct Acc {
    int64_t count = 0;
    std::vector<double> sum, min, max;
    std::vector<int64_t> n;                   // non-null inputs per aggregate
    std::vector<std::vector<double>> values;  // quantile inputs
  };
  static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
  uint32_t group_id(const RecordBatch& in, size_t row);
  void accumulate(Acc& acc, const RecordBatch& in, size_t row);
  bool closed(int64_t start, int64_t watermark) const {
    return start + size_us_ + lateness_us_ <= watermark;
  }

  WindowConfig config_;
  int64_t size_us_, slide_us_, lateness_us_;
  int ts_;
  std::vector<int> group_cols_;
  std::vector<int> agg_cols_;  // -1 for count
  OutputSchema group_schema_;
  OutputSchema out_schema_;
  RecordBatch groups_;  // one row per distinct group key
  std::unordered_map<std::string, uint32_t> group_index_;
  std::map<std::pair<int64_t, uint32_t>, Acc> windows_;  // (start, group) -> state
  std::string scratch_;
};

}  // namespace sluice
