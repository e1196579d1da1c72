#include "batch/lake_table.h"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "core/error.h"
#include "core/time.h"
#include "sinks/lake/commit_log.h"
#include "sinks/lake/commit_protocol.h"
#include "sinks/lake/lake_tools.h"
#include "sinks/lake/partition.h"
#include "storage/fs_util.h"
#include "storage/storage.h"

namespace sluice {

namespace {

constexpr const char* kStagingSuffix = ".parquet.inprogress";

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

namespace {

// Applies one entry to the live files (path -> file).
// A compaction rewrites files without changing a row: it moves no day.
void apply_entry(const LakeCommitEntry& e, std::map<std::string, LiveFile>& live,
                 std::map<Day, int64_t>* day_changed_seq) {
  if (is_compaction_entry(e)) day_changed_seq = nullptr;
  for (const std::string& path : e.removed) {
    auto it = live.find(path);
    if (it == live.end()) continue;
    if (it->second.day && day_changed_seq) (*day_changed_seq)[*it->second.day] = e.seq;
    live.erase(it);
  }
  for (const LakeCommitEntry::File& f : e.files) {
    std::optional<Day> day = f.slice.empty() ? std::nullopt : Day::parse(f.slice);
    if (!day) day = day_of_partition(f.partition);
    live[f.path] = LiveFile{f.path, f.rows, f.bytes, f.partition, day, e.seq};
    if (day && day_changed_seq) (*day_changed_seq)[*day] = e.seq;
  }
}

}  // namespace

LiveTable read_live_table(storage::Storage& table) {
  LiveTable t;
  t.table_dir = table.url();
  std::vector<LakeCommitEntry> entries = read_commit_log(table);
  if (auto log_dir = table.local_path(kLakeLogDir)) {
    t.exists = lakefs::exists(*log_dir);
  } else {
    t.exists = !entries.empty();
  }
  std::map<std::string, LiveFile> live;
  for (const LakeCommitEntry& e : entries) {
    apply_entry(e, live, &t.day_changed_seq);
    t.last_seq = e.seq;
  }
  for (auto& [path, file] : live) t.files.push_back(std::move(file));
  return t;
}

LiveTable read_live_table(const std::string& table_dir) {
  LiveTable t = read_live_table(*open_table(table_dir));
  t.table_dir = table_dir;
  return t;
}

TablePublisher::TablePublisher(std::string table_dir, std::string writer_id)
    : TablePublisher(open_table(table_dir), std::move(writer_id)) {
  table_dir_ = std::move(table_dir);
}

TablePublisher::TablePublisher(std::unique_ptr<storage::Storage> table, std::string writer_id)
    : table_dir_(table->url()), writer_id_(std::move(writer_id)), table_(std::move(table)) {
  file_id_ = sanitize_partition_value(writer_id_);
  nonce_ = std::to_string(now_micros());
  committer_ = std::make_unique<LakeCommitter>(*table_, writer_id_);
}

TablePublisher::~TablePublisher() {
  if (spool_dir_.empty()) return;
  try {
    for (const std::string& name : lakefs::list_dir(spool_dir_)) {
      lakefs::remove_file(spool_dir_ + "/" + name);
    }
    ::rmdir(spool_dir_.c_str());
  } catch (const RuntimeError&) {
    // A leftover spool directory is cleared by the next open().
  }
}

std::string TablePublisher::staging_path(size_t n) const {
  return fmt::format("{}/{}-{}-{}{}", kLakeStagingDir, file_id_, nonce_, n, kStagingSuffix);
}

std::string TablePublisher::local_file(const std::string& staging) const {
  if (auto local = table_->local_path(staging)) return *local;
  return spool_dir_ + "/" + staging.substr(staging.find_last_of('/') + 1);
}

void TablePublisher::discard(const std::vector<StagedJobFile>& files) {
  for (const StagedJobFile& f : files) lakefs::remove_file(local_file(f.staging));
}

void TablePublisher::open() {
  if (auto log_dir = table_->local_path(kLakeLogDir)) {
    lakefs::make_dirs_durable(*log_dir);
    lakefs::make_dirs_durable(*table_->local_path(kLakeStagingDir));
  } else {
    // One spool per (table, writer): `sluice batch` holds a per-job lock.
    const char* tmp = std::getenv("TMPDIR");
    spool_dir_ = fmt::format("{}/sluice-spool-{:016x}-{}", tmp && *tmp ? tmp : "/tmp",
                             std::hash<std::string>{}(table_->url()), file_id_);
    lakefs::make_dirs(spool_dir_);
    for (const std::string& name : lakefs::list_dir(spool_dir_)) {
      lakefs::remove_file(spool_dir_ + "/" + name);
    }
  }
  committer_->recover();
}

int64_t TablePublisher::replace(const std::vector<StagedJobFile>& files, const std::set<Day>& days,
                                const std::map<std::string, std::string>& meta) {
  std::vector<std::string> uploaded;
  auto remove_staged = [&]() {
    discard(files);
    try {
      committer_->discard(uploaded);
    } catch (const RuntimeError&) {
      // Left for recovery: open() removes this writer's unreferenced files.
    }
  };
  LakeCommitEntry entry;
  entry.meta = meta;
  try {
    for (const StagedJobFile& f : files) {
      if (!days.count(f.day)) {
        throw RuntimeError("lake: staged file " + f.staging + " is outside the replaced days");
      }
      const std::string local = local_file(f.staging);
      LakeCommitEntry::File file;
      file.partition = f.partition;
      file.staging = f.staging;
      file.rows = f.rows;
      file.bytes = lakefs::file_size(local);
      file.slice = f.day.to_string();
      if (table_->local_path(f.staging)) {
        lakefs::fsync_path(local);
      } else {
        committer_->stage_to(f.staging, local, /*remove_local=*/true);
        uploaded.push_back(f.staging);
      }
      entry.files.push_back(std::move(file));
    }
    if (auto dir = table_->local_path(kLakeStagingDir); dir && !files.empty()) {
      lakefs::fsync_path(*dir);
    }
  } catch (const RuntimeError&) {
    remove_staged();
    throw;
  }
  if (on_step_) on_step_("staged");

  // The live files of the replaced days, as of the entry just below ours:
  // recomputed against every entry another writer publishes first.
  LiveTable current = read_live_table(*table_);
  std::map<std::string, LiveFile> live;
  for (const LiveFile& f : current.files) live[f.path] = f;
  const int64_t seen = current.last_seq;
  LakeCommitter::PublishState state = LakeCommitter::PublishState::kNotPublished;
  try {
    entry = committer_->publish_prepared(
        std::move(entry),
        [&](const std::vector<LakeCommitEntry>& newer, LakeCommitEntry& e) {
          for (const LakeCommitEntry& n : newer) {
            if (n.seq > seen) apply_entry(n, live, nullptr);
          }
          e.removed.clear();
          for (const auto& [path, f] : live) {
            // Files without a day are never replaced.
            if (f.day && days.count(*f.day)) e.removed.push_back(path);
          }
        },
        state);
  } catch (const RuntimeError&) {
    if (state == LakeCommitter::PublishState::kNotPublished) remove_staged();
    throw;
  }
  if (on_step_) on_step_("published");
  // After the commit point: move the new files in place, then delete the old.
  LakeCommitEntry removals;
  removals.removed = std::move(entry.removed);
  entry.removed.clear();
  committer_->finish(entry);
  if (on_step_) on_step_("moved");
  committer_->finish(removals);
  return entry.seq;
}

}  // namespace sluice
