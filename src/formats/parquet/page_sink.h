// The page layer: compresses a page body, writes its Thrift compact PageHeader
// and the body to the ByteSink, and adds the sizes to its column chunk's totals.
// The only place that writes page headers; it guards the int32 size fields.
//
// Threading: owned by one FileWriter, used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>

#include "formats/parquet/buffer.h"
#include "formats/parquet/compression.h"
#include "formats/parquet/metadata.h"
#include "formats/parquet/parquet_writer.h"

namespace sluice::parquet {

struct ChunkTotals {
  int64_t uncompressed = 0;  // headers + uncompressed bodies
  int64_t compressed = 0;    // headers + bodies as written
};

// What a PageSink needs only while it writes: the codec context and the
// compressed page and header buffers. Kept per encoding thread (EncodeScratch),
// so that open files hold none of it.
struct PageScratch {
  // The compressor for codec/level, (re)created on first use or a change.
  Compressor& compressor(Codec codec, int zstd_level);
  size_t capacity_bytes() const { return compressed.capacity() + header.capacity(); }

  std::unique_ptr<Compressor> compressor_;
  Codec codec_ = Codec::kNone;
  int zstd_level_ = 0;
  Buffer compressed;
  Buffer header;
};

class PageSink {
 public:
  PageSink(ByteSink& sink, Codec codec, int zstd_level);
  // The scratch write_page() uses; set by the FileWriter around each row group.
  void bind(PageScratch* scratch) { scratch_ = scratch; }

  CodecId codec_id() const;
  // Offset in the file of the next byte: the sink's position minus where the
  // file started in it.
  uint64_t position() const { return sink_.position() - base_; }

  // Writes one page (header.type, num_values and encoding set by the caller;
  // the sizes are filled in here) and returns the file offset of its header.
  // Throws RuntimeError if a size does not fit the header's int32 fields.
  uint64_t write_page(PageHeader header, const Buffer& body, ChunkTotals& totals);

 private:
  ByteSink& sink_;
  uint64_t base_;
  Codec codec_;
  int zstd_level_;
  PageScratch* scratch_ = nullptr;
};

}  // namespace sluice::parquet
