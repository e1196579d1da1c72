// Native Parquet encoder: rows of RecordBatches -> a Parquet file (flat schema,
// every column OPTIONAL, DataPage V1, dictionary or PLAIN encoding, zstd/snappy).
//
// Threading: one FileWriter (and its ByteSink) is used by one thread at a time.
// Distinct FileWriters share nothing (no globals, no shared buffers), so a pool
// may encode different files concurrently. write_row_group() blocks on the
// sink's writes; it encodes whole column chunks in tight loops over the slices'
// arrays, with no virtual call per value (the sink is called per page).
//
// Layers (see src/formats/parquet/): column_writer.cpp decides the encoding of
// a column chunk (dictionary or PLAIN fallback) and where pages are cut;
// encoding.{h,cpp} and dictionary.h encode values and report sizes;
// page_sink.cpp compresses pages and writes their Thrift headers; this file's
// FileWriter owns row groups and the footer (metadata.cpp, Thrift compact).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/batch.h"

namespace sluice::parquet {

// Where the bytes of a file go: a local file now, an S3 multipart upload later.
// Called per page or footer, never per value. write() throws on failure
// (RuntimeError); the FileWriter then refuses further calls.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(const void* data, size_t n) = 0;
  // Bytes accepted so far (the offset in the file of the next byte written).
  virtual uint64_t position() const = 0;
};

// A local file written through a POSIX descriptor with a buffer of its own.
// Errors throw RuntimeError naming the path and errno. The destructor closes
// the descriptor without flushing errors to anyone: call close() to see them.
class FileSink final : public ByteSink {
 public:
  // Creates or truncates `path` (mode 0644). The buffer is allocated on the
  // first write().
  explicit FileSink(std::string path, size_t buffer_bytes = 1 << 20);
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  void write(const void* data, size_t n) override;
  uint64_t position() const override { return position_; }
  // Hands the buffered bytes to the kernel.
  void flush();
  // flush() and frees the buffer until the next write() (a file that waits
  // between row groups then holds no buffer).
  void release_buffer();
  // flush() and fsync(): the bytes are durable when it returns.
  void sync();
  // flush() and close(2). Idempotent; write() after close() throws.
  void close();
  const std::string& path() const { return path_; }

 private:
  void write_fully(const uint8_t* data, size_t n);

  std::string path_;
  int fd_ = -1;
  std::unique_ptr<uint8_t[]> buffer_;
  size_t capacity_;
  size_t used_ = 0;
  uint64_t position_ = 0;
};

// Rows [begin, end) of a batch whose columns follow the writer's schema.
struct Slice {
  const RecordBatch* batch;
  uint32_t begin;
  uint32_t end;
};

enum class Codec { kNone, kSnappy, kZstd };

struct WriterOptions {
  Codec codec = Codec::kZstd;
  int zstd_level = 1;
  // Uncompressed size limit of a data page. Checked before each value (an
  // upper bound of the encoded size, so also per value for strings); a page
  // always holds at least one row, so one larger value makes a page of its own.
  // Both limits are clamped to 2 GiB - 1 MiB (the page header's int32 sizes).
  size_t data_page_bytes = 1 << 20;
  // PLAIN-encoded size limit of a column chunk's dictionary; beyond it the
  // whole chunk is written PLAIN (decided per column chunk, per row group).
  size_t dictionary_page_bytes = 1 << 20;
  // A chunk is dictionary-encoded only if its values repeat at least this many
  // times on average (distinct * dictionary_min_repeats <= non-null values):
  // indices of a high-cardinality column (event times, ids) look random to the
  // codec, while PLAIN keeps the structure zstd compresses (sorted times,
  // neighbouring repeats). Checked on the chunk's first max(4096, n/8) values
  // too, so a sparse column stops hashing early. 1 turns the rule off (only
  // the byte limit applies).
  size_t dictionary_min_repeats = 4;
  // String statistics longer than this are truncated to bounds (min: a prefix;
  // max: a prefix with its last ASCII byte incremented), kept valid UTF-8.
  size_t max_statistics_bytes = 64;
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
  std::string created_by = "sluice";
};

// The buffers, dictionaries and codec context that encoding a row group
// needs, and nothing a file keeps between row groups (that is only its footer
// metadata). One per encoding thread, passed to write_row_group(), makes the
// memory of encoding grow with the threads, not with the open files.
// Threading: used by one thread at a time.
class EncodeScratch {
 public:
  EncodeScratch();
  ~EncodeScratch();
  EncodeScratch(const EncodeScratch&) = delete;
  EncodeScratch& operator=(const EncodeScratch&) = delete;
  // Bytes of capacity held (grows to the largest row group encoded with it).
  size_t capacity_bytes() const;

 private:
  friend class FileWriter;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class FileWriter {
 public:
  // Writes the magic "PAR1" to `sink`. `schema` and `sink` must outlive the writer.
  FileWriter(const OutputSchema& schema, WriterOptions options, ByteSink& sink);
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Encodes the rows of all slices, in order, as ONE row group (the caller
  // decides the row-group size). The batches are read only during the call
  // (nothing is kept). Slices with no rows are ignored; a call with
  // no rows at all writes no row group. Throws RuntimeError if a slice does not
  // match the schema, after close(), or after an earlier failure.
  void write_row_group(std::span<const Slice> slices);
  // The same with the caller's scratch (see EncodeScratch); the writer's own
  // scratch (the overload above, created on first use) is not allocated.
  void write_row_group(std::span<const Slice> slices, EncodeScratch& scratch);
  // Writes the footer (FileMetaData, Thrift compact) and the trailing length and
  // "PAR1". No more row groups after it. Does not flush or close the sink.
  void close();

  uint64_t bytes_written() const;
  int64_t rows_written() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::parquet
