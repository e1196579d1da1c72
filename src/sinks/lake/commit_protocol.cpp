#include "sinks/lake/commit_protocol.h"

#include <unistd.h>

#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "core/time.h"
#include "sinks/lake/partition.h"

namespace sluice {

namespace {

constexpr const char* kStagedSuffix = ".parquet";

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Advances `at` over a run of characters of `accept`; true if there was one.
bool skip_run(const std::string& s, size_t& at, bool hex) {
  const size_t from = at;
  while (at < s.size() && (std::isdigit(static_cast<unsigned char>(s[at])) ||
                           (hex && std::isxdigit(static_cast<unsigned char>(s[at]))))) {
    ++at;
  }
  return at > from;
}

}  // namespace

bool is_staged_name_of(const std::string& name, const std::string& file_id) {
  if (!starts_with(name, file_id + "-")) return false;
  size_t at = file_id.size() + 1;
  if (!skip_run(name, at, /*hex=*/true) || at >= name.size() || name[at++] != '-') return false;
  if (!skip_run(name, at, /*hex=*/false)) return false;
  const std::string rest = name.substr(at);
  return rest == ".parquet" || rest == ".parquet.inprogress";
}

bool is_final_name_of(const std::string& name, const std::string& file_id) {
  if (!starts_with(name, "part-")) return false;
  size_t at = 5;
  if (!skip_run(name, at, false) || at >= name.size() || name[at++] != '-') return false;
  if (!skip_run(name, at, false) || at >= name.size() || name[at++] != '-') return false;
  return name.compare(at, std::string::npos, file_id + ".parquet") == 0;
}

LakeCommitter::LakeCommitter(storage::Storage& table, std::string writer_id)
    : table_(table), writer_id_(std::move(writer_id)) {
  if (writer_id_.empty()) throw RuntimeError("lake: writer id must not be empty");
  file_id_ = sanitize_partition_value(writer_id_);
  nonce_ = fmt::format("{:x}", now_micros());
}

std::string LakeCommitter::final_key(const std::string& partition, int64_t seq,
                                     size_t index) const {
  return storage::join_key(partition,
                           fmt::format("part-{:020d}-{}-{}.parquet", seq, index, file_id_));
}

std::vector<LakeCommitEntry> LakeCommitter::recover() {
  std::vector<LakeCommitEntry> entries = read_commit_log(table_);
  std::set<std::string> removed;
  for (const LakeCommitEntry& e : entries) removed.insert(e.removed.begin(), e.removed.end());
  std::set<std::string> staged;
  const std::string staging_prefix = std::string(kLakeStagingDir) + "/";
  for (const storage::ObjectInfo& o : storage::list_all(table_, staging_prefix)) {
    staged.insert(o.key);
  }
  std::set<std::string> referenced;
  for (const LakeCommitEntry& e : entries) {
    for (const auto& f : e.files) {
      if (f.staging.empty()) continue;
      referenced.insert(f.staging);
      if (!staged.count(f.staging)) continue;  // moved already
      if (removed.count(f.path) || table_.head(f.path)) {
        // Replaced later, or moved before a crash that came before the
        // delete of the staged object.
        table_.remove(f.staging);
        continue;
      }
      try {
        table_.move(f.staging, f.path);
      } catch (const storage::StorageError& ex) {
        // Another process finished the same move meanwhile.
        if (ex.kind() != storage::StorageErrorKind::kNotFound || !table_.head(f.path)) throw;
      }
    }
  }
  // Files replaced by a later entry (batch replace commits, compaction).
  for (const std::string& path : removed) table_.remove(path);
  // This writer's staged objects that no entry names: an unpublished commit.
  for (const std::string& key : staged) {
    if (is_staged_name_of(key.substr(staging_prefix.size()), file_id_) && !referenced.count(key)) {
      table_.remove(key);
    }
  }
  // Temporary log entries of this writer from before the storage layer.
  const std::string log_prefix = std::string(kLakeLogDir) + "/.";
  const std::string tmp_suffix = "." + file_id_ + ".tmp";
  for (const storage::ObjectInfo& o : storage::list_all(table_, log_prefix)) {
    if (o.key.size() > tmp_suffix.size() &&
        o.key.compare(o.key.size() - tmp_suffix.size(), tmp_suffix.size(), tmp_suffix) == 0) {
      table_.remove(o.key);
    }
  }
  last_seq_ = entries.empty() ? 0 : entries.back().seq;
  return entries;
}

std::string LakeCommitter::staging_key(const std::string& suffix) {
  return fmt::format("{}/{}-{}-{}{}", kLakeStagingDir, file_id_, nonce_, next_staged_++, suffix);
}

void LakeCommitter::stage_to(const std::string& key, const std::string& local_file,
                             bool remove_local) {
  table_.put_file(key, local_file);
  if (remove_local) ::unlink(local_file.c_str());
}

std::string LakeCommitter::stage(const std::string& local_file, bool remove_local) {
  const std::string key = staging_key(kStagedSuffix);
  stage_to(key, local_file, remove_local);
  return key;
}

std::vector<LakeCommitEntry> LakeCommitter::read_newer() {
  std::vector<LakeCommitEntry> newer;
  while (auto e = read_commit_entry(table_, last_seq_ + 1)) {
    last_seq_ = e->seq;
    newer.push_back(std::move(*e));
  }
  return newer;
}

LakeCommitEntry LakeCommitter::publish(LakeCommitEntry entry, const FenceCheck& fence) {
  PublishState state = PublishState::kNotPublished;
  return publish(std::move(entry), fence, state);
}

LakeCommitEntry LakeCommitter::publish(LakeCommitEntry entry, const FenceCheck& fence,
                                       PublishState& state) {
  return publish_prepared(
      std::move(entry),
      [&](const std::vector<LakeCommitEntry>& newer, LakeCommitEntry&) {
        if (fence) fence(newer);
      },
      state);
}

LakeCommitEntry LakeCommitter::publish_prepared(LakeCommitEntry entry, const Prepare& prepare,
                                                PublishState& state) {
  state = PublishState::kNotPublished;
  for (;;) {
    std::vector<LakeCommitEntry> newer = read_newer();
    if (prepare) prepare(newer, entry);
    entry.writer_id = writer_id_;
    entry.seq = last_seq_ + 1;
    entry.timestamp_ms = now_micros() / 1000;
    for (size_t i = 0; i < entry.files.size(); ++i) {
      entry.files[i].path = final_key(entry.files[i].partition, entry.seq, i);
    }
    // The writer id, nonce and timestamp make the bytes ours alone, which
    // put_if_absent relies on after an ambiguous attempt.
    entry.nonce = nonce_;
    const std::string key = std::string(kLakeLogDir) + "/" + commit_log_name(entry.seq);
    const std::string text = commit_entry_to_json(entry);
    bool created = false;
    try {
      created = table_.put_if_absent(key, text);
    } catch (const RuntimeError&) {
      // Ambiguous: the entry may be linked (a failed fsync after link(2), a
      // response lost after the server stored it). Our bytes at the key say so.
      try {
        auto there = storage::get_if_exists(table_, key);
        state = there && *there == text ? PublishState::kPublished : PublishState::kNotPublished;
      } catch (const RuntimeError&) {
        state = PublishState::kUnknown;
      }
      if (state == PublishState::kPublished) last_seq_ = entry.seq;
      throw;
    }
    if (created) {
      state = PublishState::kPublished;
      last_seq_ = entry.seq;
      return entry;
    }
    // Another writer took this seq: look at what it did, then try the next.
  }
}

void LakeCommitter::finish(const LakeCommitEntry& entry) {
  std::vector<std::pair<std::string, std::string>> moves;
  for (const auto& f : entry.files) {
    if (!f.staging.empty()) moves.emplace_back(f.staging, f.path);
  }
  // One directory fsync per partition directory (local), not two per file.
  for (size_t i : table_.move_all(moves)) {
    // Another process's recover() (a compaction, a vacuum, a restarted
    // writer) finished this move meanwhile.
    if (!table_.head(moves[i].second)) {
      throw storage::StorageError(storage::StorageErrorKind::kNotFound,
                                  "lake: staged file " + moves[i].first + " is gone and " +
                                      moves[i].second + " does not exist");
    }
  }
  for (const std::string& path : entry.removed) table_.remove(path);
}

void LakeCommitter::discard(const std::vector<std::string>& staged_keys) {
  for (const std::string& key : staged_keys) table_.remove(key);
}

}  // namespace sluice
