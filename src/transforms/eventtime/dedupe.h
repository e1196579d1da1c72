// Drops rows whose key was already seen within an event-time horizon.
// State (key -> event time) is evicted once the watermark passes an entry's
// event time + horizon, so memory stays bounded over an unbounded stream.
//
// Threading: single-threaded (the runner's writer thread).
#pragma once

#include <cstdint>
#include <memory_resource>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/batch.h"

namespace sluice {

class Deduper {
 public:
  Deduper(std::vector<int> key_columns, int timestamp_column, int64_t horizon_us);

  // Appends to `keep` the rows of `in` to keep (first sightings), in order.
  // Rows already seen within the horizon are counted in dropped().
  void filter(const RecordBatch& in, std::vector<uint32_t>& keep);
  // Records row `row` as seen without checking (rebuilding state).
  void remember(const RecordBatch& in, size_t row);
  // Forgets entries with event time + horizon < watermark.
  void evict(int64_t watermark);

  size_t size() const { return seen_.size(); }
  int64_t dropped() const { return dropped_; }

 private:
  void key_of(const RecordBatch& in, size_t row, std::pmr::string& key) const;
  int64_t time_of(const RecordBatch& in, size_t row) const;

  std::vector<int> keys_;
  int ts_;
  int64_t horizon_us_;
  // Keys and map nodes come from a pool: one malloc per key is the cost
  // otherwise (keys are longer than the small-string buffer).
  std::pmr::unsynchronized_pool_resource pool_;
  std::pmr::unordered_map<std::pmr::string, int64_t> seen_{&pool_};
  // (event time, the key as stored in seen_: node keys never move).
  using Entry = std::pair<int64_t, const std::pmr::string*>;
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const { return a.first > b.first; }
  };
  std::priority_queue<Entry, std::vector<Entry>, Later> by_time_;  // earliest on top
  int64_t dropped_ = 0;
  std::pmr::string scratch_;
};

}  // namespace sluice
