// LakeWriter's append side: partitioning each batch once, the per-partition
// buffers, row-group flushes to the encoder pool, file rotation and the caps
// on memory and open files (see lake_writer.h).
#include <fmt/format.h>

#include <algorithm>

#include "sinks/lake/encoder_pool.h"
#include "sinks/lake/lake_writer.h"
#include "sinks/lake/parquet_writer.h"
#include "sinks/lake/partition.h"

namespace sluice {

namespace {

// Rows of a partition buffer's largest chunk (see gather_into).
constexpr size_t kChunkRows = 16384;

size_t at_least_one(int64_t v) {
  return static_cast<size_t>(std::max<int64_t>(1, v));
}

}  // namespace

void LakeWriter::append(const RecordBatch& batch) {
  // Not given away: buffer_rows() copies the rows into partition buffers.
  if (!opened_) throw RuntimeError("lake: append() before open()");
  if (batch.columns.size() != schema_.size()) {
    throw RuntimeError("lake: appended batch does not follow the output schema");
  }
  for (size_t c = 0; c < schema_.size(); ++c) {
    if (batch.columns[c].type() != schema_[c].type) {
      throw RuntimeError("lake: appended batch column '" + schema_[c].name + "' has type " +
                         column_type_name(batch.columns[c].type()));
    }
  }
  if (batch.rows() == 0) return;
  try {
    check_encoders();
    buffer_rows(batch, nullptr);
    check_encoders();
  } catch (const RuntimeError&) {
    remove_files();  // an encoder failed: the pending commit is lost as a whole
    throw;
  }
}

void LakeWriter::append(std::shared_ptr<const RecordBatch> batch) {
  if (!opened_) throw RuntimeError("lake: append() before open()");
  if (batch->columns.size() != schema_.size()) {
    throw RuntimeError("lake: appended batch does not follow the output schema");
  }
  for (size_t c = 0; c < schema_.size(); ++c) {
    if (batch->columns[c].type() != schema_[c].type) {
      throw RuntimeError("lake: appended batch column '" + schema_[c].name + "' has type " +
                         column_type_name(batch->columns[c].type()));
    }
  }
  if (batch->rows() == 0) return;
  try {
    check_encoders();
    buffer_rows(*batch, batch);
    check_encoders();
  } catch (const RuntimeError&) {
    remove_files();
    throw;
  }
}

void LakeWriter::check_encoders() {
  std::string failure = pool_->failure(*client_);
  if (!failure.empty()) throw RuntimeError("parquet: encoding failed: " + failure);
}

size_t LakeWriter::partition_buffer_bytes(const std::string& partition) const {
  auto it = by_path_.find(partition);
  return it == by_path_.end() ? 0 : partitions_[it->second].bytes;
}

size_t LakeWriter::queued_bytes() const {
  return pool_->queued_bytes(*client_);
}

size_t LakeWriter::peak_queued_bytes() const {
  return pool_->peak_queued_bytes(*client_);
}

size_t LakeWriter::partition_for_row(const RecordBatch& batch, size_t row) {
  partitioner_->key_of(batch, row, key_);
  if (auto it = by_key_.find(key_); it != by_key_.end()) return it->second;
  partitioner_->path_of(batch, row, path_);
  auto [at, added] = by_path_.emplace(path_, static_cast<uint32_t>(partitions_.size()));
  if (added) {
    partitions_.emplace_back();
    partitions_.back().path = path_;
  }
  by_key_.emplace(key_, at->second);
  return at->second;
}

void LakeWriter::assign_partitions(const RecordBatch& batch) {
  const size_t rows = batch.rows();
  row_partition_.resize(rows);
  // Rows mostly come in runs of one partition: one lookup per run.
  uint32_t current = static_cast<uint32_t>(partition_for_row(batch, 0));
  row_partition_[0] = current;
  for (size_t r = 1; r < rows; ++r) {
    if (!partitioner_->same_partition(batch, r - 1, r)) {
      current = static_cast<uint32_t>(partition_for_row(batch, r));
    }
    row_partition_[r] = current;
  }
}

void LakeWriter::buffer_rows(const RecordBatch& batch,
                             const std::shared_ptr<const RecordBatch>& shared) {
  const size_t rows = batch.rows();
  assign_partitions(batch);
  counts_.assign(partitions_.size(), 0);
  std::vector<uint32_t> touched;
  for (size_t r = 0; r < rows; ++r) {
    if (counts_[row_partition_[r]]++ == 0) touched.push_back(row_partition_[r]);
  }
  if (touched.size() == 1) {
    Partition& p = partitions_[touched[0]];
    if (shared) {
      // The whole batch is one partition: buffer it as it is.
      p.pieces.push_back(RowRange{shared, 0, rows});
      p.tail.reset();
      // Held as a whole while any of its rows wait: its allocation counts.
      const size_t bytes = batch.capacity_bytes();
      p.rows += rows;
      p.bytes += bytes;
      p.data_bytes += batch.byte_size();
      buffer_bytes_ += bytes;
    } else {
      order_.resize(rows);
      for (size_t r = 0; r < rows; ++r) order_[r] = static_cast<uint32_t>(r);
      gather_into(p, batch, order_.data(), rows);
    }
  } else {
    // Counting sort of the row numbers by partition, then one gather pass
    // per partition (and column).
    std::vector<uint32_t> start(partitions_.size(), 0);
    uint32_t at = 0;
    for (uint32_t id : touched) {
      start[id] = at;
      at += counts_[id];
    }
    order_.resize(rows);
    std::vector<uint32_t> next = start;
    for (size_t r = 0; r < rows; ++r) order_[next[row_partition_[r]]++] = static_cast<uint32_t>(r);
    for (uint32_t id : touched) {
      gather_into(partitions_[id], batch, order_.data() + start[id], counts_[id]);
    }
  }
  buffered_rows_ += rows;
  flush_full(touched);
}

void LakeWriter::gather_into(Partition& p, const RecordBatch& batch, const uint32_t* rows,
                             size_t n) {
  // Rows gather into chunks allocated once (a new chunk rather than a
  // reallocation that copies everything buffered): each chunk as large as
  // the rows already buffered (at least the rows at hand, at most
  // kChunkRows), so a partition's chunks grow geometrically and a quiet
  // partition stays small.
  size_t before = 0;  // a new chunk counts whole: its reservation is held
  const size_t data_before = p.tail ? p.tail->byte_size() : 0;
  if (!p.tail || p.tail->rows() + n > p.tail_capacity) {
    p.tail = std::make_shared<RecordBatch>(schema_);
    p.tail_capacity = std::max(n, std::min(kChunkRows, std::max(p.rows, size_t{64})));
    for (Column& c : p.tail->columns) c.reserve(p.tail_capacity);
    p.pieces.push_back(RowRange{p.tail, 0, 0});
  } else {
    // What the buffer really holds: the columns' capacity, not their size.
    before = p.tail->capacity_bytes();
  }
  p.tail->append_rows(batch, rows, n);
  const size_t bytes = p.tail->capacity_bytes() - before;
  p.pieces.back().end = p.tail->rows();
  p.rows += n;
  p.bytes += bytes;
  p.data_bytes += p.tail->byte_size() - (p.tail->rows() == n ? 0 : data_before);
  buffer_bytes_ += bytes;
}

LakeWriter::PendingFile* LakeWriter::least_lagging(const Partition& p) const {
  PendingFile* best = nullptr;
  size_t best_queued = 0;
  for (PendingFile* f : p.files) {
    const size_t queued = pool_->queued_jobs(*f->staged);
    if (!best || queued < best_queued) {
      best = f;
      best_queued = queued;
    }
  }
  return best;
}

size_t LakeWriter::row_group_rows(const Partition& p) const {
  size_t limit = at_least_one(config_.row_group_size);
  const size_t max_rows = at_least_one(config_.rotate_max_rows);
  const PendingFile* f = p.files.empty() ? nullptr : p.files.front();
  const size_t used = f ? static_cast<size_t>(f->rows) : 0;
  return std::min(limit, max_rows > used ? max_rows - used : 1);
}

size_t LakeWriter::row_group_bytes(const Partition& p) const {
  const size_t limit = at_least_one(config_.max_partition_buffer_bytes);
  const size_t max_bytes = at_least_one(config_.rotate_max_bytes);
  const PendingFile* f = p.files.empty() ? nullptr : p.files.front();
  const size_t used = f ? f->bytes : 0;
  return std::min(limit, max_bytes > used ? max_bytes - used : 1);
}

void LakeWriter::flush_full(const std::vector<uint32_t>& touched) {
  for (uint32_t id : touched) {
    for (;;) {
      Partition& p = partitions_[id];
      if (p.rows == 0) break;
      const size_t rows_limit = row_group_rows(p);
      if (p.rows >= rows_limit) {
        flush_rows(id, rows_limit);
      } else if (p.bytes >= at_least_one(config_.max_partition_buffer_bytes) ||
                 p.data_bytes >= row_group_bytes(p)) {
        flush_rows(id, p.rows);
      } else {
        break;
      }
    }
  }
  // All buffers together: the largest flush first.
  const size_t cap = at_least_one(config_.max_buffer_bytes);
  while (buffer_bytes_ > cap) {
    size_t largest = 0;
    for (size_t i = 1; i < partitions_.size(); ++i) {
      if (partitions_[i].bytes > partitions_[largest].bytes) largest = i;
    }
    if (partitions_[largest].rows == 0) break;
    flush_all(largest);
  }
  peak_buffer_bytes_ = std::max(peak_buffer_bytes_, buffer_bytes_);
  // append() returns with at most max_queued_bytes queued (even when one
  // row group alone is larger).
  pool_->wait_for_room(*client_, 0, at_least_one(config_.max_queued_bytes));
}

void LakeWriter::flush_all(size_t partition) {
  while (partitions_[partition].rows > 0) {
    Partition& p = partitions_[partition];
    flush_rows(partition, std::min(p.rows, row_group_rows(p)));
  }
}

void LakeWriter::flush_rows(size_t partition, size_t n) {
  PendingFile& file = file_for(partition);
  Partition& p = partitions_[partition];
  n = std::min(n, p.rows);
  // Rotation by rows is exact: never more than the file's room.
  const size_t max_rows = at_least_one(config_.rotate_max_rows);
  n = std::min(n, max_rows > static_cast<size_t>(file.rows)
                      ? max_rows - static_cast<size_t>(file.rows)
                      : size_t{1});
  // Memory (allocated) for the caps, data (used) for the file's size.
  const size_t bytes = n == p.rows ? p.bytes : p.bytes * n / p.rows;
  const size_t data = n == p.rows ? p.data_bytes : p.data_bytes * n / p.rows;
  std::vector<RowRange> job;
  size_t taken = 0;
  size_t pieces_used = 0;
  for (RowRange& piece : p.pieces) {
    if (taken == n) break;
    const size_t want = n - taken;
    const size_t have = piece.end - piece.begin;
    if (piece.batch == p.tail) p.tail.reset();  // shared with the job from now on
    if (have <= want) {
      job.push_back(std::move(piece));
      taken += have;
      pieces_used++;
    } else {
      job.push_back(RowRange{piece.batch, piece.begin, piece.begin + want});
      piece.begin += want;
      taken += want;
    }
  }
  p.pieces.erase(p.pieces.begin(), p.pieces.begin() + static_cast<std::ptrdiff_t>(pieces_used));
  p.rows -= n;
  p.bytes -= bytes;
  p.data_bytes -= data;
  buffer_bytes_ -= bytes;
  if (p.rows == 0) {
    p.pieces.clear();
    p.tail.reset();
    buffer_bytes_ -= p.bytes;  // rounding of the estimate
    p.bytes = 0;
    p.data_bytes = 0;
  }
  // Back-pressure: the encoders are at most max_queued_bytes behind (a row
  // group larger than that waits for an empty queue and goes alone).
  pool_->wait_for_room(*client_, bytes, at_least_one(config_.max_queued_bytes));
  pool_->write(file.staged, std::move(job), bytes);
  file.rows += static_cast<int64_t>(n);
  file.bytes += data;
  file.last_used = ++use_clock_;
  if (static_cast<size_t>(file.rows) >= max_rows ||
      file.bytes >= at_least_one(config_.rotate_max_bytes)) {
    close_file(file);
    rotated_files_++;
  }
}

LakeWriter::PendingFile& LakeWriter::file_for(size_t partition) {
  Partition& p = partitions_[partition];
  // The open file whose encoder is least behind; another one only when every
  // open file of the partition has a row group waiting and the table has
  // fewer open files than encoder threads (both cores encode one partition
  // then), up to one file per encoder thread. With as many open files as
  // threads, the other partitions' files keep the threads busy: a second
  // file per partition would only halve every file.
  PendingFile* best = least_lagging(p);
  if (best && (pool_->queued_jobs(*best->staged) == 0 || p.files.size() >= files_per_partition_ ||
               accepting_count_ >= files_per_partition_)) {
    return *best;
  }
  // Stay within max_open_files: close the least recently used open file.
  const size_t cap = at_least_one(config_.max_open_files);
  while (accepting_count_ >= cap) {
    PendingFile* lru = nullptr;
    for (const auto& f : files_) {
      if (f->accepting && (!lru || f->last_used < lru->last_used)) lru = f.get();
    }
    if (!lru) break;
    close_file(*lru);
  }
  auto file = std::make_unique<PendingFile>();
  file->partition = partition;
  file->partition_path = p.path;
  file->number = next_file_++;
  file->staging = staging_rel(file->number);
  file->staged = std::make_shared<StagedFile>(local_staging_path(file->staging), client_);
  file->last_used = ++use_clock_;
  PendingFile* raw = file.get();
  files_.push_back(std::move(file));
  // The newest file first: row_group_rows() measures the room of files.front().
  p.files.insert(p.files.begin(), raw);
  accepting_count_++;
  return *raw;
}

void LakeWriter::close_file(PendingFile& file) {
  if (!file.accepting) return;
  file.accepting = false;
  pool_->close(file.staged);  // footer, fsync and close on an encoder thread
  std::vector<PendingFile*>& open = partitions_[file.partition].files;
  open.erase(std::find(open.begin(), open.end(), &file));
  accepting_count_--;
}

bool LakeWriter::should_commit(int64_t now_ms) const {
  if (buffered_rows_ == 0) return false;
  // Rotated files are complete: commit them before too many pile up.
  if (rotated_files_ >= at_least_one(config_.max_open_files)) return true;
  return now_ms - last_commit_ms_ >= config_.commit_interval_ms;
}

void LakeWriter::finish_files() {
  try {
    check_encoders();
    for (size_t i = 0; i < partitions_.size(); ++i) flush_all(i);
    for (auto& f : files_) close_file(*f);
    for (auto& f : files_) {
      std::string error = pool_->wait(*f->staged);
      if (!error.empty()) throw RuntimeError("parquet: encoding failed: " + error);
    }
  } catch (const RuntimeError&) {
    remove_files();
    throw;
  }
  partitions_.clear();
  by_key_.clear();
  by_path_.clear();
  buffer_bytes_ = 0;
  accepting_count_ = 0;
}

void LakeWriter::remove_files() {
  std::vector<std::unique_ptr<PendingFile>> files = std::move(files_);
  files_.clear();
  partitions_.clear();
  by_key_.clear();
  by_path_.clear();
  buffer_bytes_ = 0;
  accepting_count_ = 0;
  rotated_files_ = 0;
  buffered_rows_ = 0;
  for (auto& f : files) pool_->cancel(*f->staged);
  pool_->clear_failure(*client_);
  for (auto& f : files) remove_staged_file(f->staged->path());
}

void LakeWriter::discard_buffer() {
  remove_files();
}

}  // namespace sluice
