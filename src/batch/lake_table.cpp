#include "batch/lake_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/time.h"
#include "sinks/lake/commit_log.h"
#include "sinks/lake/fs_util.h"
#include "sinks/lake/partition.h"

namespace sluice {

namespace {

constexpr const char* kStagingSuffix = ".parquet.inprogress";

struct RawEntry {
  int64_t seq = 0;
  struct File {
    std::string path, partition, staging;
    int64_t rows = 0;
    std::optional<Day> day;
  };
  std::vector<File> files;
  std::vector<std::string> removed;
  bool compaction = false;  // rewrites files, changes no row
};

std::vector<RawEntry> read_raw_log(const std::string& table_dir) {
  std::vector<int64_t> seqs;
  for (const std::string& name : lakefs::list_dir(table_dir + "/" + kLakeLogDir)) {
    if (auto seq = parse_commit_log_name(name)) seqs.push_back(*seq);
  }
  std::sort(seqs.begin(), seqs.end());
  std::vector<RawEntry> out;
  for (int64_t seq : seqs) {
    std::string path = table_dir + "/" + kLakeLogDir + "/" + commit_log_name(seq);
    try {
      nlohmann::json j = nlohmann::json::parse(lakefs::read_file(path));
      RawEntry e;
      e.seq = j.at("seq").get<int64_t>();
      if (e.seq != seq)
        throw RuntimeError(fmt::format("lake: log entry {} claims seq {}", path, e.seq));
      for (const auto& f : j.at("files")) {
        RawEntry::File file;
        file.path = f.at("path").get<std::string>();
        file.rows = f.at("rows").get<int64_t>();
        file.partition = f.value("partition", std::string());
        file.staging = f.value("staging", std::string());
        if (f.contains("slice")) file.day = Day::parse(f.at("slice").get<std::string>());
        if (!file.day) file.day = day_of_partition(file.partition);
        e.files.push_back(std::move(file));
      }
      if (j.contains("removed")) e.removed = j.at("removed").get<std::vector<std::string>>();
      e.compaction = j.value("kind", std::string()) == kCompactionKind;
      out.push_back(std::move(e));
    } catch (const nlohmann::json::exception& ex) {
      throw RuntimeError("lake: malformed commit log entry " + path + ": " + ex.what());
    }
  }
  return out;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::vector<const LiveFile*> LiveTable::files_for(const std::set<Day>& days) const {
  std::vector<const LiveFile*> out;
  for (const LiveFile& f : files) {
    if (!f.day || days.count(*f.day)) out.push_back(&f);
  }
  return out;
}

int64_t LiveTable::rows() const {
  int64_t n = 0;
  for (const LiveFile& f : files) n += f.rows;
  return n;
}

LiveTable read_live_table(const std::string& table_dir) {
  LiveTable t;
  t.table_dir = table_dir;
  t.exists = lakefs::exists(table_dir + "/" + kLakeLogDir);
  std::map<std::string, LiveFile> live;
  for (const RawEntry& e : read_raw_log(table_dir)) {
    for (const std::string& path : e.removed) {
      auto it = live.find(path);
      if (it == live.end()) continue;
      if (it->second.day && !e.compaction) t.day_changed_seq[*it->second.day] = e.seq;
      live.erase(it);
    }
    for (const RawEntry::File& f : e.files) {
      live[f.path] = LiveFile{f.path, f.rows, f.partition, f.day, e.seq};
      if (f.day && !e.compaction) t.day_changed_seq[*f.day] = e.seq;
    }
    t.last_seq = e.seq;
  }
  for (auto& [path, file] : live) t.files.push_back(std::move(file));
  return t;
}

TablePublisher::TablePublisher(std::string table_dir, std::string writer_id)
    : table_dir_(std::move(table_dir)), writer_id_(std::move(writer_id)) {
  file_id_ = sanitize_partition_value(writer_id_);
  nonce_ = std::to_string(now_micros());
}

std::string TablePublisher::staging_path(size_t n) const {
  return fmt::format("{}/{}-{}-{}{}", kLakeStagingDir, file_id_, nonce_, n, kStagingSuffix);
}

void TablePublisher::open() {
  const std::string log_dir = table_dir_ + "/" + kLakeLogDir;
  const std::string staging_dir = table_dir_ + "/" + kLakeStagingDir;
  lakefs::make_dirs(log_dir);
  lakefs::make_dirs(staging_dir);
  lakefs::fsync_path(table_dir_);
  lakefs::fsync_path(lakefs::parent_dir(table_dir_));

  std::vector<RawEntry> entries = read_raw_log(table_dir_);
  std::set<std::string> removed, referenced_staging;
  for (const RawEntry& e : entries) removed.insert(e.removed.begin(), e.removed.end());
  // Roll forward the renames of committed entries (skipping files a later
  // entry removed: their staging copies are just deleted).
  for (const RawEntry& e : entries) {
    for (const RawEntry::File& f : e.files) {
      if (f.staging.empty()) continue;
      referenced_staging.insert(f.staging);
      const std::string staged = table_dir_ + "/" + f.staging;
      const std::string final_path = table_dir_ + "/" + f.path;
      if (!lakefs::exists(staged)) continue;
      if (removed.count(f.path)) {
        lakefs::remove_file(staged);
        continue;
      }
      if (lakefs::exists(final_path)) continue;
      lakefs::make_dirs(lakefs::parent_dir(final_path));
      lakefs::rename_path(staged, final_path);
      lakefs::fsync_path(lakefs::parent_dir(final_path));
    }
  }
  // Finish deletions of removed files.
  for (const std::string& path : removed) lakefs::remove_file(table_dir_ + "/" + path);
  // Roll back this writer's uncommitted staging files and tmp log entries.
  for (const std::string& name : lakefs::list_dir(staging_dir)) {
    std::string rel = std::string(kLakeStagingDir) + "/" + name;
    if (starts_with(name, file_id_ + "-") && !referenced_staging.count(rel)) {
      lakefs::remove_file(staging_dir + "/" + name);
    }
  }
  const std::string tmp_suffix = "." + file_id_ + ".tmp";
  for (const std::string& name : lakefs::list_dir(log_dir)) {
    if (starts_with(name, ".") && name.size() > tmp_suffix.size() &&
        name.compare(name.size() - tmp_suffix.size(), tmp_suffix.size(), tmp_suffix) == 0) {
      lakefs::remove_file(log_dir + "/" + name);
    }
  }
  lakefs::fsync_path(staging_dir);
  lakefs::fsync_path(log_dir);
}

int64_t TablePublisher::replace(const std::vector<StagedJobFile>& files, const std::set<Day>& days,
                                const std::map<std::string, std::string>& meta) {
  const std::string log_dir = table_dir_ + "/" + kLakeLogDir;
  auto remove_staged = [&]() {
    for (const StagedJobFile& f : files) lakefs::remove_file(table_dir_ + "/" + f.staging);
  };
  for (const StagedJobFile& f : files) {
    if (!days.count(f.day)) {
      remove_staged();
      throw RuntimeError("lake: staged file " + f.staging + " is outside the replaced days");
    }
    lakefs::fsync_path(table_dir_ + "/" + f.staging);
  }
  if (!files.empty()) lakefs::fsync_path(table_dir_ + "/" + kLakeStagingDir);

  nlohmann::json entry;
  std::vector<std::string> removed;
  std::vector<std::string> finals;
  for (;;) {
    LiveTable live = read_live_table(table_dir_);
    const int64_t seq = live.last_seq + 1;
    removed.clear();
    for (const LiveFile* f : live.files_for(days)) {
      if (f->day) removed.push_back(f->path);  // files without a day are never replaced
    }
    finals.clear();
    nlohmann::json jfiles = nlohmann::json::array();
    for (size_t i = 0; i < files.size(); ++i) {
      const StagedJobFile& f = files[i];
      std::string final_rel = (f.partition.empty() ? std::string() : f.partition + "/") +
                              fmt::format("part-{:020d}-{}-{}.parquet", seq, i, file_id_);
      finals.push_back(final_rel);
      jfiles.push_back({{"path", final_rel},
                        {"rows", f.rows},
                        {"bytes", lakefs::file_size(table_dir_ + "/" + f.staging)},
                        {"partition", f.partition},
                        {"staging", f.staging},
                        {"slice", f.day.to_string()}});
    }
    entry = nlohmann::json::object();
    entry["seq"] = seq;
    entry["timestamp_ms"] = now_micros() / 1000;
    entry["writer_id"] = writer_id_;
    entry["files"] = std::move(jfiles);
    entry["start_offsets"] = nlohmann::json::object();
    entry["end_offsets"] = nlohmann::json::object();
    entry["meta"] = meta;
    entry["removed"] = removed;
    std::string tmp = fmt::format("{}/.{:020d}.{}.tmp", log_dir, seq, file_id_);
    bool done = false;
    try {
      lakefs::write_file_synced(tmp, entry.dump(1) + "\n");
      done = lakefs::link_if_absent(tmp, log_dir + "/" + commit_log_name(seq));
      if (done) lakefs::fsync_path(log_dir);
      lakefs::remove_file(tmp);
    } catch (const RuntimeError&) {
      if (!done) {
        remove_staged();
        lakefs::remove_file(tmp);
      }
      throw;
    }
    if (done) break;  // else another writer took the seq: recompute against its entry
  }
  // After the commit point: move the new files in place, then delete the old.
  std::set<std::string> dirs;
  for (size_t i = 0; i < files.size(); ++i) {
    std::string final_path = table_dir_ + "/" + finals[i];
    std::string dir = lakefs::parent_dir(final_path);
    if (!dirs.count(dir)) lakefs::make_dirs(dir);
    dirs.insert(dir);
    lakefs::rename_path(table_dir_ + "/" + files[i].staging, final_path);
  }
  for (const std::string& path : removed) {
    std::string abs = table_dir_ + "/" + path;
    dirs.insert(lakefs::parent_dir(abs));
    lakefs::remove_file(abs);
  }
  for (const std::string& dir : dirs) {
    if (lakefs::exists(dir)) lakefs::fsync_path(dir);
  }
  return entry["seq"].get<int64_t>();
}

}  // namespace sluice
