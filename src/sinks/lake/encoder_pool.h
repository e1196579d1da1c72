// The lake writer's encoders: a pool of threads (sized to the cores) that
// encode row groups into staged Parquet files, off the thread that parses and
// partitions the rows.
//
// Each staged file is a strand: its jobs (row groups, then the close) run in
// the order they were submitted, one at a time, on whichever pool thread is
// free; different files encode in parallel. A row-group job holds its rows
// as ranges of shared, immutable batches, so nothing is copied on the way.
//
// One pool serves every LakeWriter of a process (EncoderPool::shared(): the
// main table, window and late tables of a run), so the encoding threads match
// the cores however many tables are written. Each writer is an EncoderClient:
// its schema and encoding options, and its own queued bytes and failure, so
// one table's failure or back-pressure never touches another's. Encoding
// memory grows with the threads, not the open files: each thread owns one
// parquet::EncodeScratch (buffers, dictionaries, zstd context) that every file
// it encodes uses; an open file keeps only its sink and footer metadata.
//
// Every byte the writer puts in or takes out of the staging area goes through
// the few functions at the end of this header (create, finish, remove), so a
// storage layer (object store uploads) can replace the local files there.
//
// Threading: submit/wait/cancel and the accessors are called by the writer's
// thread; jobs run on the pool's threads. A StagedFile's `encoder` state is
// touched only by the job that runs it (strands never run a file's jobs
// concurrently); everything else of it is guarded by the pool's mutex.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/pipeline.h"
#include "core/batch.h"
#include "formats/parquet/parquet_writer.h"
#include "sinks/lake/parquet_writer.h"

namespace sluice {

class EncoderPool;

// One writer's side of the pool: how its files are encoded, and its
// accounting (guarded by the pool's mutex).
class EncoderClient {
 public:
  // `schema` must outlive the client.
  EncoderClient(const OutputSchema& schema, const LakeSinkConfig& config);
  ~EncoderClient();
  EncoderClient(const EncoderClient&) = delete;
  EncoderClient& operator=(const EncoderClient&) = delete;

 private:
  friend class EncoderPool;
  const OutputSchema& schema_;
  parquet::WriterOptions options_;
  LakeEncoder kind_;
  std::unique_ptr<ParquetEncoder> duck_;  // the DuckDB COPY path, if configured
  size_t queued_bytes_ = 0;
  size_t peak_queued_bytes_ = 0;
  std::string failure_;
};

// One staged file of the pending commit and its strand of jobs.
class StagedFile {
 public:
  StagedFile(std::string path, std::shared_ptr<EncoderClient> client)
      : path_(std::move(path)), client_(std::move(client)) {}
  const std::string& path() const { return path_; }

 private:
  friend class EncoderPool;
  struct Job {
    std::vector<RowRange> rows;  // one row group (empty: the close job)
    size_t bytes = 0;            // in-memory estimate, for max_queued_bytes
    bool close = false;
  };

  std::string path_;
  std::shared_ptr<EncoderClient> client_;
  // Guarded by the pool's mutex.
  std::deque<Job> jobs_;
  bool ready_ = false;    // in the pool's ready list
  bool running_ = false;  // a pool thread runs one of its jobs
  std::string error_;     // the first failure; later jobs are dropped

  // The running job's only (see the threading note above).
  std::unique_ptr<parquet::FileSink> sink_;
  std::unique_ptr<parquet::FileWriter> writer_;
  std::unique_ptr<ParquetStream> duck_;
  bool started_ = false;
};

class EncoderPool {
 public:
  // `threads` 0: one per core.
  explicit EncoderPool(size_t threads);
  ~EncoderPool();  // drops queued jobs, waits for running ones, joins
  EncoderPool(const EncoderPool&) = delete;
  EncoderPool& operator=(const EncoderPool&) = delete;

  // The process's pool of `threads` threads (0: one per core), created on
  // first use and kept while a caller holds it; a request for another thread
  // count while one lives gets a pool of its own.
  static std::shared_ptr<EncoderPool> shared(size_t threads);

  size_t threads() const { return threads_.size(); }
  // Bytes of encoding scratch the threads hold (the largest row group each
  // encoded sets it; it does not grow with the open files).
  size_t scratch_bytes() const;

  // Queues one row group for `file` (created by its first job).
  void write(const std::shared_ptr<StagedFile>& file, std::vector<RowRange> rows, size_t bytes);
  // Queues the close: footer, fsync, close. The file is complete (durable)
  // once wait() returns without error.
  void close(const std::shared_ptr<StagedFile>& file);
  // Jobs of `file` not yet started.
  size_t queued_jobs(const StagedFile& file) const;
  // Waits until `file` ran all its jobs; returns its error ("" if none).
  std::string wait(const StagedFile& file);
  // Drops the queued jobs of `file`, waits for its running job and releases
  // its descriptors/streams (the caller removes the partial file).
  void cancel(StagedFile& file);

  // Bytes of the client's row groups queued or encoding, now and at most
  // since the client was created.
  size_t queued_bytes(const EncoderClient& client) const;
  size_t peak_queued_bytes(const EncoderClient& client) const;
  // Waits until `bytes` more fit under `limit` queued bytes of the client (or
  // nothing of it is queued: a larger row group still goes alone); returns
  // early on the client's failure.
  void wait_for_room(const EncoderClient& client, size_t bytes, size_t limit);
  // The client's first failure since its last clear_failure() ("": none).
  std::string failure(const EncoderClient& client) const;
  void clear_failure(EncoderClient& client);

 private:
  void run(size_t index);
  void run_job(StagedFile& file, StagedFile::Job& job, parquet::EncodeScratch& scratch);
  void schedule(const std::shared_ptr<StagedFile>& file);  // under mu_

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // a file became ready, or stopping
  std::condition_variable done_cv_;  // a job finished
  std::deque<std::shared_ptr<StagedFile>> ready_;
  std::vector<size_t> scratch_bytes_;  // per thread
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// --- Staging I/O: the only places the writer touches staged file bytes. ---

// Creates (truncates) the staged file at `path` for writing.
std::unique_ptr<parquet::FileSink> create_staged_file(const std::string& path);
// Makes a completely written staged file durable and closes it.
void finish_staged_file(parquet::FileSink& sink);
// Removes a staged file (absent is fine).
void remove_staged_file(const std::string& path);

}  // namespace sluice
