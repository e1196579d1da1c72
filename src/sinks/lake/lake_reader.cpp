#include "sinks/lake/lake_reader.h"

#include <duckdb.h>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/time.h"
#include "duck/chunk_batch.h"
#include "sinks/lake/duckdb_handle.h"
#include "sinks/lake/lake_writer.h"

namespace sluice {

namespace {

// Hour partitions end at hour start + 1 h; other layouts are always read.
bool partition_may_hold(const std::string& partition, int64_t min_ts) {
  int y = 0, mo = 0, d = 0, h = 0;
  if (std::sscanf(partition.c_str(), "year=%d/month=%d/day=%d/hour=%d", &y, &mo, &d, &h) != 4)
    return true;
  int64_t start =
      (days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600) *
      1000000LL;
  return start + 3600LL * 1000000 > min_ts;
}

}  // namespace

RecordBatch read_committed_rows(const std::string& table_dir, const OutputSchema& schema,
                                const std::string& timestamp_column, int64_t min_ts) {
  RecordBatch out(schema);
  std::string files;
  auto entries = read_commit_log(table_dir);
  std::set<std::string> removed;
  for (const auto& entry : entries) removed.insert(entry.removed.begin(), entry.removed.end());
  for (const auto& entry : entries) {
    for (const auto& f : entry.files) {
      if (removed.count(f.path) || !partition_may_hold(f.partition, min_ts)) continue;
      if (!files.empty()) files += ",";
      files += sql_quote(table_dir + "/" + f.path);
    }
  }
  if (files.empty()) return out;
  std::string cols;
  for (const auto& c : schema) cols += (cols.empty() ? "\"" : ", \"") + c.name + "\"";
  std::string sql =
      fmt::format("SELECT {} FROM read_parquet([{}]) WHERE epoch_us(\"{}\") >= {}::BIGINT", cols,
                  files, timestamp_column, min_ts);
  DuckDb db(0);  // DuckDB's default thread count
  DuckResult res;
  try {
    db.query(sql, res);
  } catch (const RuntimeError& e) {
    throw RuntimeError(std::string("lake reader: ") + e.what());
  }
  try {
    append_result(res.get(), out);
  } catch (const RuntimeError& e) {
    throw RuntimeError(std::string("lake reader: ") + e.what());
  }
  return out;
}

int rollback_commits_after(const std::string& table_dir, const std::string& key, int64_t limit) {
  auto entries = read_commit_log(table_dir);
  int removed = 0;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    auto m = it->meta.find(key);
    if (m == it->meta.end() || std::stoll(m->second) <= limit) break;
    std::error_code ec;
    for (const auto& f : it->files) {
      std::filesystem::remove(table_dir + "/" + f.path, ec);
      if (!f.staging.empty()) std::filesystem::remove(table_dir + "/" + f.staging, ec);
    }
    std::filesystem::remove(fmt::format("{}/_sluice_log/{:020d}.json", table_dir, it->seq), ec);
    if (ec) throw RuntimeError("lake rollback: " + ec.message());
    ++removed;
  }
  return removed;
}

}  // namespace sluice
