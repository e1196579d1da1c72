#include "sinks/lake/lake_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>

#include <unistd.h>

#include "core/time.h"
#include "sinks/lake/encoder_pool.h"
#include "sinks/lake/fs_util.h"
#include "sinks/lake/partition.h"

namespace sluice {

namespace {

constexpr const char* kStagingSuffix = ".parquet.inprogress";

std::string join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  return a + "/" + b;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

LakeWriter::LakeWriter(const LakeSinkConfig& config, const OutputSchema& schema,
                       std::string timestamp_column, std::string writer_id)
    : config_(config),
      schema_(schema),
      timestamp_column_(std::move(timestamp_column)),
      writer_id_(std::move(writer_id)) {
  if (writer_id_.empty()) throw RuntimeError("lake: writer id must not be empty");
  if (config_.table.empty()) throw RuntimeError("lake: table name must not be empty");
  file_id_ = sanitize_partition_value(writer_id_);
  table_dir_ = join(config_.path, sanitize_partition_value(config_.table));
  log_dir_ = table_dir_ + "/" + kLakeLogDir;
  staging_dir_ = table_dir_ + "/" + kLakeStagingDir;
  partitioner_ = std::make_unique<Partitioner>(config_.partition_by, schema_, timestamp_column_);
  pool_ = EncoderPool::shared(static_cast<size_t>(std::max<int64_t>(0, config_.encoders)));
  client_ = std::make_shared<EncoderClient>(schema_, config_);
  files_per_partition_ = pool_->threads();
}

LakeWriter::~LakeWriter() {
  // Uncommitted files: stop their encoders and remove them (open() of the
  // next run removes what this cannot).
  try {
    remove_files();
  } catch (const RuntimeError&) {
    // Left for recovery: open() removes this writer's unreferenced files.
  }
}

void LakeWriter::make_partition_dir(const std::string& dir) const {
  if (lakefs::exists(dir)) return;
  // A new partition: every new level must be durable in its parent.
  std::vector<std::string> created;
  for (std::string at = dir; at.size() > table_dir_.size() && !lakefs::exists(at);
       at = lakefs::parent_dir(at)) {
    created.push_back(at);
  }
  lakefs::make_dirs(dir);
  for (const std::string& d : created) lakefs::fsync_path(lakefs::parent_dir(d));
}

std::string LakeWriter::staging_rel(uint64_t n) const {
  return fmt::format("{}/{}-{:x}-{}{}", kLakeStagingDir, file_id_, nonce_, n, kStagingSuffix);
}

std::string LakeWriter::final_rel(const std::string& partition, int64_t seq, size_t n) const {
  return join(partition, fmt::format("part-{:020d}-{}-{}.parquet", seq, n, file_id_));
}

LakeState LakeWriter::open() {
  lakefs::make_dirs(log_dir_);
  lakefs::make_dirs(staging_dir_);
  lakefs::fsync_path(table_dir_);
  lakefs::fsync_path(lakefs::parent_dir(table_dir_));

  std::vector<LakeCommitEntry> entries = read_commit_log(table_dir_);
  recover(entries);

  LakeState state;
  committed_.clear();
  owners_.clear();
  const LakeCommitEntry* last_mine = nullptr;
  const LakeCommitEntry* last_data = nullptr;  // claims carry no state meta
  for (const LakeCommitEntry& e : entries) {
    for (const auto& [stream, offset] : e.end_offsets) committed_[stream] = offset;
    apply_claim(e, owners_);
    if (is_claim_entry(e)) continue;
    last_data = &e;
    if (e.writer_id == writer_id_) last_mine = &e;
  }
  last_seq_ = entries.empty() ? 0 : entries.back().seq;
  state.last_seq = last_seq_;
  state.offsets = committed_;
  if (last_mine) {
    state.meta = last_mine->meta;
  } else if (last_data) {
    state.meta = last_data->meta;
  }
  opened_ = true;
  last_commit_ms_ = monotonic_millis();
  nonce_ = now_micros();
  return state;
}

void LakeWriter::recover(const std::vector<LakeCommitEntry>& entries) {
  // Roll forward: committed entries whose files were not all moved in place.
  std::set<std::string> referenced_staging;
  std::set<std::string> logged_files;
  for (const LakeCommitEntry& e : entries) {
    for (const auto& f : e.files) {
      logged_files.insert(f.path);
      if (!f.staging.empty()) referenced_staging.insert(f.staging);
      std::string final_path = table_dir_ + "/" + f.path;
      if (lakefs::exists(final_path) || f.staging.empty()) continue;
      std::string staging_path = table_dir_ + "/" + f.staging;
      if (!lakefs::exists(staging_path)) continue;  // verify_table reports it
      std::string dir = lakefs::parent_dir(final_path);
      make_partition_dir(dir);
      // Another process may finish the same rename concurrently: ENOENT is fine.
      lakefs::rename_path(staging_path, final_path);
      lakefs::fsync_path(dir);
    }
  }
  // Roll back: this writer's staging files and tmp log entries that no
  // published entry references.
  const std::string prefix = file_id_ + "-";
  for (const std::string& name : lakefs::list_dir(staging_dir_)) {
    std::string rel = std::string(kLakeStagingDir) + "/" + name;
    bool mine = starts_with(name, prefix) || starts_with(name, "tmp_" + prefix);
    if (mine && !referenced_staging.count(rel)) lakefs::remove_file(staging_dir_ + "/" + name);
  }
  const std::string tmp_suffix = "." + file_id_ + ".tmp";
  for (const std::string& name : lakefs::list_dir(log_dir_)) {
    if (starts_with(name, ".") && ends_with(name, tmp_suffix)) {
      lakefs::remove_file(log_dir_ + "/" + name);
    }
  }
  // Final-path files of this writer that the log does not know (only a bug
  // could leave them, but a glob must never see them).
  const std::string final_suffix = "-" + file_id_ + ".parquet";
  for (const std::string& rel : lakefs::list_files_recursive(table_dir_)) {
    if (starts_with(rel, std::string(kLakeStagingDir) + "/") ||
        starts_with(rel, std::string(kLakeLogDir) + "/")) {
      continue;
    }
    std::string base = rel.substr(rel.find_last_of('/') + 1);
    if (starts_with(base, "part-") && ends_with(base, final_suffix) && !logged_files.count(rel)) {
      lakefs::remove_file(table_dir_ + "/" + rel);
    }
  }
  lakefs::fsync_path(staging_dir_);
  lakefs::fsync_path(log_dir_);
}

void LakeWriter::refresh_log() {
  while (auto e = read_commit_entry(table_dir_, last_seq_ + 1)) {
    for (const auto& [stream, offset] : e->end_offsets) committed_[stream] = offset;
    apply_claim(*e, owners_);
    last_seq_ = e->seq;
  }
}

LakeCommitEntry LakeWriter::commit(const SourceOffsets& start_offsets,
                                   const SourceOffsets& end_offsets,
                                   const std::map<std::string, std::string>& meta) {
  if (!opened_) throw RuntimeError("lake: commit() before open()");
  refresh_log();

  auto check_fence = [&]() {
    for (const auto& [stream, start] : start_offsets) {
      auto owner = owners_.find(stream);
      if (owner != owners_.end() && owner->second != owner_token()) {
        throw StaleWriterError(
            fmt::format("lake: writer {} is stale: stream {} was claimed by {} (a newer owner)",
                        writer_id_, stream, owner->second));
      }
      auto it = committed_.find(stream);
      if (it != committed_.end() && it->second != start) {
        throw StaleWriterError(
            fmt::format("lake: writer {} is stale: stream {} was committed up to {} by another "
                        "writer, this commit starts at {}",
                        writer_id_, stream, it->second, start));
      }
    }
  };
  check_fence();  // fail before writing anything if already fenced

  LakeCommitEntry entry;
  entry.writer_id = writer_id_;
  entry.start_offsets = start_offsets;
  entry.end_offsets = end_offsets;
  entry.meta = meta;
  // 1. Complete every file of the pending commit and make it durable.
  auto remove_staged = [&]() { remove_files(); };
  try {
    finish_files();  // on failure the files are already removed
    std::sort(files_.begin(), files_.end(), [](const auto& a, const auto& b) {
      return std::tie(a->partition_path, a->number) < std::tie(b->partition_path, b->number);
    });
    for (const auto& f : files_) {
      LakeCommitEntry::File file;
      file.partition = f->partition_path;
      file.staging = f->staging;
      file.rows = f->rows;
      // Footer written and fsynced by the encoder (finish_staged_file).
      file.bytes = lakefs::file_size(table_dir_ + "/" + file.staging);
      entry.files.push_back(std::move(file));
    }
    if (!entry.files.empty()) lakefs::fsync_path(staging_dir_);
  } catch (const RuntimeError&) {
    remove_staged();
    throw;
  }

  // 2. Publish the log entry: link() is the atomic commit point.
  for (;;) {
    try {
      check_fence();
    } catch (const StaleWriterError&) {
      remove_staged();
      throw;
    }
    entry.seq = last_seq_ + 1;
    entry.timestamp_ms = now_micros() / 1000;
    for (size_t i = 0; i < entry.files.size(); ++i) {
      entry.files[i].path = final_rel(entry.files[i].partition, entry.seq, i);
    }
    std::string tmp = fmt::format("{}/.{:020d}.{}.tmp", log_dir_, entry.seq, file_id_);
    std::string published = log_dir_ + "/" + commit_log_name(entry.seq);
    bool done = false;
    try {
      lakefs::write_file_synced(tmp, commit_entry_to_json(entry));
      done = lakefs::link_if_absent(tmp, published);
      if (done) lakefs::fsync_path(log_dir_);
      lakefs::remove_file(tmp);
    } catch (const RuntimeError&) {
      if (!done) {  // not committed: nothing may reference these files
        remove_staged();
        ::unlink(tmp.c_str());
      }
      throw;
    }
    if (done) break;
    refresh_log();  // another writer took this seq; look at what it did
  }
  last_seq_ = entry.seq;
  for (const auto& [stream, offset] : end_offsets) committed_[stream] = offset;
  // Committed: a retry after a failure below must not write them again.
  files_.clear();
  rotated_files_ = 0;
  buffered_rows_ = 0;
  last_commit_ms_ = monotonic_millis();

  // 3. Move the files into place (open() rolls this forward after a crash).
  std::set<std::string> dirs;
  for (const auto& f : entry.files) {
    std::string final_path = table_dir_ + "/" + f.path;
    std::string dir = lakefs::parent_dir(final_path);
    if (!dirs.count(dir)) make_partition_dir(dir);
    dirs.insert(dir);
    lakefs::rename_path(table_dir_ + "/" + f.staging, final_path);
  }
  for (const std::string& dir : dirs) lakefs::fsync_path(dir);
  if (!entry.files.empty()) lakefs::fsync_path(staging_dir_);
  return entry;
}

}  // namespace sluice
