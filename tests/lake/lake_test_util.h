// Shared helpers for the lake tests: a temp directory, a sample schema and
// batch builder, and DuckDB read-back queries.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>

#include "../support/temp_dir.h"
#include "config/pipeline.h"
#include "core/batch.h"
#include "core/time.h"
#include "sinks/lake/duckdb_handle.h"

namespace sluice::testing {

using testsupport::TempDir;

// s VARCHAR, i32 INTEGER, i64 BIGINT, d DOUBLE, b BOOLEAN, ts TIMESTAMP
inline OutputSchema all_types_schema() {
  return {{"s", ColumnType::kString}, {"i32", ColumnType::kInt32}, {"i64", ColumnType::kInt64},
          {"d", ColumnType::kDouble}, {"b", ColumnType::kBool},    {"ts", ColumnType::kTimestamp}};
}

inline TimestampMicros ts_of(const char* iso) {
  return *parse_iso8601(iso);
}

// Appends one row to a batch of all_types_schema(); nullopt pushes NULL.
inline void add_row(RecordBatch& b, std::optional<std::string> s, std::optional<int32_t> i32,
                    int64_t i64, std::optional<double> d, std::optional<bool> flag,
                    std::optional<TimestampMicros> ts) {
  s ? b.columns[0].push_string(*s) : b.columns[0].push_null();
  i32 ? b.columns[1].push_int32(*i32) : b.columns[1].push_null();
  b.columns[2].push_int64(i64);
  d ? b.columns[3].push_double(*d) : b.columns[3].push_null();
  flag ? b.columns[4].push_bool(*flag) : b.columns[4].push_null();
  ts ? b.columns[5].push_int64(*ts) : b.columns[5].push_null();
}

inline std::vector<PartitionKey> hourly_keys() {
  return {{"year", "ts", PartitionKey::kYear},
          {"month", "ts", PartitionKey::kMonth},
          {"day", "ts", PartitionKey::kDay},
          {"hour", "ts", PartitionKey::kHour}};
}

inline LakeSinkConfig lake_config(const std::string& root, std::vector<PartitionKey> keys) {
  LakeSinkConfig c;
  c.path = root;
  c.table = "events";
  c.partition_by = std::move(keys);
  c.commit_interval_ms = 1000000;
  return c;
}

// Runs a query whose first row, first column is an integer.
inline int64_t query_int(DuckDb& db, const std::string& sql) {
  DuckResult r;
  db.query(sql, r);
  EXPECT_EQ(r.rows(), 1u) << sql;
  return r.rows() ? r.int64_at(0, 0) : -1;
}

inline std::string glob_of(const std::string& table_dir) {
  return sql_quote(table_dir + "/**/*.parquet");
}

// Number of rows a plain glob over the table sees.
inline int64_t glob_rows(const std::string& table_dir) {
  bool any = false;
  for (const auto& e : std::filesystem::recursive_directory_iterator(table_dir)) {
    if (e.path().extension() == ".parquet") any = true;
  }
  if (!any) return 0;
  DuckDb db(1);
  return query_int(db, "SELECT count(*) FROM read_parquet(" + glob_of(table_dir) + ")");
}

// Number of entries in a directory (0 if it does not exist).
inline size_t count_files(const std::string& dir) {
  if (!std::filesystem::exists(dir)) return 0;
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                           std::filesystem::directory_iterator()));
}

}  // namespace sluice::testing
