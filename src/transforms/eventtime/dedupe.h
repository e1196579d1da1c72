// Drops rows whose key was already seen within an event-time horizon.
// State (key -> event time) is evicted once the watermark passes an entry's
// event time + horizon, so memory stays bounded over an unbounded stream.
//
// Whether a row is a duplicate depends only on the rows before it and on the
// watermark that held when it arrived (its own, passed per row): a key whose
// entry is older than that watermark - horizon counts as unseen, whether or
// not eviction has run yet. So batch boundaries and eviction timing never
// change the answer.
//
// Threading: single-threaded (the runner's writer thread).
#pragma once

#include <cstdint>
#include <queue>
#include <string>
#include <vector>

#include "core/batch.h"
#include "transforms/eventtime/key_set.h"

namespace sluice {

class Deduper {
 public:
  Deduper(std::vector<int> key_columns, int timestamp_column, int64_t horizon_us);

  // Appends to `keep` the rows of `in` to keep (first sightings), in order.
  // Rows already seen within the horizon are counted in dropped().
  // `watermarks[r]` is the watermark row r is judged against (kNoWatermark:
  // none yet); an entry with event time + horizon < it has expired.
  void filter(const RecordBatch& in, const int64_t* watermarks, std::vector<uint32_t>& keep);
  // Records row `row` as seen without checking (rebuilding state).
  void remember(const RecordBatch& in, size_t row);
  // Forgets entries with event time + horizon < watermark.
  void evict(int64_t watermark);

  size_t size() const { return seen_.size(); }
  int64_t dropped() const { return dropped_; }

 private:
  bool expired(int64_t time, int64_t watermark) const;
  void key_of(const RecordBatch& in, size_t row, std::string& key) const;
  int64_t time_of(const RecordBatch& in, size_t row) const;

  std::vector<int> keys_;
  int ts_;
  int64_t horizon_us_;
  KeySet seen_;
  // (event time, the stored key), earliest on top.
  using Entry = std::pair<int64_t, const KeySet::Key*>;
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const { return a.first > b.first; }
  };
  std::priority_queue<Entry, std::vector<Entry>, Later> by_time_;
  int64_t dropped_ = 0;
  std::string scratch_;
};

}  // namespace sluice
