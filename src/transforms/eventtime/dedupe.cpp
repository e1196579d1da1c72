#include "transforms/eventtime/dedupe.h"

#include <cstring>

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

void Deduper::filter(const RecordBatch& in, std::vector<uint32_t>& keep) {
  const size_t n = in.rows();
  for (size_t r = 0; r < n; ++r) {
    key_of(in, r, scratch_);
    auto [key, inserted] = seen_.insert(scratch_);
    if (!inserted) {
      ++dropped_;
      continue;
    }
    by_time_.emplace(time_of(in, r), key);
    keep.push_back(static_cast<uint32_t>(r));
  }
}

void Deduper::remember(const RecordBatch& in, size_t row) {
  key_of(in, row, scratch_);
  auto [key, inserted] = seen_.insert(scratch_);
  if (inserted) by_time_.emplace(time_of(in, row), key);
}

void Deduper::evict(int64_t watermark) {
  while (!by_time_.empty() && by_time_.top().first + horizon_us_ < watermark) {
    seen_.erase(by_time_.top().second);
    by_time_.pop();
  }
}

}  // namespace sluice
