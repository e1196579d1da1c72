// Columnar batches: the unit of work between operators. A batch holds a few
// thousand output rows as one vector per column, so operators loop over
// plain arrays instead of making a call per record.
//
// Threading: a batch is owned by one thread at a time and moved between
// stages; nothing in it is shared or synchronized.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/raw_array.h"

namespace sluice {

// Physical types of output columns (after flattening; no nesting).
enum class ColumnType { kString, kInt32, kInt64, kDouble, kBool, kTimestamp };

const char* column_type_name(ColumnType type);
// DuckDB SQL type name, e.g. "VARCHAR", "TIMESTAMP".
const char* column_sql_type(ColumnType type);

struct ColumnSpec {
  std::string name;
  ColumnType type = ColumnType::kString;
};

using OutputSchema = std::vector<ColumnSpec>;

// One column. Fixed-width values live in `fixed` (int32/int64/double/bool as
// 1 byte/timestamp as int64 micros), strings as offsets into `chars`.
// `valid[i] == 0` means NULL; the value slot then holds zero/empty.
class Column {
 public:
  explicit Column(ColumnType type = ColumnType::kString) : type_(type) {}

  ColumnType type() const { return type_; }
  size_t size() const { return valid_.size(); }

  void reserve(size_t rows);
  // Room for `rows` more rows and, for strings, `chars` more bytes.
  void reserve_more(size_t rows, size_t chars);
  void clear();

  void push_null();
  void push_int32(int32_t v) { push_fixed(&v, sizeof v); }
  void push_int64(int64_t v) { push_fixed(&v, sizeof v); }
  void push_double(double v) { push_fixed(&v, sizeof v); }
  void push_bool(bool v) {
    uint8_t b = v ? 1 : 0;
    push_fixed(&b, 1);
  }
  void push_string(std::string_view s) {
    chars_.append(s.data(), s.size());
    offsets_.push_back(static_cast<uint32_t>(chars_.size()));
    valid_.push_back(1);
  }
  // Appends row `row` of `other` (same type).
  void push_from(const Column& other, size_t row);
  // Appends rows [begin, end) of `other` (same type) with bulk copies.
  void append_range(const Column& other, size_t begin, size_t end);
  // Appends rows rows[0..n) of `other` (same type), in that order: one gather
  // pass (strings: sizes first, then one resize and the copies).
  void append_rows(const Column& other, const uint32_t* rows, size_t n);

  bool is_null(size_t row) const { return valid_[row] == 0; }
  const uint8_t* validity() const { return valid_.data(); }

  int32_t int32_at(size_t row) const { return fixed_at<int32_t>(row); }
  int64_t int64_at(size_t row) const { return fixed_at<int64_t>(row); }
  double double_at(size_t row) const { return fixed_at<double>(row); }
  bool bool_at(size_t row) const { return fixed_[row] != 0; }
  std::string_view string_at(size_t row) const {
    return std::string_view(chars_.data() + offsets_[row], offsets_[row + 1] - offsets_[row]);
  }

  // Raw fixed-width data (size() * width bytes), for bulk copies.
  const uint8_t* fixed_data() const { return fixed_.data(); }
  // Raw string storage: row i is chars_data()[offsets_data()[i] .. offsets_data()[i + 1]).
  const uint32_t* offsets_data() const { return offsets_.data(); }
  const char* chars_data() const { return chars_.data(); }
  size_t chars_size() const { return chars_.size(); }
  size_t width() const;
  // Approximate memory footprint in bytes, for rotation by size.
  size_t byte_size() const {
    return fixed_.size() + chars_.size() + valid_.size() + offsets_.size() * 4;
  }
  // Bytes allocated (vector capacities): what holding the column costs.
  size_t capacity_bytes() const {
    return fixed_.capacity() + chars_.capacity() + valid_.capacity() + offsets_.capacity() * 4;
  }

 private:
  void push_fixed(const void* p, size_t n) {
    fixed_.append(static_cast<const uint8_t*>(p), n);
    valid_.push_back(1);
  }
  template <typename T>
  T fixed_at(size_t row) const {
    T v;
    std::memcpy(&v, fixed_.data() + row * sizeof(T), sizeof(T));
    return v;
  }

  // Growth neither zero-fills nor constructs (core/raw_array.h): the gather
  // passes size a column once and write every slot.
  ColumnType type_;
  RawArray<uint8_t> valid_;
  RawArray<uint8_t> fixed_;
  RawArray<uint32_t> offsets_ = initial_offsets();
  RawArray<char> chars_;

  static RawArray<uint32_t> initial_offsets() {
    RawArray<uint32_t> o;
    o.push_back(0);
    return o;
  }
};

// A set of equally long columns following an OutputSchema.
struct RecordBatch {
  const OutputSchema* schema = nullptr;
  std::vector<Column> columns;

  RecordBatch() = default;
  explicit RecordBatch(const OutputSchema& s);
  size_t rows() const { return columns.empty() ? 0 : columns[0].size(); }
  size_t byte_size() const;
  size_t capacity_bytes() const;  // sum of the columns' capacity_bytes()
  void clear();
  int column_index(std::string_view name) const;  // -1 if absent
  // Appends row `row` of `other` (same schema).
  void append_row(const RecordBatch& other, size_t row);
  // Appends rows [begin, end) of `other` (same schema), column by column.
  void append_range(const RecordBatch& other, size_t begin, size_t end);
  // Appends rows rows[0..n) of `other` (same schema), column by column.
  void append_rows(const RecordBatch& other, const uint32_t* rows, size_t n);
};

}  // namespace sluice
