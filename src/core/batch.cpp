#include "core/batch.h"

#include <algorithm>
#include <cstring>

namespace sluice {

const char* column_type_name(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return "string";
    case ColumnType::kInt32:
      return "int32";
    case ColumnType::kInt64:
      return "int64";
    case ColumnType::kDouble:
      return "double";
    case ColumnType::kBool:
      return "bool";
    case ColumnType::kTimestamp:
      return "timestamp";
  }
  return "?";
}

const char* column_sql_type(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return "VARCHAR";
    case ColumnType::kInt32:
      return "INTEGER";
    case ColumnType::kInt64:
      return "BIGINT";
    case ColumnType::kDouble:
      return "DOUBLE";
    case ColumnType::kBool:
      return "BOOLEAN";
    case ColumnType::kTimestamp:
      return "TIMESTAMP";
  }
  return "VARCHAR";
}

size_t Column::width() const {
  switch (type_) {
    case ColumnType::kString:
      return 0;
    case ColumnType::kInt32:
      return 4;
    case ColumnType::kInt64:
      return 8;
    case ColumnType::kDouble:
      return 8;
    case ColumnType::kBool:
      return 1;
    case ColumnType::kTimestamp:
      return 8;
  }
  return 0;
}

void Column::reserve(size_t rows) {
  valid_.reserve(rows);
  if (type_ == ColumnType::kString) {
    offsets_.reserve(rows + 1);
  } else {
    fixed_.reserve(rows * width());
  }
}

void Column::reserve_more(size_t rows, size_t chars) {
  valid_.reserve(valid_.size() + rows);
  if (type_ == ColumnType::kString) {
    offsets_.reserve(offsets_.size() + rows);
    chars_.reserve(chars_.size() + chars);
  } else {
    fixed_.reserve(fixed_.size() + rows * width());
  }
}

void Column::clear() {
  valid_.clear();
  fixed_.clear();
  offsets_.clear();
  offsets_.push_back(0);
  chars_.clear();
}

void Column::push_null() {
  valid_.push_back(0);
  if (type_ == ColumnType::kString) {
    offsets_.push_back(static_cast<uint32_t>(chars_.size()));
  } else {
    fixed_.append_fill(0, width());
  }
}

void Column::push_from(const Column& other, size_t row) {
  if (other.is_null(row)) {
    push_null();
  } else if (type_ == ColumnType::kString) {
    push_string(other.string_at(row));
  } else {
    push_fixed(other.fixed_.data() + row * width(), width());
  }
}

void Column::append_range(const Column& other, size_t begin, size_t end) {
  if (begin >= end) return;
  valid_.append(other.valid_.data() + begin, end - begin);
  if (type_ == ColumnType::kString) {
    const uint32_t from = other.offsets_[begin];
    const uint32_t to = other.offsets_[end];
    const uint32_t base = static_cast<uint32_t>(chars_.size());
    chars_.append(other.chars_.data() + from, to - from);
    const size_t at = offsets_.size();
    offsets_.resize(at + (end - begin));
    uint32_t* out = offsets_.data() + at;
    for (size_t r = begin + 1; r <= end; ++r) *out++ = base + (other.offsets_[r] - from);
  } else {
    const size_t w = width();
    fixed_.append(other.fixed_.data() + begin * w, (end - begin) * w);
  }
}

namespace {
template <typename T>
void gather_fixed(uint8_t* out, const uint8_t* in, const uint32_t* rows, size_t n) {
  for (size_t i = 0; i < n; ++i)
    std::memcpy(out + i * sizeof(T), in + rows[i] * sizeof(T), sizeof(T));
}
}  // namespace

void Column::append_rows(const Column& other, const uint32_t* rows, size_t n) {
  if (n == 0) return;
  const size_t at = valid_.size();
  valid_.resize(at + n);
  uint8_t* valid = valid_.data() + at;
  const uint8_t* other_valid = other.valid_.data();
  for (size_t i = 0; i < n; ++i) valid[i] = other_valid[rows[i]];
  if (type_ == ColumnType::kString) {
    const uint32_t* off = other.offsets_.data();
    size_t total = 0;
    for (size_t i = 0; i < n; ++i) total += off[rows[i] + 1] - off[rows[i]];
    const size_t base = chars_.size();
    offsets_.resize(at + 1 + n);
    if (total == 0) {  // all empty or null: no bytes to copy (chars_ may be unallocated)
      std::fill(offsets_.begin() + at + 1, offsets_.end(), static_cast<uint32_t>(base));
      return;
    }
    chars_.resize(base + total);
    char* out = chars_.data() + base;
    const char* in = other.chars_.data();
    uint32_t* out_off = offsets_.data() + at + 1;
    uint32_t pos = static_cast<uint32_t>(base);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t from = off[rows[i]];
      const uint32_t len = off[rows[i] + 1] - from;
      std::memcpy(out, in + from, len);
      out += len;
      pos += len;
      out_off[i] = pos;
    }
    return;
  }
  const size_t w = width();
  const size_t base = fixed_.size();
  fixed_.resize(base + n * w);
  uint8_t* out = fixed_.data() + base;
  const uint8_t* in = other.fixed_.data();
  switch (w) {
    case 1:
      for (size_t i = 0; i < n; ++i) out[i] = in[rows[i]];
      break;
    case 4:
      gather_fixed<uint32_t>(out, in, rows, n);
      break;
    default:
      gather_fixed<uint64_t>(out, in, rows, n);
      break;
  }
}

void RecordBatch::append_rows(const RecordBatch& other, const uint32_t* rows, size_t n) {
  for (size_t c = 0; c < columns.size(); ++c) columns[c].append_rows(other.columns[c], rows, n);
}

void RecordBatch::append_range(const RecordBatch& other, size_t begin, size_t end) {
  for (size_t c = 0; c < columns.size(); ++c) columns[c].append_range(other.columns[c], begin, end);
}

RecordBatch::RecordBatch(const OutputSchema& s) : schema(&s) {
  columns.reserve(s.size());
  for (const auto& c : s) columns.emplace_back(c.type);
}

size_t RecordBatch::byte_size() const {
  size_t n = 0;
  for (const auto& c : columns) n += c.byte_size();
  return n;
}

size_t RecordBatch::capacity_bytes() const {
  size_t n = 0;
  for (const auto& c : columns) n += c.capacity_bytes();
  return n;
}

void RecordBatch::clear() {
  for (auto& c : columns) c.clear();
}

int RecordBatch::column_index(std::string_view name) const {
  if (!schema) return -1;
  for (size_t i = 0; i < schema->size(); ++i) {
    if ((*schema)[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

void RecordBatch::append_row(const RecordBatch& other, size_t row) {
  for (size_t c = 0; c < columns.size(); ++c) columns[c].push_from(other.columns[c], row);
}

}  // namespace sluice
