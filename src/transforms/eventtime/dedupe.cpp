#include "transforms/eventtime/dedupe.h"

#include <cstring>

#include "transforms/eventtime/watermark.h"

namespace sluice {

Deduper::Deduper(std::vector<int> key_columns, int timestamp_column, int64_t horizon_us)
    : keys_(std::move(key_columns)), ts_(timestamp_column), horizon_us_(horizon_us) {}

void Deduper::key_of(const RecordBatch& in, size_t row, std::string& key) const {
  key.clear();
  for (int c : keys_) {
    const Column& col = in.columns[c];
    if (col.is_null(row)) {
      key.push_back('\0');
      continue;
    }
    key.push_back('\1');
    if (col.type() == ColumnType::kString) {
      std::string_view v = col.string_at(row);
      uint32_t n = static_cast<uint32_t>(v.size());
      key.append(reinterpret_cast<const char*>(&n), sizeof n);
      key.append(v);
    } else {
      key.append(reinterpret_cast<const char*>(col.fixed_data() + row * col.width()), col.width());
    }
  }
}

int64_t Deduper::time_of(const RecordBatch& in, size_t row) const {
  const Column& c = in.columns[ts_];
  return c.is_null(row) ? 0 : c.int64_at(row);
}

bool Deduper::expired(int64_t time, int64_t watermark) const {
  return watermark != kNoWatermark && time + horizon_us_ < watermark;
}

void Deduper::filter(const RecordBatch& in, const int64_t* watermarks,
                     std::vector<uint32_t>& keep) {
  const size_t n = in.rows();
  for (size_t r = 0; r < n; ++r) {
    key_of(in, r, scratch_);
    const int64_t t = time_of(in, r);
    auto [key, inserted] = seen_.insert(scratch_, t);
    if (inserted) {
      by_time_.emplace(t, key);
    } else if (!expired(KeySet::stamp(key), watermarks[r])) {
      ++dropped_;
      continue;
    } else if (t > KeySet::stamp(key)) {
      // Expired but not evicted yet: a new first sighting. Stamps only grow,
      // so the older heap entry is recognised as stale when it surfaces.
      KeySet::set_stamp(key, t);
      by_time_.emplace(t, key);
    }
    keep.push_back(static_cast<uint32_t>(r));
  }
}

void Deduper::remember(const RecordBatch& in, size_t row) {
  key_of(in, row, scratch_);
  const int64_t t = time_of(in, row);
  auto [key, inserted] = seen_.insert(scratch_, t);
  if (inserted) {
    by_time_.emplace(t, key);
  } else if (t > KeySet::stamp(key)) {
    KeySet::set_stamp(key, t);
    by_time_.emplace(t, key);
  }
}

void Deduper::evict(int64_t watermark) {
  while (!by_time_.empty() && expired(by_time_.top().first, watermark)) {
    const auto [time, key] = by_time_.top();
    by_time_.pop();
    if (KeySet::stamp(key) == time) seen_.erase(key);  // else a later sighting owns the key
  }
}

}  // namespace sluice
