#include "sinks/lake/partition.h"

#include <fmt/format.h>

#include <climits>
#include <cstring>

#include "core/error.h"
#include "core/time.h"

namespace sluice {

namespace {

bool is_safe_byte(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// FNV-1a 64: stable across builds and platforms, unlike std::hash.
uint64_t stable_hash(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

void append_two_digits(std::string& out, int v) {
  out += static_cast<char>('0' + (v / 10) % 10);
  out += static_cast<char>('0' + v % 10);
}

std::string value_text(const Column& column, size_t row) {
  switch (column.type()) {
    case ColumnType::kString:
      return std::string(column.string_at(row));
    case ColumnType::kInt32:
      return std::to_string(column.int32_at(row));
    case ColumnType::kInt64:
      return std::to_string(column.int64_at(row));
    case ColumnType::kDouble:
      return fmt::format("{}", column.double_at(row));
    case ColumnType::kBool:
      return column.bool_at(row) ? "true" : "false";
    case ColumnType::kTimestamp:
      return format_iso8601(column.int64_at(row));
  }
  return {};
}

}  // namespace

std::string sanitize_partition_value(std::string_view value) {
  if (value.empty()) return std::string(kHiveDefaultPartition);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (is_safe_byte(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (out == ".") out = "%2E";
  if (out == "..") out = "%2E%2E";
  if (out.size() > kMaxPartitionValueBytes) {
    // Cut on a character boundary of the encoding (never inside "%XX").
    size_t keep = kMaxPartitionValueBytes - 17;
    if (keep >= 1 && out[keep - 1] == '%')
      keep -= 1;
    else if (keep >= 2 && out[keep - 2] == '%')
      keep -= 2;
    out.resize(keep);
    out += fmt::format("_{:016x}", stable_hash(value));
  }
  return out;
}

Partitioner::Partitioner(const std::vector<PartitionKey>& keys, const OutputSchema& schema,
                         const std::string& timestamp_column) {
  auto find = [&](const std::string& name) -> int {
    for (size_t i = 0; i < schema.size(); ++i) {
      if (schema[i].name == name) return static_cast<int>(i);
    }
    return -1;
  };
  for (const auto& key : keys) {
    Key k;
    k.kind = key.kind;
    k.dir_name = sanitize_partition_value(key.name);
    if (key.kind == PartitionKey::kField) {
      k.column = find(key.field);
      if (k.column < 0) {
        throw RuntimeError("lake: partition key '" + key.name + "' names unknown column '" +
                           key.field + "'");
      }
    } else {
      const std::string& column = timestamp_column.empty() ? key.field : timestamp_column;
      k.column = find(column);
      if (k.column < 0) {
        throw RuntimeError("lake: partition key '" + key.name + "' needs timestamp column '" +
                           column + "', which is not in the output schema");
      }
      ColumnType type = schema[k.column].type;
      if (type != ColumnType::kTimestamp && type != ColumnType::kInt64) {
        throw RuntimeError("lake: partition key '" + key.name + "': column '" + column +
                           "' is not a timestamp");
      }
    }
    keys_.push_back(std::move(k));
  }
}

namespace {
int64_t hour_of(int64_t ts) {
  return ts >= 0 ? ts / 3600000000LL : (ts - 3599999999LL) / 3600000000LL;
}

bool same_value(const Column& column, size_t a, size_t b) {
  bool null_a = column.is_null(a);
  if (null_a || column.is_null(b)) return null_a == column.is_null(b);
  switch (column.type()) {
    case ColumnType::kString:
      return column.string_at(a) == column.string_at(b);
    case ColumnType::kInt32:
      return column.int32_at(a) == column.int32_at(b);
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      return column.int64_at(a) == column.int64_at(b);
    case ColumnType::kDouble: {  // equal bits print equally
      double x = column.double_at(a), y = column.double_at(b);
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case ColumnType::kBool:
      return column.bool_at(a) == column.bool_at(b);
  }
  return false;
}
}  // namespace

bool Partitioner::same_partition(const RecordBatch& batch, size_t a, size_t b) const {
  for (const Key& key : keys_) {
    const Column& column = batch.columns[key.column];
    if (key.kind == PartitionKey::kField) {
      if (!same_value(column, a, b)) return false;
      continue;
    }
    bool null_a = column.is_null(a);
    if (null_a || column.is_null(b)) {
      if (null_a != column.is_null(b)) return false;
      continue;
    }
    if (hour_of(column.int64_at(a)) != hour_of(column.int64_at(b))) return false;
  }
  return true;
}

void Partitioner::key_of(const RecordBatch& batch, size_t row, std::string& key) const {
  key.clear();
  int last_calendar_column = -1;
  for (const Key& k : keys_) {
    if (k.kind != PartitionKey::kField) {
      // Every calendar key follows from the hour of its column.
      if (k.column == last_calendar_column) continue;
      last_calendar_column = k.column;
    }
    const Column& column = batch.columns[k.column];
    if (column.is_null(row)) {
      key.push_back('\0');
      continue;
    }
    key.push_back('\1');
    if (k.kind != PartitionKey::kField) {
      const int64_t hour = hour_of(column.int64_at(row));
      key.append(reinterpret_cast<const char*>(&hour), sizeof hour);
      continue;
    }
    if (column.type() == ColumnType::kString) {
      std::string_view v = column.string_at(row);
      const uint32_t n = static_cast<uint32_t>(v.size());
      key.append(reinterpret_cast<const char*>(&n), sizeof n);
      key.append(v);
    } else {
      key.append(reinterpret_cast<const char*>(column.fixed_data() + row * column.width()),
                 column.width());
    }
  }
}

void Partitioner::path_of(const RecordBatch& batch, size_t row, std::string& out) {
  out.clear();
  for (const Key& key : keys_) {
    if (!out.empty()) out += '/';
    out += key.dir_name;
    out += '=';
    const Column& column = batch.columns[key.column];
    if (column.is_null(row)) {
      out += kHiveDefaultPartition;
      continue;
    }
    if (key.kind == PartitionKey::kField) {
      out += sanitize_partition_value(value_text(column, row));
      continue;
    }
    int64_t ts = column.int64_at(row);
    int64_t hour = hour_of(ts);
    if (hour != cached_hour_) {
      cached_civil_ = to_civil(ts);
      cached_hour_ = hour;
    }
    switch (key.kind) {
      case PartitionKey::kYear:
        out += std::to_string(cached_civil_.year);
        break;
      case PartitionKey::kMonth:
        append_two_digits(out, cached_civil_.month);
        break;
      case PartitionKey::kDay:
        append_two_digits(out, cached_civil_.day);
        break;
      case PartitionKey::kHour:
        append_two_digits(out, cached_civil_.hour);
        break;
      case PartitionKey::kField:
        break;
    }
  }
}

}  // namespace sluice
