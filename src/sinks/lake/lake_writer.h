// The lake sink: buffers columnar batches per Hive-style partition and
// commits them as Parquet files plus one commit-log entry that also records
// the source positions covered, so restarts resume exactly once.
//
// Rows are partitioned once per batch (Partitioner::key_of per row, one hash
// lookup per run of equal keys) and gathered into a buffer per partition
// (one gather pass per column; a batch wholly in one partition is kept
// as it is, no copy). A buffer that reaches a row group (row_group_size rows,
// or max_partition_buffer_bytes) becomes a row-group job of the partition's
// open staging file, _sluice_staging/<writer>-<nonce>-<n>.parquet.inprogress,
// encoded by the pool of encoder threads (encoder_pool.h: one strand per file,
// row groups in order) while the caller parses the next batches. A file is
// closed when it reaches the rotation limits, so files stay near their target
// size however the partitions interleave. Memory is bounded: all buffers
// together stay under max_buffer_bytes (the largest buffers flush first), the
// row groups waiting for an encoder under max_queued_bytes (append() waits),
// and at most max_open_files files accept rows (the least recently used one
// closes first).
//
// The table lives on a Storage (a local directory, or s3://bucket/prefix);
// every step of the commit goes through LakeCommitter (commit_protocol.h),
// the one implementation of the protocol for the writer, its claims, the
// batch publisher and the lake tools. On a local directory the encoders
// write the staged files in place; on S3 they write them to a local spool
// directory and the commit uploads them to the staging prefix (multipart,
// bounded memory). Commit protocol (crash-safe under SIGKILL at any point):
//  1. every buffer is flushed as a last row group, every open file gets its
//     footer, is fsynced and closed (on the encoder threads), and the writer
//     waits for all of them (S3: then uploads them to _sluice_staging/);
//  2. the log entry is created with put_if_absent at
//     _sluice_log/<seq 20 digits>.json (local: link(2); S3: If-None-Match: *)
//     -- THE commit point; a lost race means another writer took that seq:
//     re-read, re-check the fence, retry with the next seq;
//  3. staged files move to <partition>/part-<seq>-<n>-<writer>.parquet.
// open() rolls committed-but-unmoved files forward and deletes this
// writer's unreferenced staged files, so the table always equals the log,
// both as read through the log and through a plain glob of *.parquet.
//
// Threading: a LakeWriter is driven by one thread (append/commit/... are not
// synchronized); its encoder threads only run the jobs it hands them. Several
// LakeWriters, in one or many processes, may share a table if they have
// distinct writer ids; they coordinate only through the log. A writer id must
// not be used by two live processes at once (open() deletes that id's
// uncommitted files). append() blocks while the encoders are max_queued_bytes
// behind; commit() blocks until the open files are encoded and fsynced.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/pipeline.h"
#include "core/batch.h"
#include "core/error.h"
#include "core/record.h"
#include "sinks/lake/commit_log.h"
#include "sinks/lake/lake_tools.h"

namespace sluice {

namespace storage {
class Storage;
}
class EncoderClient;
class EncoderPool;
class LakeCommitter;
class Partitioner;
class StagedFile;
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
  // and writer id are percent-encoded like partition values); config.path
  // may be s3://bucket/prefix (reached with config.storage and the AWS_*
  // environment). Throws
  // RuntimeError if a partition key names a column missing from `schema`.
  LakeWriter(const LakeSinkConfig& config, const OutputSchema& schema, std::string timestamp_column,
             std::string writer_id);
  ~LakeWriter();
  LakeWriter(const LakeWriter&) = delete;
  LakeWriter& operator=(const LakeWriter&) = delete;

  // Creates the directories (S3: clears this writer's spool directory),
  // recovers (roll forward / roll back, see above)
  // and returns the committed state. Must be called before commit().
  LakeState open();

  // Partitions the rows of `batch` (which follows the schema) into the
  // partition buffers, flushing full buffers as row groups to the encoders.
  // A batch wholly in one partition is shared with the encoders, never
  // copied; nobody may modify it afterwards. Throws RuntimeError if an
  // encoder failed; the pending commit's rows and files are then dropped
  // (the caller must fail or rewind its source).
  void append(std::shared_ptr<const RecordBatch> batch);
  // The same for a batch the caller keeps using (its rows are copied into
  // the buffers).
  void append(const RecordBatch& batch);

  // True if rows are pending and commit_interval_ms passed since the last
  // commit, or too many rotated files wait for a commit. `now_ms` is
  // monotonic_millis().
  bool should_commit(int64_t now_ms) const;
  size_t buffered_rows() const { return buffered_rows_; }
  // Files of the pending commit (open, closing or complete).
  size_t pending_files() const { return files_.size(); }
  // Bytes held in the partition buffers (not yet handed to an encoder).
  size_t buffer_bytes() const { return buffer_bytes_; }
  // Bytes held in one partition's buffer (0 if none); `partition` is its
  // relative path, e.g. "s=a".
  size_t partition_buffer_bytes(const std::string& partition) const;
  // Bytes of row groups waiting for or in an encoder.
  size_t queued_bytes() const;
  // The most buffer_bytes() held when an append() returned, and the most
  // queued_bytes() ever, since construction: the caps' test hooks.
  size_t peak_buffer_bytes() const { return peak_buffer_bytes_; }
  size_t peak_queued_bytes() const;
  // The encoder pool (shared by the process's writers; see encoder_pool.h).
  const EncoderPool& encoder_pool() const { return *pool_; }
  // Files accepting rows now (at most max_open_files).
  size_t open_files() const { return accepting_count_; }

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
  // Applies one published entry to committed_ and owners_.
  void apply_entry(const LakeCommitEntry& entry);
  void remove_orphans(const std::vector<LakeCommitEntry>& entries);
  std::string staging_rel(uint64_t n) const;
  // Where the encoder writes the staged file `rel`: in place (local), or in
  // the spool directory (S3).
  std::string local_staging_path(const std::string& rel) const;

  // One staged file of the pending commit.
  struct PendingFile {
    size_t partition = 0;        // index into partitions_ (until the commit)
    std::string partition_path;  // e.g. "year=2024/month=03/day=01/hour=13"
    std::string staging;         // relative to the table dir
    uint64_t number = 0;         // creation order
    int64_t rows = 0;
    size_t bytes = 0;                    // in-memory estimate of the rows written, for rotation
    std::shared_ptr<StagedFile> staged;  // its strand in the encoder pool
    bool accepting = true;               // not yet closed
    uint64_t last_used = 0;
  };
  // Rows of one partition not yet handed to an encoder, in arrival order.
  struct Partition {
    std::string path;
    std::vector<RowRange> pieces;
    // The batch that gathers this partition's rows (the last piece's batch)
    // while no encoder job shares it; reset once a job takes its rows.
    std::shared_ptr<RecordBatch> tail;
    size_t tail_capacity = 0;  // rows reserved in tail
    size_t rows = 0;
    size_t bytes = 0;                 // allocated bytes held (for the memory caps)
    size_t data_bytes = 0;            // used bytes of the rows (for rotate.max_bytes)
    std::vector<PendingFile*> files;  // accepting files of this partition
  };

  // Partition index of each row of `batch` into row_partition_.
  void assign_partitions(const RecordBatch& batch);
  size_t partition_for_row(const RecordBatch& batch, size_t row);
  // Adds rows to partition buffers (`shared`: the batch, if the caller gave it away).
  void buffer_rows(const RecordBatch& batch, const std::shared_ptr<const RecordBatch>& shared);
  void gather_into(Partition& p, const RecordBatch& batch, const uint32_t* rows, size_t n);
  // Flushes full buffers of the touched partitions, then the largest ones
  // while the total is over max_buffer_bytes.
  void flush_full(const std::vector<uint32_t>& touched);
  // Hands the first `n` buffered rows of the partition to a file as one row group.
  void flush_rows(size_t partition, size_t n);
  // Hands all buffered rows of the partition to its files.
  void flush_all(size_t partition);
  // Rows/bytes the partition's next row group may take (room of its file).
  size_t row_group_rows(const Partition& p) const;
  size_t row_group_bytes(const Partition& p) const;
  PendingFile* least_lagging(const Partition& p) const;
  PendingFile& file_for(size_t partition);
  void close_file(PendingFile& file);
  void check_encoders();
  // Completes all files (throws on failure, after removing them).
  void finish_files();
  void remove_files();

  LakeSinkConfig config_;
  OutputSchema schema_;
  std::string timestamp_column_;
  std::string writer_id_;
  std::string file_id_;    // writer_id_ made safe for file names
  std::string table_dir_;  // a directory or s3://bucket/prefix/table
  std::unique_ptr<storage::Storage> table_;
  std::unique_ptr<LakeCommitter> committer_;
  std::string spool_dir_;  // S3 only: where the encoders write

  std::unique_ptr<Partitioner> partitioner_;
  std::shared_ptr<EncoderPool> pool_;
  std::shared_ptr<EncoderClient> client_;              // this writer's side of pool_
  std::vector<std::unique_ptr<PendingFile>> files_;    // the pending commit's files
  std::vector<Partition> partitions_;                  // of the pending commit
  std::unordered_map<std::string, uint32_t> by_key_;   // Partitioner::key_of -> index
  std::unordered_map<std::string, uint32_t> by_path_;  // path -> index
  std::vector<uint32_t> row_partition_;                // per row of the batch being routed
  std::vector<uint32_t> counts_, order_;               // scratch of the gather pass
  std::string key_, path_;                             // scratch
  size_t buffer_bytes_ = 0;
  size_t peak_buffer_bytes_ = 0;
  size_t accepting_count_ = 0;
  size_t files_per_partition_ = 1;
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
