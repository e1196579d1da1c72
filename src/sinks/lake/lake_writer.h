// The lake sink: buffers columnar batches per Hive-style partition and
// commits them as Parquet files plus one commit-log entry that also records
// the source positions covered, so restarts resume exactly once.
//
// Rows are not buffered until the commit: each partition streams into an
// open staging file (short runs of a partition that has none are held until
// a row group's worth has come, so interleaved partitions stay few files),
// _sluice_staging/<writer>-<nonce>-<n>.parquet.inprogress, whose Parquet encoding runs on a thread
// of its own while rows arrive (see parquet_writer.h). A file is closed when it reaches the
// rotation limits; when the encoder of a partition falls a row group behind, a second file of that
// partition is opened so that both cores encode.
//
// Commit protocol (crash-safe under SIGKILL at any point):
//  1. every open file is completed and every staged file is fsynced;
//  2. the log entry is written to _sluice_log/.<seq>.<writer>.tmp, fsynced and
//     published with link(tmp, "<seq 20 digits>.json") -- THE commit point;
//     EEXIST means another writer took that seq: re-read, re-check the fence,
//     retry with the next seq;
//  3. staging files are renamed to <partition>/part-<seq>-<n>-<writer>.parquet.
// open() rolls committed-but-unrenamed files forward and deletes this
// writer's unreferenced staging/tmp files, so the table always equals the log,
// both as read through the log and through a plain glob of *.parquet.
//
// Threading: a LakeWriter is driven by one thread (append/commit/... are not
// synchronized). Several LakeWriters, in one or many processes, may share a
// table if they have distinct writer ids; they coordinate only through the
// log. A writer id must not be used by two live processes at once (open()
// deletes that id's uncommitted files). append() blocks while the encoders are
// far behind; commit() blocks until the open files are encoded, on file I/O
// and fsync.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "core/batch.h"
#include "core/error.h"
#include "core/record.h"
#include "sinks/lake/commit_log.h"
#include "sinks/lake/lake_tools.h"

namespace sluice {

class ParquetEncoder;
class ParquetStream;
class Partitioner;
struct RowRange;

// What recovery returns.
struct LakeState {
  int64_t last_seq = 0;
  SourceOffsets offsets;  // latest committed end offset per stream, across all entries
  std::map<std::string, std::string>
      meta;  // meta of the last entry of this writer_id (or last entry)
};

// Another writer committed the same stream positions: this writer is fenced
// and must drop its buffer (discard_buffer) and re-read its positions.
class StaleWriterError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

class LakeWriter {
 public:
  // The table directory is config.path + "/" + config.table (the table name
  // and writer id are percent-encoded like partition values). Throws
  // RuntimeError if a partition key names a column missing from `schema`.
  LakeWriter(const LakeSinkConfig& config, const OutputSchema& schema, std::string timestamp_column,
             std::string writer_id);
  ~LakeWriter();
  LakeWriter(const LakeWriter&) = delete;
  LakeWriter& operator=(const LakeWriter&) = delete;

  // Creates the directories, recovers (roll forward / roll back, see above)
  // and returns the committed state. Must be called before commit().
  LakeState open();

  // Partitions the rows of `batch` (which follows the schema) and streams
  // each partition's rows into its open file. The batch is shared with the
  // encoders, never copied; nobody may modify it afterwards. Throws
  // RuntimeError if an encoder failed; the pending commit's rows and files
  // are then dropped (the caller must fail or rewind its source).
  void append(std::shared_ptr<const RecordBatch> batch);
  // The same for a batch the caller keeps using: copies it once.
  void append(const RecordBatch& batch);

  // True if rows are pending and commit_interval_ms passed since the last
  // commit, or too many rotated files wait for a commit. `now_ms` is
  // monotonic_millis().
  bool should_commit(int64_t now_ms) const;
  size_t buffered_rows() const { return buffered_rows_; }
  // Files of the pending commit (open, closing or complete).
  size_t pending_files() const { return files_.size(); }

  // Completes every open file, fsyncs the staged files, atomically publishes
  // the log entry, then moves the files into place. With no buffered rows it
  // only records offsets.
  // Throws StaleWriterError if, for a stream in start_offsets, the latest
  // committed end offset in the log differs from its start offset (the
  // pending files are kept; call discard_buffer()). Throws RuntimeError on
  // encoding or I/O failure (the pending files are then gone: the caller
  // must fail or rewind its source); if that happens after the commit
  // point, the buffer is already dropped and open() finishes moving the
  // files.
  LakeCommitEntry commit(const SourceOffsets& start_offsets, const SourceOffsets& end_offsets,
                         const std::map<std::string, std::string>& meta);

  // Drops uncommitted rows and their staged files (after StaleWriterError or
  // a revocation).
  void discard_buffer();

  // Scale-out fencing (lake_claim.cpp): publishes a claim entry making this
  // writer (this open(): owner_token()) the owner of `streams`, and returns
  // their committed positions as of that entry (streams never committed are
  // absent). From then on commit() refuses (StaleWriterError) any stream whose
  // latest claim is not this writer's, so an owner that lost a stream (paused
  // past its session, then resumed) can never publish it again.
  SourceOffsets claim(const std::vector<std::string>& streams);
  // Unique per open() of a writer (writer id, process id, open time).
  std::string owner_token() const;
  // The seq the next entry would get if nobody else published first.
  int64_t next_seq() const { return last_seq_ + 1; }

  const std::string& table_dir() const { return table_dir_; }
  const std::string& writer_id() const { return writer_id_; }

 private:
  // Reads log entries published after last_seq_, advancing committed_.
  void refresh_log();
  void recover(const std::vector<LakeCommitEntry>& entries);
  // mkdir -p below the table dir, fsyncing the parent of each new level.
  void make_partition_dir(const std::string& dir) const;
  std::string staging_rel(uint64_t n) const;

  // One staged file of the pending commit.
  struct PendingFile {
    std::string partition;
    std::string staging;  // relative to the table dir
    uint64_t number = 0;  // creation order
    int64_t rows = 0;
    size_t bytes = 0;                       // in-memory estimate of the rows pushed, for rotation
    std::unique_ptr<ParquetStream> stream;  // null once complete
    bool accepting = true;                  // not yet closed for rotation
    uint64_t last_used = 0;
  };
  // Runs shorter than this, of a partition with no open file, are held in
  // memory until a row group's worth (or the commit) is there.
  static constexpr size_t kDirectRows = 1024;
  // Streams rows of one partition into its files, or holds short runs.
  void route(const std::string& partition, const RowRange& rows, size_t bytes_per_row);
  void release_held(std::map<std::string, RecordBatch>::iterator held);
  // Pushes rows into the partition's open files (opening, rotating).
  void push_to_files(const std::string& partition, const RowRange& rows, size_t bytes_per_row);
  PendingFile& file_for(const std::string& partition);
  void close_file(PendingFile& file);
  // Completes all files (throws on failure, after removing them).
  void finish_files();
  void remove_files();
  std::string final_rel(const std::string& partition, int64_t seq, size_t n) const;

  LakeSinkConfig config_;
  OutputSchema schema_;
  std::string timestamp_column_;
  std::string writer_id_;
  std::string file_id_;  // writer_id_ made safe for file names
  std::string table_dir_;
  std::string log_dir_;
  std::string staging_dir_;

  std::unique_ptr<Partitioner> partitioner_;
  std::unique_ptr<ParquetEncoder> encoder_;
  std::vector<std::unique_ptr<PendingFile>> files_;             // the pending commit's files
  std::map<std::string, std::vector<PendingFile*>> accepting_;  // partition -> open files
  std::map<std::string, RecordBatch> held_;  // short runs of partitions without an open file
  size_t accepting_count_ = 0;
  size_t rotated_files_ = 0;  // closed by the rotation limits since the last commit
  size_t buffered_rows_ = 0;
  uint64_t next_file_ = 0;
  uint64_t use_clock_ = 0;
  int64_t nonce_ = 0;  // makes staging names unique per open()

  bool opened_ = false;
  int64_t last_seq_ = 0;                       // highest published seq seen
  SourceOffsets committed_;                    // latest committed end offset per stream
  std::map<std::string, std::string> owners_;  // stream -> owner token of its latest claim
  int64_t last_commit_ms_ = 0;
};

}  // namespace sluice
