// The lake's commit protocol over a Storage, so that the same steps give
// exactly-once on a local directory and on S3, where nothing can be renamed
// atomically (ARCHITECTURE.md, "The commit protocol on object storage"):
//
//  1. stage(): each complete data file is uploaded (or moved, locally) to
//     _sluice_staging/<writer>-<nonce>-<n>.parquet -- a prefix readers
//     ignore (Spark, Trino and Athena skip paths starting with '_').
//  2. publish(): the log entry naming the staged files, their final keys
//     (deterministic: part-<seq>-<i>-<writer>.parquet in the partition) and
//     the source positions is created with put_if_absent at
//     _sluice_log/<seq 20 digits>.json, seq = newest seen + 1. THE commit
//     point; exactly one writer creates a seq. A lost race re-reads the new
//     entries, runs the caller's fence check on them, and tries seq + 1.
//  3. finish(): each staged file moves to its final key (S3: server-side
//     copy, then delete of the staged object).
// recover() rolls every published entry forward (a staged object whose
// final key is missing is moved; a staged object whose final key exists is
// deleted) and deletes this writer's staged objects that no entry names
// (and temporary log files "_sluice_log/.<seq>.<writer>.tmp" that writers
// before the storage layer left behind).
// Moving again is harmless: the final key is fixed by the entry, and the
// bytes are the staged bytes, so a repeated copy rewrites the same object.
//
// Threading: one LakeCommitter per writer thread. Several committers (in
// one or many processes) may share a table if their writer ids differ.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sinks/lake/commit_log.h"
#include "storage/storage.h"

namespace sluice {

class LakeCommitter {
 public:
  // `table` is the table's storage (its root is the table directory).
  LakeCommitter(storage::Storage& table, std::string writer_id);

  // Rolls forward and cleans up (see above); returns every published entry.
  std::vector<LakeCommitEntry> recover();

  // Uploads the complete local file `local_file` under a staging key unique
  // to this committer and returns the key (relative to the table). With
  // `remove_local` the local file is deleted after the upload.
  std::string stage(const std::string& local_file, bool remove_local);
  // A fresh staging key unique to this committer, ending in `suffix`:
  // "_sluice_staging/<file_id>-<hex nonce>-<n><suffix>".
  std::string staging_key(const std::string& suffix);
  // stage() under a key chosen by the caller (staging_key(), or a key of
  // the caller's own that starts with "_sluice_staging/<file_id()>-").
  void stage_to(const std::string& key, const std::string& local_file, bool remove_local);

  // Called with the entries published since the last look, before every
  // attempt to publish; throws to abandon the commit (fencing).
  using FenceCheck = std::function<void(const std::vector<LakeCommitEntry>& newer)>;

  // Publishes `entry` (files with staging, partition, rows and bytes set;
  // paths are assigned here) as the next seq. Returns the entry as
  // published. On a throw nothing was published, unless the error came
  // after put_if_absent succeeded (then recover() finds the entry).
  LakeCommitEntry publish(LakeCommitEntry entry, const FenceCheck& fence);

  // Called like FenceCheck, but may also rewrite the entry (its seq, paths
  // and timestamp are assigned after the call): a replace commit recomputes
  // `removed` against the newer entries.
  using Prepare =
      std::function<void(const std::vector<LakeCommitEntry>& newer, LakeCommitEntry& entry)>;

  // What publish() knows about the entry when it throws.
  enum class PublishState {
    kNotPublished,  // nothing was published: the staged files may be deleted
    kPublished,     // the entry is in the log: recover() finishes the commit
    kUnknown,       // the attempt failed ambiguously and a re-read failed too:
                    // keep the staged files (recover() decides)
  };
  // publish() that also reports through `state` (set before any throw)
  // whether the entry was linked, so that a caller deletes staged files only
  // when nothing was published. An ambiguous put_if_absent (it threw: e.g.
  // the local fsync after link(2), or a lost S3 response) is settled by
  // reading the key back: our bytes there mean published.
  LakeCommitEntry publish(LakeCommitEntry entry, const FenceCheck& fence, PublishState& state);
  // The same with a Prepare step; the other two publish() call this one.
  LakeCommitEntry publish_prepared(LakeCommitEntry entry, const Prepare& prepare,
                                   PublishState& state);

  // The entries published after last_seq(), in seq order; advances last_seq().
  std::vector<LakeCommitEntry> read_newer();

  // Moves the staged files of a published entry to their final keys (a file
  // another process' recover() moved meanwhile is fine), then deletes the
  // files the entry removes.
  void finish(const LakeCommitEntry& entry);

  // Deletes staged objects of the pending commit (nothing was published).
  void discard(const std::vector<std::string>& staged_keys);

  int64_t last_seq() const { return last_seq_; }
  const std::string& file_id() const { return file_id_; }
  // The final key of file `index` of commit `seq` in `partition`.
  std::string final_key(const std::string& partition, int64_t seq, size_t index) const;

 private:
  storage::Storage& table_;
  std::string writer_id_;
  std::string file_id_;  // writer id made safe for object names
  std::string nonce_;    // distinguishes the staging names of successive runs
  int64_t last_seq_ = 0;
  uint64_t next_staged_ = 0;
};

// Which writer made a file, matched exactly on the whole name (a writer id
// may be another's plus "-x": "w1" must not take "w1-x"'s files).
// A staged name (the part after _sluice_staging/, without "tmp_"):
// "<file_id>-<nonce>-<n>.parquet" or ".parquet.inprogress", nonce hex or
// decimal, n decimal.
bool is_staged_name_of(const std::string& name, const std::string& file_id);
// A final file name "part-<seq>-<index>-<file_id>.parquet".
bool is_final_name_of(const std::string& name, const std::string& file_id);

}  // namespace sluice
