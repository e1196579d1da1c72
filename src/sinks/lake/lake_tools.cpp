#include "sinks/lake/lake_tools.h"

#include <fmt/format.h>

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "config/pipeline.h"
#include "core/error.h"
#include "core/time.h"
#include "sinks/lake/commit_log.h"
#include "sinks/lake/duckdb_handle.h"
#include "storage/fs_util.h"
#include "storage/location.h"

namespace sluice {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string format_offsets(const SourceOffsets& offsets) {
  std::string out;
  for (const auto& [stream, offset] : offsets) {
    if (!out.empty()) out += ",";
    out += fmt::format("{}@{}", stream, offset);
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::unique_ptr<storage::Storage> open_table(const std::string& table) {
  return storage::open_storage(table, storage::StorageOptions{});
}

std::unique_ptr<storage::Storage> open_lake_storage(const std::string& location,
                                                    const LakeStorageConfig& config) {
  storage::StorageOptions options;
  options.endpoint = config.endpoint;
  options.region = config.region;
  options.path_style = config.path_style;
  options.verify_tls = config.verify_tls;
  return storage::open_storage(location, options);
}

VerifyReport verify_table(const std::string& table_dir) {
  VerifyReport report;
  auto problem = [&](std::string text) {
    report.ok = false;
    report.problems.push_back(std::move(text));
  };
  std::unique_ptr<storage::Storage> table = open_table(table_dir);
  // One listing of the whole table: sizes of every object, and the log's presence.
  std::map<std::string, int64_t> objects;
  for (storage::ObjectInfo& o : storage::list_all(*table, "")) objects[o.key] = o.size;
  const std::string log_prefix = std::string(kLakeLogDir) + "/";
  const std::string staging_prefix = std::string(kLakeStagingDir) + "/";
  bool has_log = false;
  for (const auto& [key, size] : objects) has_log = has_log || key.rfind(log_prefix, 0) == 0;
  if (!has_log && !table->local_path(kLakeLogDir).has_value()) {
    problem("no commit log at " + table->url() + "/" + kLakeLogDir);
    return report;
  }
  if (!has_log && !lakefs::exists(*table->local_path(kLakeLogDir))) {
    problem("no commit log at " + table_dir + "/" + kLakeLogDir);
    return report;
  }
  std::vector<LakeCommitEntry> entries;
  try {
    entries = read_commit_log(*table);
  } catch (const RuntimeError& e) {
    problem(e.what());
    return report;
  }
  DuckDb db(1);
  // Remote files are read through a local copy, one at a time.
  std::optional<lakefs::ScratchDir> scratch;
  if (!table->local_path(kLakeLogDir)) scratch.emplace("sluice-verify");
  std::set<std::string> logged;
  std::set<std::string> removed;  // replaced by a later commit: no longer live
  for (const LakeCommitEntry& e : entries) removed.insert(e.removed.begin(), e.removed.end());
  int64_t expected_seq = entries.empty() ? 0 : entries.front().seq;
  for (const LakeCommitEntry& e : entries) {
    if (e.seq != expected_seq) {
      problem(fmt::format("commit log gap: seq {} follows {}", e.seq, expected_seq - 1));
    }
    expected_seq = e.seq + 1;
    for (const auto& f : e.files) {
      ++report.files;
      report.rows += f.rows;
      if (!logged.insert(f.path).second) {
        problem(fmt::format("file {} is logged twice (seq {})", f.path, e.seq));
        continue;
      }
      auto object = objects.find(f.path);
      if (removed.count(f.path)) {
        report.files--;
        report.rows -= f.rows;
        if (object != objects.end())
          problem(fmt::format("replaced file {} still present (seq {})", f.path, e.seq));
        continue;
      }
      if (object == objects.end()) {
        problem(fmt::format("missing file {} (seq {})", f.path, e.seq));
        continue;
      }
      if (f.bytes > 0 && object->second != f.bytes) {
        problem(fmt::format("file {} has {} bytes, the log says {} (seq {})", f.path,
                            object->second, f.bytes, e.seq));
        continue;
      }
      try {
        std::string path;
        if (auto local = table->local_path(f.path)) {
          path = *local;
        } else {
          path = scratch->path() + "/file.parquet";
          table->get_to_file(f.path, path);
        }
        DuckResult result;
        db.query("SELECT num_rows FROM parquet_file_metadata(" + sql_quote(path) + ")", result);
        int64_t rows = result.rows() == 1 ? result.int64_at(0, 0) : -1;
        if (rows != f.rows) {
          problem(fmt::format("file {} has {} rows, the log says {} (seq {})", f.path, rows, f.rows,
                              e.seq));
        }
      } catch (const RuntimeError& ex) {
        problem(fmt::format("unreadable file {}: {}", f.path, ex.what()));
      }
    }
  }
  for (const auto& [rel, size] : objects) {
    if (rel.rfind(staging_prefix, 0) == 0) {
      problem("staging leftover " + rel);
    } else if (rel.rfind(log_prefix, 0) == 0) {
      if (ends_with(rel, ".tmp")) problem("temporary log file " + rel);
    } else if (ends_with(rel, ".parquet") && !logged.count(rel)) {
      problem("parquet file not in the commit log: " + rel);
    }
  }
  return report;
}

int lake_ls(const std::string& table_dir, std::ostream& out) {
  struct Totals {
    int64_t files = 0, rows = 0, bytes = 0;
  };
  std::map<std::string, Totals> partitions;
  Totals all;
  auto entries = read_commit_log(*open_table(table_dir));
  std::set<std::string> removed;
  for (const LakeCommitEntry& e : entries) removed.insert(e.removed.begin(), e.removed.end());
  for (const LakeCommitEntry& e : entries) {
    for (const auto& f : e.files) {
      if (removed.count(f.path)) continue;
      Totals& t = partitions[f.partition.empty() ? "." : f.partition];
      ++t.files;
      t.rows += f.rows;
      t.bytes += f.bytes;
      ++all.files;
      all.rows += f.rows;
      all.bytes += f.bytes;
    }
  }
  out << fmt::format("{:<48} {:>8} {:>12} {:>14}\n", "PARTITION", "FILES", "ROWS", "BYTES");
  for (const auto& [partition, t] : partitions) {
    out << fmt::format("{:<48} {:>8} {:>12} {:>14}\n", partition, t.files, t.rows, t.bytes);
  }
  out << fmt::format("{:<48} {:>8} {:>12} {:>14}\n", "TOTAL", all.files, all.rows, all.bytes);
  return kExitOk;
}

int lake_log(const std::string& table_dir, std::ostream& out) {
  for (const LakeCommitEntry& e : read_commit_log(*open_table(table_dir))) {
    out << fmt::format("{:>8} {} writer={} files={} rows={} offsets={}", e.seq,
                       format_iso8601(e.timestamp_ms * 1000), e.writer_id, e.files.size(), e.rows(),
                       format_offsets(e.end_offsets));
    if (!e.kind.empty()) out << " kind=" << e.kind;
    if (!e.removed.empty()) out << " removed=" << e.removed.size();
    out << "\n";
  }
  return kExitOk;
}

int lake_verify(const std::string& table_dir, std::ostream& out) {
  VerifyReport report = verify_table(table_dir);
  for (const std::string& p : report.problems) out << "problem: " << p << "\n";
  out << fmt::format("{}: {} files, {} rows in the log, {} problems\n", report.ok ? "OK" : "FAILED",
                     report.files, report.rows, report.problems.size());
  return report.ok ? kExitOk : kExitVerify;
}

}  // namespace sluice
