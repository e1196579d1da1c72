#include "sinks/lake/lake_reader.h"

#include <duckdb.h>
#include <fmt/format.h>

#include <cstdio>
#include <optional>
#include <set>

#include "core/error.h"
#include "core/time.h"
#include "duck/chunk_batch.h"
#include "sinks/lake/commit_log.h"
#include "sinks/lake/duckdb_handle.h"
#include "storage/fs_util.h"
#include "storage/storage.h"

namespace sluice {

namespace {

// Hour partitions hold [hour start, + 1 h); other layouts are always read.
bool partition_may_hold(const std::string& partition, int64_t min_ts, int64_t max_ts) {
  int y = 0, mo = 0, d = 0, h = 0;
  if (std::sscanf(partition.c_str(), "year=%d/month=%d/day=%d/hour=%d", &y, &mo, &d, &h) != 4)
    return true;
  int64_t start =
      (days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600) *
      1000000LL;
  return start + 3600LL * 1000000 > min_ts && start < max_ts;
}

}  // namespace

RecordBatch read_committed_rows(storage::Storage& table, const OutputSchema& schema,
                                const std::string& timestamp_column, int64_t min_ts, int64_t max_ts,
                                int64_t max_seq) {
  RecordBatch out(schema);
  std::string files;
  auto entries = read_commit_log(table);
  std::set<std::string> removed;
  for (const auto& entry : entries) {
    if (entry.seq <= max_seq) removed.insert(entry.removed.begin(), entry.removed.end());
  }
  std::optional<lakefs::ScratchDir> scratch;  // remote files, downloaded for this read
  size_t downloaded = 0;
  for (const auto& entry : entries) {
    if (entry.seq > max_seq) continue;
    for (const auto& f : entry.files) {
      if (removed.count(f.path) || !partition_may_hold(f.partition, min_ts, max_ts)) continue;
      std::string path;
      if (auto local = table.local_path(f.path)) {
        path = *local;
      } else {
        if (!scratch) scratch.emplace("sluice-rebuild");
        path = fmt::format("{}/{}.parquet", scratch->path(), downloaded++);
        table.get_to_file(f.path, path);
      }
      if (!files.empty()) files += ",";
      files += sql_quote(path);
    }
  }
  if (files.empty()) return out;
  std::string cols;
  for (const auto& c : schema) cols += (cols.empty() ? "\"" : ", \"") + c.name + "\"";
  std::string sql = fmt::format(
      "SELECT {} FROM read_parquet([{}]) WHERE epoch_us(\"{}\") >= {}::BIGINT AND "
      "epoch_us(\"{}\") < {}::BIGINT",
      cols, files, timestamp_column, min_ts, timestamp_column, max_ts);
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

int rollback_commits_after(storage::Storage& table, const std::string& key, int64_t limit) {
  auto entries = read_commit_log(table);
  int removed = 0;
  std::set<std::string> compacted;  // files merged by compactions newer than the kept commits
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (is_compaction_entry(*it)) {
      compacted.insert(it->removed.begin(), it->removed.end());
      continue;  // kept: it changes no row
    }
    auto m = it->meta.find(key);
    if (m == it->meta.end() || std::stoll(m->second) <= limit) break;
    for (const auto& f : it->files) {
      if (compacted.count(f.path)) {
        throw RuntimeError(fmt::format(
            "lake rollback: commit {} of {} must be rolled back but a later compaction merged "
            "its file {}; compact only closed partitions (--closed-after) of derived tables",
            it->seq, table.url(), f.path));
      }
    }
    for (const auto& f : it->files) {
      table.remove(f.path);
      if (!f.staging.empty()) table.remove(f.staging);
    }
    table.remove(std::string(kLakeLogDir) + "/" + commit_log_name(it->seq));
    ++removed;
  }
  return removed;
}

}  // namespace sluice
