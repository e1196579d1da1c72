// What StreamRunner's reader thread hands to its writer thread, the bounded
// queue between them, and the free list that brings finished work back to
// the reader so that its buffers (the raw batch's arena, the record and
// reject vectors) keep their capacity: the reader refills memory that is
// already allocated and touched instead of growing fresh buffers, and page
// faulting them in, for every batch.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/record.h"
#include "transforms/parse/parser.h"

namespace sluice {

struct Work {
  // kBarrier: commit everything so far (before `streams` are revoked);
  // kClaim: claim `streams` in the lake (they are being assigned).
  enum Kind { kBatch, kBarrier, kClaim, kEnd } kind = kBatch;
  std::vector<std::string> streams;  // kBarrier, kClaim
  RawBatch raw;
  RecordBatch rows;
  std::vector<Reject> rejects;
  std::vector<uint32_t> row_records;  // per row: its record (event-time stage only)
  ParseStats stats;
  std::exception_ptr error;
};

// Bounded queue of Work between the two threads, plus a bounded free list of
// finished Work (recycle() on the writer side, fresh() on the reader side).
class WorkQueue {
 public:
  explicit WorkQueue(size_t capacity) : capacity_(capacity) {}

  void push(std::unique_ptr<Work> w) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_; });
    queue_.push_back(std::move(w));
    not_empty_.notify_one();
  }
  // Waits up to timeout for an item; nullptr on timeout.
  std::unique_ptr<Work> pop(int timeout_ms) {
    std::unique_lock lock(mu_);
    if (!not_empty_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&] { return !queue_.empty(); })) {
      return nullptr;
    }
    auto w = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return w;
  }

  // Empty Work of kind kBatch: a recycled one (its buffers keep their
  // capacity) if there is one, else a new one.
  std::unique_ptr<Work> fresh() {
    std::unique_ptr<Work> w;
    {
      std::lock_guard lock(free_mu_);
      if (!free_.empty()) {
        w = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!w) return std::make_unique<Work>();
    w->kind = Work::kBatch;
    w->streams.clear();
    w->raw.clear();
    w->rows = RecordBatch();  // given away to the lake; never reused
    w->rejects.clear();
    w->row_records.clear();
    w->stats = ParseStats{};
    w->error = nullptr;
    return w;
  }
  // Work the writer is done with; kept for fresh() while fewer than the
  // queue's capacity plus one are kept (more could not be in flight).
  void recycle(std::unique_ptr<Work> w) {
    std::lock_guard lock(free_mu_);
    if (w && free_.size() <= capacity_) free_.push_back(std::move(w));
  }
  size_t free_count() const {
    std::lock_guard lock(free_mu_);
    return free_.size();
  }

 private:
  size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::unique_ptr<Work>> queue_;
  mutable std::mutex free_mu_;
  std::vector<std::unique_ptr<Work>> free_;
};

// Record batches whose memory comes back when the last holder lets go (the
// lake's encoder threads, after the row group is written), so that the reader
// parses into columns that are already allocated and touched rather than into
// fresh ones that page-fault in as they fill (~8% of the CPU of a run).
class BatchPool : public std::enable_shared_from_this<BatchPool> {
 public:
  explicit BatchPool(size_t keep) : keep_(keep) {
    free_.reserve(keep);  // give() never allocates (it runs in a deleter)
  }
  // An empty batch of `schema`: a returned one (cleared, capacity kept) if any.
  RecordBatch take(const OutputSchema& schema) {
    std::lock_guard lock(mu_);
    while (!free_.empty()) {
      RecordBatch b = std::move(free_.back());
      free_.pop_back();
      if (b.schema != &schema) continue;
      b.clear();
      return b;
    }
    return RecordBatch(schema);
  }
  // Shares `batch`; when the last reference goes, it returns to the pool
  // (while fewer than `keep` wait there; else it is freed).
  std::shared_ptr<const RecordBatch> share(RecordBatch&& batch) {
    std::shared_ptr<BatchPool> self = shared_from_this();
    return std::shared_ptr<const RecordBatch>(new RecordBatch(std::move(batch)),
                                              [self](const RecordBatch* b) {
                                                self->give(std::move(*const_cast<RecordBatch*>(b)));
                                                delete b;
                                              });
  }
  size_t free_count() const {
    std::lock_guard lock(mu_);
    return free_.size();
  }

 private:
  void give(RecordBatch&& b) {
    std::lock_guard lock(mu_);
    if (free_.size() < keep_) free_.push_back(std::move(b));
  }

  size_t keep_;
  mutable std::mutex mu_;
  std::vector<RecordBatch> free_;
};

// The size of the batches the reader builds, so that the next one is
// reserved at once instead of growing column by column (each growth a copy).
class BatchShape {
 public:
  // Remembers `batch`'s rows and string bytes per column.
  void observe(const RecordBatch& batch) {
    rows_ = batch.rows();
    chars_.resize(batch.columns.size());
    for (size_t c = 0; c < batch.columns.size(); ++c) chars_[c] = batch.columns[c].chars_size();
  }
  // Reserves the last observed shape plus an eighth in `batch` (empty).
  void reserve(RecordBatch& batch) const {
    if (rows_ == 0 || chars_.size() != batch.columns.size()) return;
    for (size_t c = 0; c < batch.columns.size(); ++c)
      batch.columns[c].reserve_more(rows_ + rows_ / 8, chars_[c] + chars_[c] / 8);
  }

 private:
  size_t rows_ = 0;
  std::vector<size_t> chars_;
};

}  // namespace sluice
