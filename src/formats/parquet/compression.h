// Page compression: zstd (one reused ZSTD_CCtx per writer) and snappy.
//
// Threading: a Compressor belongs to one FileWriter, used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "formats/parquet/buffer.h"
#include "formats/parquet/parquet_writer.h"

namespace sluice::parquet {

class Compressor {
 public:
  Compressor(Codec codec, int zstd_level);
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  // Replaces `out` with the compressed form of data[0..n). Not for Codec::kNone.
  void compress(const uint8_t* data, size_t n, Buffer& out);

 private:
  struct ZstdContext;
  Codec codec_;
  int zstd_level_;
  std::unique_ptr<ZstdContext> zstd_;
};

}  // namespace sluice::parquet
