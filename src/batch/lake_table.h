// Lake tables as batch jobs see them: the live files of a table read through
// its commit log, and an atomic "replace these days" commit for job outputs.
//
// Replacement is published through the lake's commit protocol
// (LakeCommitter, sinks/lake/commit_protocol.h), on a local directory or
// s3://: a replace entry is an ordinary log entry (same seq numbering, same
// put_if_absent commit point) that also fills
//   "removed": ["<path>", ...]  files of earlier entries that stop being live;
//   files[i].slice: "YYYY-MM-DD"  the day a file belongs to.
// After the commit point the staged files move into place and the removed
// files are deleted, so a plain glob over the partition directories sees
// exactly the live files. TablePublisher::open() (LakeCommitter::recover)
// finishes both steps after a crash and removes its own uncommitted staged
// files.
//
// Threading: read_live_table() is stateless. A TablePublisher is used by one
// thread; one publisher (writer id) per table at a time -- `sluice batch`
// holds a per-job lock file for that.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "batch/day.h"
#include "core/kill_hook.h"

namespace sluice {

namespace storage {
class Storage;
}
class LakeCommitter;

struct LiveFile {
  std::string path;  // relative to the table dir
  int64_t rows = 0;
  int64_t bytes = 0;  // as logged (0: an entry that did not record it)
  std::string partition;
  std::optional<Day> day;  // slice, or the day named by the partition path
  int64_t seq = 0;         // entry that added it
};

struct LiveTable {
  std::string table_dir;
  bool exists = false;  // a commit log directory was found
  int64_t last_seq = 0;
  std::vector<LiveFile> files;
  // For each day: the highest seq whose entry added or removed a file of it.
  std::map<Day, int64_t> day_changed_seq;

  // Files of the given days (and files with no day, which cannot be pruned).
  std::vector<const LiveFile*> files_for(const std::set<Day>& days) const;
  int64_t rows() const;
};

// Reads the table's log (up to the latest published entry) and applies the
// removals. Throws RuntimeError on a corrupt entry.
LiveTable read_live_table(const std::string& table_dir);
// The same through the table's storage (local or s3://).
LiveTable read_live_table(storage::Storage& table);

// A file a job wrote to its staging path, waiting for commit().
struct StagedJobFile {
  std::string staging;    // relative to the table dir (from staging_path())
  std::string partition;  // "day=2025-01-01", already sanitized
  Day day;
  int64_t rows = 0;
};

class TablePublisher {
 public:
  // `writer_id` names this publisher's staging and final files.
  TablePublisher(std::string table_dir, std::string writer_id);
  // The same on a table's storage (the table dir is its url()).
  TablePublisher(std::unique_ptr<storage::Storage> table, std::string writer_id);
  ~TablePublisher();
  TablePublisher(const TablePublisher&) = delete;
  TablePublisher& operator=(const TablePublisher&) = delete;

  // Creates the table directories and recovers (see the file comment).
  void open();

  // A fresh staging key (relative to the table dir) for file `n` of the
  // next commit; write the Parquet file at local_file(key), then pass the
  // key to replace().
  std::string staging_path(size_t n) const;
  // Where to write the staged file `staging`: in place on a local table, in
  // a private spool directory for s3:// (replace() uploads it).
  std::string local_file(const std::string& staging) const;
  // Deletes the local files of `files` (a job that failed before replace()).
  void discard(const std::vector<StagedJobFile>& files);

  // One atomic step: the staged files become live and every live file whose
  // day is in `days` stops being live. Returns the published seq. Throws
  // RuntimeError on I/O failure (before the commit point the staged files
  // are deleted; after it, open() finishes the job).
  int64_t replace(const std::vector<StagedJobFile>& files, const std::set<Day>& days,
                  const std::map<std::string, std::string>& meta);

  const std::string& table_dir() const { return table_dir_; }

  // Test hook: replace() calls it at "staged" (files staged, nothing
  // published), "published" (entry in the log, nothing moved) and "moved"
  // (new files in place, replaced files not yet deleted); `sluice batch`
  // maps SLUICE_TEST_BATCH_KILL_AT onto it (kill_at_step_from_env).
  void set_on_step(StepHook hook) { on_step_ = std::move(hook); }

 private:
  std::string table_dir_;
  std::string writer_id_;
  std::string file_id_;
  std::string nonce_;  // distinguishes staging names of successive runs
  std::unique_ptr<storage::Storage> table_;
  std::unique_ptr<LakeCommitter> committer_;
  std::string spool_dir_;  // s3:// only
  StepHook on_step_;
};

}  // namespace sluice
