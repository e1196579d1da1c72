// The lake writer's encoders: a pool of threads (sized to the cores) that
// encode row groups into staged Parquet files, off the thread that parses and
// partitions the rows.
//
// Each staged file is a strand: its jobs (row groups, then the close) run in
// the order they were submitted, one at a time, on whichever pool thread is
// free; different files encode in parallel. A row-group job holds its rows
// as ranges of shared, immutable batches, so nothing is copied on the way.
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

// One staged file of the pending commit and its strand of jobs.
class StagedFile {
 public:
  explicit StagedFile(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

 private:
  friend class EncoderPool;
  struct Job {
    std::vector<RowRange> rows;  // one row group (empty: the close job)
    size_t bytes = 0;            // in-memory estimate, for max_queued_bytes
    bool close = false;
  };

  std::string path_;
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
  EncoderPool(const OutputSchema& schema, const LakeSinkConfig& config, size_t threads);
  ~EncoderPool();  // drops queued jobs, waits for running ones, joins
  EncoderPool(const EncoderPool&) = delete;
  EncoderPool& operator=(const EncoderPool&) = delete;

  size_t threads() const { return threads_.size(); }

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

  // Bytes of the row groups queued or encoding.
  size_t queued_bytes() const;
  // Waits while more than `limit` bytes are queued; returns early on failure.
  void wait_queued_at_most(size_t limit);
  // The first failure of any file since the last clear_failure() ("": none).
  std::string failure() const;
  void clear_failure();

 private:
  void run();
  void run_job(StagedFile& file, StagedFile::Job& job);
  void schedule(const std::shared_ptr<StagedFile>& file);  // under mu_

  const OutputSchema& schema_;
  parquet::WriterOptions options_;
  LakeEncoder kind_;
  std::unique_ptr<ParquetEncoder> duck_;  // the DuckDB COPY path, if configured

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // a file became ready, or stopping
  std::condition_variable done_cv_;  // a job finished
  std::deque<std::shared_ptr<StagedFile>> ready_;
  size_t queued_bytes_ = 0;
  std::string failure_;
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
