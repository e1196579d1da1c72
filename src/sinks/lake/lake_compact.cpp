// `sluice lake compact`: see lake_maintenance.h and ARCHITECTURE.md
// "Compaction and vacuum".
#include <duckdb.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "core/error.h"
#include "core/time.h"
#include "sinks/lake/commit_protocol.h"
#include "sinks/lake/duckdb_handle.h"
#include "sinks/lake/lake_maintenance.h"
#include "storage/storage.h"

namespace sluice {

namespace {

// A temporary local directory, removed with its contents on scope exit.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& parent) {
    std::string base = parent;
    if (base.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      base = tmp && *tmp ? tmp : "/tmp";
    }
    std::string tmpl = base + "/sluice-compact-XXXXXX";
    if (!::mkdtemp(tmpl.data())) {
      throw RuntimeError("lake compact: cannot create a scratch directory in " + base);
    }
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One input of a merge: a live file with its local path (the file itself on
// a local table, a download in the scratch dir on S3) and what must match
// for two files to be merged: the Parquet schema and the compression codec.
struct Input {
  LakeCommitEntry::File file;
  std::string local;
  std::string shape;
  std::string codec;
};

std::string query_string(DuckDb& db, const std::string& sql) {
  DuckResult r;
  db.query(sql, r);
  if (r.rows() == 0) throw RuntimeError("lake compact: no result for " + sql);
  return r.string_at(0, 0);
}

// Every column of parquet_schema() but the file name, row by row.
std::string schema_shape(DuckDb& db, const std::string& path) {
  DuckResult r;
  db.query("SELECT * FROM parquet_schema(" + sql_quote(path) + ")", r);
  const idx_t cols = duckdb_column_count(r.get());
  std::string out;
  for (size_t row = 0; row < r.rows(); ++row) {
    for (idx_t c = 1; c < cols; ++c) {
      out += r.is_null(c, row) ? std::string("-") : r.string_at(c, row);
      out += '|';
    }
    out += '\n';
  }
  return out;
}

std::string merge_sql(const std::vector<const Input*>& bin, const std::string& codec,
                      const std::string& out) {
  std::string files;
  for (const Input* in : bin) files += (files.empty() ? "" : ", ") + sql_quote(in->local);
  std::string lower = codec;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  // hive_partitioning=false: the partition columns stay in the path only, as
  // in the files the writers produce. Insertion order is kept (DuckDB's
  // default), so rows keep the order of the merged files.
  return fmt::format(
      "COPY (SELECT * FROM read_parquet([{}], hive_partitioning = false)) TO {} "
      "(FORMAT parquet, COMPRESSION {})",
      files, sql_quote(out), sql_quote(lower));
}

std::string compactor_id() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = 0;
  // Unique per run: recover() deletes only this id's unpublished staged
  // objects, so a concurrent compaction's are never touched.
  return fmt::format("compact-{}-{}-{:x}", host[0] ? host : "localhost",
                     static_cast<long>(::getpid()), now_micros());
}

}  // namespace

CompactReport compact_table(storage::Storage& table, const CompactOptions& options) {
  if (options.target_bytes < 1024) {
    throw RuntimeError("lake compact: --target-size must be at least 1KB");
  }
  auto step = [&](std::string_view name) {
    if (options.on_step) options.on_step(name);
  };
  CompactReport report;
  LakeCommitter committer(table, compactor_id());
  // Roll forward first: moves of published entries, deletions of removed files.
  const std::vector<LakeCommitEntry> entries = committer.recover();
  step("recovered");

  std::map<std::string, int64_t> last_data_ms;  // partition -> newest data commit adding a file
  for (const LakeCommitEntry& e : entries) {
    if (is_compaction_entry(e)) continue;
    for (const auto& f : e.files) {
      int64_t& t = last_data_ms[f.partition];
      t = std::max(t, e.timestamp_ms);
    }
  }
  std::set<std::string> present;
  for (const storage::ObjectInfo& o : storage::list_all(table, "")) present.insert(o.key);
  const int64_t open_since = now_micros() / 1000 - options.closed_after_ms;
  const int64_t small = options.target_bytes / 4 * 3;
  // (partition, slice) -> small live files, in path (= commit) order.
  std::map<std::pair<std::string, std::string>, std::vector<LakeCommitEntry::File>> groups;
  for (const auto& [path, f] : live_files(entries)) {
    if (f.bytes >= small || !present.count(path)) continue;  // big enough, or verify's business
    auto t = last_data_ms.find(f.partition);
    if (t != last_data_ms.end() && t->second > open_since) continue;  // not closed
    groups[{f.partition, f.slice}].push_back(f);
  }

  ScratchDir scratch(options.scratch_dir);
  DuckDb db(0);
  LakeCommitEntry entry;
  entry.kind = kCompactionKind;
  std::vector<std::string> staged;
  size_t downloads = 0, outputs = 0;
  try {
    for (auto& [group, files] : groups) {
      if (files.size() < 2) continue;
      std::vector<Input> inputs;
      for (const auto& f : files) {
        Input in;
        in.file = f;
        if (auto local = table.local_path(f.path)) {
          in.local = *local;
        } else {
          in.local = fmt::format("{}/in-{}.parquet", scratch.path(), downloads++);
          table.get_to_file(f.path, in.local);
        }
        in.shape = schema_shape(db, in.local);
        in.codec = query_string(
            db, "SELECT compression FROM parquet_metadata(" + sql_quote(in.local) + ") LIMIT 1");
        inputs.push_back(std::move(in));
      }
      // Bins of consecutive files of one shape and codec, up to the target.
      std::vector<std::vector<const Input*>> bins;
      int64_t bin_bytes = 0;
      for (const Input& in : inputs) {
        bool fits = !bins.empty() && bins.back().front()->shape == in.shape &&
                    bins.back().front()->codec == in.codec &&
                    bin_bytes + in.file.bytes <= options.target_bytes;
        if (!fits) {
          bins.emplace_back();
          bin_bytes = 0;
        }
        bins.back().push_back(&in);
        bin_bytes += in.file.bytes;
      }
      bool merged_here = false;
      for (const auto& bin : bins) {
        if (bin.size() < 2) continue;
        const std::string out = fmt::format("{}/out-{}.parquet", scratch.path(), outputs++);
        db.execute(merge_sql(bin, bin.front()->codec, out));
        LakeCommitEntry::File merged;
        merged.partition = group.first;
        merged.slice = group.second;
        for (const Input* in : bin) {
          merged.rows += in->file.rows;
          report.bytes_in += in->file.bytes;
          entry.removed.push_back(in->file.path);
        }
        const int64_t rows = std::stoll(query_string(
            db, "SELECT sum(num_rows) FROM parquet_file_metadata(" + sql_quote(out) + ")"));
        if (rows != merged.rows) {
          throw RuntimeError(fmt::format(
              "lake compact: merged file of {} has {} rows, its inputs {} (nothing published)",
              group.first.empty() ? "." : group.first, rows, merged.rows));
        }
        merged.bytes = static_cast<int64_t>(std::filesystem::file_size(out));
        merged.staging = committer.stage(out, true);
        staged.push_back(merged.staging);
        report.files_in += static_cast<int64_t>(bin.size());
        report.rows += merged.rows;
        report.bytes_out += merged.bytes;
        entry.files.push_back(std::move(merged));
        merged_here = true;
        if (staged.size() == 1) step("staged-1");
      }
      if (merged_here) ++report.partitions;
      for (const Input& in : inputs) {
        if (!table.local_path(in.file.path)) std::filesystem::remove(in.local);
      }
    }
    if (entry.files.empty()) return report;
    step("staged");
    const std::set<std::string> merged_away(entry.removed.begin(), entry.removed.end());
    // The fence: a batch replace or another compaction that removed one of
    // the merged files since they were read makes this merge stale.
    auto fence = [&](const std::vector<LakeCommitEntry>& newer) {
      for (const LakeCommitEntry& e : newer) {
        for (const std::string& path : e.removed) {
          if (merged_away.count(path)) {
            throw RuntimeError(fmt::format(
                "lake compact: {} was replaced by commit {} meanwhile; nothing published, "
                "run compact again",
                path, e.seq));
          }
        }
      }
    };
    entry = committer.publish(std::move(entry), fence);
  } catch (...) {
    committer.discard(staged);
    throw;
  }
  step("published");
  // Move the merged files in place, then delete the merged ones (a plain
  // glob sees both in between: ARCHITECTURE.md documents the window).
  LakeCommitEntry moves = entry;
  moves.removed.clear();
  committer.finish(moves);
  step("moved");
  for (size_t i = 0; i < entry.removed.size(); ++i) {
    table.remove(entry.removed[i]);
    if (i == 0) step("removed-1");
  }
  report.files_out = static_cast<int64_t>(entry.files.size());
  report.seq = entry.seq;
  return report;
}

}  // namespace sluice
