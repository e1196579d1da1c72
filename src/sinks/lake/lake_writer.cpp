#include "sinks/lake/lake_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <set>
#include <tuple>

#include <unistd.h>

#include "core/time.h"
#include "sinks/lake/commit_protocol.h"
#include "sinks/lake/encoder_pool.h"
#include "sinks/lake/partition.h"
#include "storage/fs_util.h"
#include "storage/storage.h"

namespace sluice {

namespace {

constexpr const char* kStagingSuffix = ".parquet.inprogress";

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// The spool directory of a writer of a remote table: one per (table, writer
// id), so a restart finds and clears what a killed run left.
std::string spool_dir_for(const std::string& table_url, const std::string& file_id) {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp && *tmp ? tmp : "/tmp";
  return fmt::format("{}/sluice-spool-{:016x}-{}", base, std::hash<std::string>{}(table_url),
                     file_id);
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
  table_dir_ = storage::join_key(config_.path, sanitize_partition_value(config_.table));
  table_ = open_lake_storage(table_dir_, config_.storage);
  committer_ = std::make_unique<LakeCommitter>(*table_, writer_id_);
  if (!table_->local_path(kLakeLogDir)) spool_dir_ = spool_dir_for(table_->url(), file_id_);
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

std::string LakeWriter::staging_rel(uint64_t n) const {
  return fmt::format("{}/{}-{:x}-{}{}", kLakeStagingDir, file_id_, nonce_, n, kStagingSuffix);
}

std::string LakeWriter::local_staging_path(const std::string& rel) const {
  if (spool_dir_.empty()) return *table_->local_path(rel);
  return spool_dir_ + "/" + rel.substr(rel.find_last_of('/') + 1);
}

LakeState LakeWriter::open() {
  if (auto log_dir = table_->local_path(kLakeLogDir)) {
    // Local: the directories exist from the first open (the orchestrator and
    // the batch jobs find tables by their log directory).
    lakefs::make_dirs_durable(*log_dir);
    lakefs::make_dirs_durable(*table_->local_path(kLakeStagingDir));
  } else {
    // Files a killed run left in the spool were never published.
    lakefs::make_dirs(spool_dir_);
    for (const std::string& name : lakefs::list_dir(spool_dir_)) {
      lakefs::remove_file(spool_dir_ + "/" + name);
    }
  }

  // Roll forward / roll back (LakeCommitter::recover), then the safety net.
  std::vector<LakeCommitEntry> entries = committer_->recover();
  remove_orphans(entries);

  LakeState state;
  committed_.clear();
  owners_.clear();
  const LakeCommitEntry* last_mine = nullptr;
  const LakeCommitEntry* last_data = nullptr;  // claims carry no state meta
  for (const LakeCommitEntry& e : entries) {
    apply_entry(e);
    if (is_claim_entry(e) || is_compaction_entry(e)) continue;
    last_data = &e;
    if (e.writer_id == writer_id_) last_mine = &e;
  }
  last_seq_ = committer_->last_seq();
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

void LakeWriter::remove_orphans(const std::vector<LakeCommitEntry>& entries) {
  // Final-key files of this writer that the log does not know (only a bug
  // could leave them, but a glob must never see them).
  std::set<std::string> logged_files;
  for (const LakeCommitEntry& e : entries) {
    for (const auto& f : e.files) logged_files.insert(f.path);
  }
  // DuckDB's COPY (encoder: duckdb) writes "tmp_<name>" first: never referenced.
  const std::string duck_tmp = std::string(kLakeStagingDir) + "/tmp_";
  for (const storage::ObjectInfo& o : storage::list_all(*table_, duck_tmp)) {
    if (is_staged_name_of(o.key.substr(duck_tmp.size()), file_id_)) table_->remove(o.key);
  }
  for (const storage::ObjectInfo& o : storage::list_all(*table_, "")) {
    const std::string& rel = o.key;
    if (starts_with(rel, std::string(kLakeStagingDir) + "/") ||
        starts_with(rel, std::string(kLakeLogDir) + "/")) {
      continue;
    }
    std::string base = rel.substr(rel.find_last_of('/') + 1);
    if (is_final_name_of(base, file_id_) && !logged_files.count(rel)) {
      table_->remove(rel);
    }
  }
}

void LakeWriter::apply_entry(const LakeCommitEntry& entry) {
  for (const auto& [stream, offset] : entry.end_offsets) committed_[stream] = offset;
  apply_claim(entry, owners_);
}

void LakeWriter::refresh_log() {
  for (const LakeCommitEntry& e : committer_->read_newer()) apply_entry(e);
  last_seq_ = committer_->last_seq();
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
  entry.start_offsets = start_offsets;
  entry.end_offsets = end_offsets;
  entry.meta = meta;
  // 1. Complete every file of the pending commit and make it durable (S3:
  // upload it to the staging prefix).
  std::vector<std::string> uploaded;
  auto remove_staged = [&]() {
    remove_files();
    try {
      committer_->discard(uploaded);
    } catch (const RuntimeError&) {
      // Left for recovery: open() removes this writer's unreferenced files.
    }
  };
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
      file.bytes = lakefs::file_size(f->staged->path());
      if (!spool_dir_.empty()) {
        committer_->stage_to(f->staging, f->staged->path(), /*remove_local=*/true);
        uploaded.push_back(f->staging);
      }
      entry.files.push_back(std::move(file));
    }
    if (auto dir = table_->local_path(kLakeStagingDir); dir && !entry.files.empty()) {
      lakefs::fsync_path(*dir);
    }
  } catch (const RuntimeError&) {
    remove_staged();
    throw;
  }

  // 2. Publish the log entry: put_if_absent is the atomic commit point.
  auto fence = [&](const std::vector<LakeCommitEntry>& newer) {
    for (const LakeCommitEntry& e : newer) apply_entry(e);
    check_fence();
  };
  LakeCommitter::PublishState state = LakeCommitter::PublishState::kNotPublished;
  try {
    entry = committer_->publish(std::move(entry), fence, state);
  } catch (const RuntimeError&) {
    last_seq_ = committer_->last_seq();
    if (state == LakeCommitter::PublishState::kNotPublished) {
      remove_staged();  // not committed: nothing may reference these files
    } else {
      // Published (or maybe): the files belong to the log now; open()
      // finishes moving them.
      files_.clear();
      remove_files();
    }
    throw;
  }
  last_seq_ = entry.seq;
  for (const auto& [stream, offset] : end_offsets) committed_[stream] = offset;
  // Committed: a retry after a failure below must not write them again.
  files_.clear();
  rotated_files_ = 0;
  buffered_rows_ = 0;
  last_commit_ms_ = monotonic_millis();

  // 3. Move the files into place (open() rolls this forward after a crash).
  committer_->finish(entry);
  return entry;
}

}  // namespace sluice
