#include "sinks/lake/encoder_pool.h"

#include <algorithm>

#include "core/error.h"
#include "sinks/lake/fs_util.h"

namespace sluice {

namespace {

parquet::Codec codec_of(Compression compression) {
  switch (compression) {
    case Compression::kZstd:
      return parquet::Codec::kZstd;
    case Compression::kSnappy:
      return parquet::Codec::kSnappy;
    case Compression::kUncompressed:
      return parquet::Codec::kNone;
  }
  return parquet::Codec::kZstd;
}

// Staged files are written a row group at a time and flushed after each, so
// a small buffer suffices (and many open files stay cheap).
constexpr size_t kSinkBufferBytes = 256 << 10;

}  // namespace

std::unique_ptr<parquet::FileSink> create_staged_file(const std::string& path) {
  return std::make_unique<parquet::FileSink>(path, kSinkBufferBytes);
}

void finish_staged_file(parquet::FileSink& sink) {
  sink.sync();
  sink.close();
}

void remove_staged_file(const std::string& path) {
  lakefs::remove_file(path);
}

EncoderClient::EncoderClient(const OutputSchema& schema, const LakeSinkConfig& config)
    : schema_(schema), kind_(config.encoder) {
  options_.codec = codec_of(config.compression);
  if (kind_ == LakeEncoder::kDuckDb) {
    duck_ = std::make_unique<ParquetEncoder>(schema, config.compression, config.row_group_size);
  }
}

EncoderClient::~EncoderClient() = default;

EncoderPool::EncoderPool(size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  scratch_bytes_.assign(threads, 0);
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run(i); });
}

std::shared_ptr<EncoderPool> EncoderPool::shared(size_t threads) {
  static std::mutex mu;
  static std::weak_ptr<EncoderPool> current;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::lock_guard lock(mu);
  std::shared_ptr<EncoderPool> pool = current.lock();
  if (pool && pool->threads() == threads) return pool;
  pool = std::make_shared<EncoderPool>(threads);
  current = pool;
  return pool;
}

size_t EncoderPool::scratch_bytes() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (size_t b : scratch_bytes_) n += b;
  return n;
}

EncoderPool::~EncoderPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& f : ready_) {
      f->jobs_.clear();
      f->ready_ = false;
    }
    ready_.clear();
    work_cv_.notify_all();
  }
  for (auto& t : threads_) t.join();
}

void EncoderPool::schedule(const std::shared_ptr<StagedFile>& file) {
  if (file->ready_ || file->running_ || file->jobs_.empty()) return;
  file->ready_ = true;
  ready_.push_back(file);
  work_cv_.notify_one();
}

void EncoderPool::write(const std::shared_ptr<StagedFile>& file, std::vector<RowRange> rows,
                        size_t bytes) {
  std::lock_guard lock(mu_);
  if (!file->error_.empty()) return;  // failed: the writer sees failure()
  file->jobs_.push_back(StagedFile::Job{std::move(rows), bytes, false});
  EncoderClient& c = *file->client_;
  c.queued_bytes_ += bytes;
  c.peak_queued_bytes_ = std::max(c.peak_queued_bytes_, c.queued_bytes_);
  schedule(file);
}

void EncoderPool::close(const std::shared_ptr<StagedFile>& file) {
  std::lock_guard lock(mu_);
  if (!file->error_.empty()) return;
  file->jobs_.push_back(StagedFile::Job{{}, 0, true});
  schedule(file);
}

size_t EncoderPool::queued_jobs(const StagedFile& file) const {
  std::lock_guard lock(mu_);
  return file.jobs_.size();
}

std::string EncoderPool::wait(const StagedFile& file) {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return file.jobs_.empty() && !file.running_; });
  return file.error_;
}

void EncoderPool::cancel(StagedFile& file) {
  {
    std::unique_lock lock(mu_);
    for (const auto& job : file.jobs_) file.client_->queued_bytes_ -= job.bytes;
    file.jobs_.clear();
    done_cv_.notify_all();
    done_cv_.wait(lock, [&] { return !file.running_; });
    // A ready entry without jobs is skipped by the workers.
  }
  if (file.duck_) file.duck_->abort();
  file.duck_.reset();
  file.writer_.reset();
  file.sink_.reset();  // closes the descriptor without a footer
}

size_t EncoderPool::queued_bytes(const EncoderClient& client) const {
  std::lock_guard lock(mu_);
  return client.queued_bytes_;
}

size_t EncoderPool::peak_queued_bytes(const EncoderClient& client) const {
  std::lock_guard lock(mu_);
  return client.peak_queued_bytes_;
}

void EncoderPool::wait_for_room(const EncoderClient& client, size_t bytes, size_t limit) {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] {
    return client.queued_bytes_ == 0 || client.queued_bytes_ + bytes <= limit ||
           !client.failure_.empty();
  });
}

std::string EncoderPool::failure(const EncoderClient& client) const {
  std::lock_guard lock(mu_);
  return client.failure_;
}

void EncoderPool::clear_failure(EncoderClient& client) {
  std::lock_guard lock(mu_);
  client.failure_.clear();
}

void EncoderPool::run(size_t index) {
  // This thread's encoding scratch, shared by every file it encodes.
  parquet::EncodeScratch scratch;
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
    if (stopping_) return;
    std::shared_ptr<StagedFile> file = std::move(ready_.front());
    ready_.pop_front();
    file->ready_ = false;
    if (file->jobs_.empty()) continue;  // cancelled
    StagedFile::Job job = std::move(file->jobs_.front());
    file->jobs_.pop_front();
    file->running_ = true;
    lock.unlock();
    std::string error;
    try {
      run_job(*file, job, scratch);
    } catch (const std::exception& e) {
      error = e.what();
    }
    job.rows.clear();  // release the batches before waking the writer
    lock.lock();
    file->running_ = false;
    EncoderClient& client = *file->client_;
    client.queued_bytes_ -= job.bytes;
    scratch_bytes_[index] = scratch.capacity_bytes();
    if (!error.empty()) {
      if (file->error_.empty()) file->error_ = error;
      if (client.failure_.empty()) client.failure_ = error;
      for (const auto& j : file->jobs_) client.queued_bytes_ -= j.bytes;
      file->jobs_.clear();
    }
    schedule(file);
    done_cv_.notify_all();
  }
}

void EncoderPool::run_job(StagedFile& file, StagedFile::Job& job, parquet::EncodeScratch& scratch) {
  const EncoderClient& client = *file.client_;
  if (!file.started_) {
    file.started_ = true;
    if (client.kind_ == LakeEncoder::kDuckDb) {
      file.duck_ = client.duck_->open(file.path());
    } else {
      file.sink_ = create_staged_file(file.path());
      file.writer_ =
          std::make_unique<parquet::FileWriter>(client.schema_, client.options_, *file.sink_);
    }
  }
  if (file.duck_) {
    if (job.close) {
      file.duck_->finish();
      file.duck_.reset();
      lakefs::fsync_path(file.path());
      return;
    }
    for (RowRange& r : job.rows) file.duck_->push(std::move(r));
    return;
  }
  if (!file.writer_) throw RuntimeError("lake: job for a closed file " + file.path());
  if (job.close) {
    file.writer_->close();
    finish_staged_file(*file.sink_);
    file.writer_.reset();
    file.sink_.reset();
    return;
  }
  std::vector<parquet::Slice> slices;
  slices.reserve(job.rows.size());
  for (const RowRange& r : job.rows) {
    slices.push_back(parquet::Slice{r.batch.get(), static_cast<uint32_t>(r.begin),
                                    static_cast<uint32_t>(r.end)});
  }
  file.writer_->write_row_group(slices, scratch);
  // The row group is in the file while the next one is encoded; a file
  // waiting for its next row group holds no buffer.
  file.sink_->release_buffer();
}

}  // namespace sluice
