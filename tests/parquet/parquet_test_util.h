// Shared helpers for the Parquet encoder tests: a schema with every column
// type, deterministic batch builders, writing slices to a file, and the
// expected rows flattened to text for value-by-value comparison with readers.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "../support/temp_dir.h"
#include "core/batch.h"
#include "formats/parquet/parquet_writer.h"
#include "sinks/lake/duckdb_handle.h"

namespace sluice::parquet::testing {

using testsupport::TempDir;

// Every column type, plus high-cardinality unicode strings and all-null columns.
inline OutputSchema test_schema() {
  return {{"s", ColumnType::kString},      {"i32", ColumnType::kInt32},
          {"i64", ColumnType::kInt64},     {"d", ColumnType::kDouble},
          {"b", ColumnType::kBool},        {"ts", ColumnType::kTimestamp},
          {"u", ColumnType::kString},      {"null_i", ColumnType::kInt64},
          {"null_s", ColumnType::kString}, {"null_d", ColumnType::kDouble},
          {"null_b", ColumnType::kBool}};
}

// Appends `rows` rows to `batch` (of test_schema()); `first` numbers them so
// that batches built one after the other have distinct unique strings.
inline void fill_batch(RecordBatch& batch, size_t rows, uint64_t first, uint32_t seed) {
  std::mt19937_64 rng(seed);
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  const char* unicode[] = {"héllo", "日本語", "🙂", "ü", "Ωmega", "naïve"};
  for (size_t i = 0; i < rows; ++i) {
    const uint64_t n = first + i;
    auto& c = batch.columns;
    if (chance(10)) {
      c[0].push_null();
    } else if (chance(3)) {
      c[0].push_string("");
    } else {
      c[0].push_string("/product/item-" + std::to_string(rng() % 50));
    }
    if (chance(10)) {
      c[1].push_null();
    } else {
      const int pick = static_cast<int>(rng() % 20);
      c[1].push_int32(pick == 0   ? INT32_MIN
                      : pick == 1 ? INT32_MAX
                                  : static_cast<int32_t>(rng() % 2000) - 1000);
    }
    if (chance(10)) {
      c[2].push_null();
    } else {
      c[2].push_int64(
          static_cast<int64_t>(rng()));  // all distinct: fallback past a small dictionary
    }
    if (chance(10)) {
      c[3].push_null();
    } else {
      const int pick = static_cast<int>(rng() % 50);
      c[3].push_double(
          pick == 0   ? std::nan("")
          : pick == 1 ? -0.0
          : pick == 2 ? INFINITY
                      : static_cast<double>(static_cast<int64_t>(rng() % 100000) - 50000) / 7.0);
    }
    if (chance(10)) {
      c[4].push_null();
    } else {
      c[4].push_bool(chance(50));
    }
    if (chance(5)) {
      c[5].push_null();
    } else {
      c[5].push_int64(1735689600000000LL + static_cast<int64_t>(n) * 1234567 -
                      5000000000000LL * (n % 3 == 0));
    }
    c[6].push_string(std::string(unicode[n % 6]) + "-" + std::to_string(n) + "-" +
                     unicode[(n / 6) % 6]);
    c[7].push_null();
    c[8].push_null();
    c[9].push_null();
    c[10].push_null();
  }
}

inline RecordBatch make_batch(const OutputSchema& schema, size_t rows, uint64_t first,
                              uint32_t seed) {
  RecordBatch batch(schema);
  fill_batch(batch, rows, first, seed);
  return batch;
}

// Writes the slices as row groups (one call per group) and closes the file.
inline void write_file(const std::string& path, const OutputSchema& schema,
                       const WriterOptions& options,
                       const std::vector<std::vector<Slice>>& row_groups) {
  FileSink sink(path);
  FileWriter writer(schema, options, sink);
  for (const auto& group : row_groups) writer.write_row_group(group);
  writer.close();
  sink.close();
}

// One expected cell as text: NULL, decimal integers, doubles as their bit
// pattern in hex (so NaN and -0.0 compare exactly; "nan" for any NaN), bools
// as true/false, timestamps as epoch microseconds, strings as they are.
inline std::string double_text(double d) {
  if (std::isnan(d)) return "nan";
  return "d:" + std::to_string(std::bit_cast<uint64_t>(d));
}

inline std::string cell_text(const Column& column, size_t row) {
  if (column.is_null(row)) return "NULL";
  switch (column.type()) {
    case ColumnType::kString:
      return std::string(column.string_at(row));
    case ColumnType::kInt32:
      return std::to_string(column.int32_at(row));
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      return std::to_string(column.int64_at(row));
    case ColumnType::kDouble:
      return double_text(column.double_at(row));
    case ColumnType::kBool:
      return column.bool_at(row) ? "true" : "false";
  }
  return "?";
}

// The rows of the slices (in order) as text cells: rows x columns.
inline std::vector<std::vector<std::string>> expected_rows(
    const std::vector<std::vector<Slice>>& row_groups) {
  std::vector<std::vector<std::string>> out;
  for (const auto& group : row_groups) {
    for (const Slice& s : group) {
      for (uint32_t r = s.begin; r < s.end; ++r) {
        std::vector<std::string> row;
        for (const Column& c : s.batch->columns) row.push_back(cell_text(c, r));
        out.push_back(std::move(row));
      }
    }
  }
  return out;
}

// Reads `path` with DuckDB's read_parquet, every cell as text like cell_text().
inline std::vector<std::vector<std::string>> duckdb_rows(const std::string& path,
                                                         const OutputSchema& schema) {
  DuckDb db(1);
  std::string select;
  for (const ColumnSpec& c : schema) {
    if (!select.empty()) select += ", ";
    const std::string q = "\"" + c.name + "\"";
    select += c.type == ColumnType::kTimestamp ? "epoch_us(" + q + ")" : q;
  }
  DuckResult r;
  db.query("SELECT " + select + " FROM read_parquet(" + sql_quote(path) + ")", r);
  std::vector<std::vector<std::string>> out;
  for (size_t row = 0; row < r.rows(); ++row) {
    std::vector<std::string> cells;
    for (size_t col = 0; col < schema.size(); ++col) {
      if (r.is_null(col, row)) {
        cells.push_back("NULL");
        continue;
      }
      switch (schema[col].type) {
        case ColumnType::kString:
          cells.push_back(r.string_at(col, row));
          break;
        case ColumnType::kInt32:
        case ColumnType::kInt64:
        case ColumnType::kTimestamp:
          cells.push_back(std::to_string(r.int64_at(col, row)));
          break;
        case ColumnType::kDouble:
          cells.push_back(double_text(r.double_at(col, row)));
          break;
        case ColumnType::kBool:
          cells.push_back(r.bool_at(col, row) ? "true" : "false");
          break;
      }
    }
    out.push_back(std::move(cells));
  }
  return out;
}

// Compares row by row, reporting the first few differing cells by position.
inline void expect_same_rows(const std::vector<std::vector<std::string>>& want,
                             const std::vector<std::vector<std::string>>& got,
                             const OutputSchema& schema, const std::string& reader) {
  ASSERT_EQ(got.size(), want.size()) << reader << ": row count";
  int reported = 0;
  for (size_t r = 0; r < want.size() && reported < 10; ++r) {
    ASSERT_EQ(got[r].size(), want[r].size()) << reader << ": columns in row " << r;
    for (size_t c = 0; c < want[r].size(); ++c) {
      if (got[r][c] != want[r][c]) {
        ADD_FAILURE() << reader << ": row " << r << " column " << schema[c].name << ": got '"
                      << got[r][c].substr(0, 200) << "' want '" << want[r][c].substr(0, 200) << "'";
        if (++reported >= 10) break;
      }
    }
  }
}

}  // namespace sluice::parquet::testing
