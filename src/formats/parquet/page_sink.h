// The page layer: compresses a page body, writes its Thrift compact PageHeader
// and the body to the ByteSink, and adds the sizes to its column chunk's totals.
// The only place that writes page headers; it guards the int32 size fields.
//
// Threading: owned by one FileWriter, used by one thread at a time.
#pragma once

#include <cstdint>

#include "formats/parquet/buffer.h"
#include "formats/parquet/compression.h"
#include "formats/parquet/metadata.h"
#include "formats/parquet/parquet_writer.h"

namespace sluice::parquet {

struct ChunkTotals {
  int64_t uncompressed = 0;  // headers + uncompressed bodies
  int64_t compressed = 0;    // headers + bodies as written
};

class PageSink {
 public:
  PageSink(ByteSink& sink, Codec codec, int zstd_level);

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
  Compressor compressor_;
  Buffer compressed_;
  Buffer header_;
};

}  // namespace sluice::parquet
