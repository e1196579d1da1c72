#include "formats/parquet/compression.h"

#include <snappy.h>
#include <zstd.h>

#include <string>

#include "core/error.h"

namespace sluice::parquet {

struct Compressor::ZstdContext {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  ~ZstdContext() { ZSTD_freeCCtx(ctx); }
};

Compressor::Compressor(Codec codec, int zstd_level) : codec_(codec), zstd_level_(zstd_level) {
  if (codec_ == Codec::kZstd) {
    zstd_ = std::make_unique<ZstdContext>();
    if (zstd_->ctx == nullptr) throw RuntimeError("parquet: ZSTD_createCCtx failed");
  }
}

Compressor::~Compressor() = default;

void Compressor::compress(const uint8_t* data, size_t n, Buffer& out) {
  out.clear();
  switch (codec_) {
    case Codec::kZstd: {
      const size_t bound = ZSTD_compressBound(n);
      uint8_t* dst = out.tail(bound);
      const size_t got = ZSTD_compressCCtx(zstd_->ctx, dst, bound, data, n, zstd_level_);
      if (ZSTD_isError(got)) {
        throw RuntimeError(std::string("parquet: zstd compression failed: ") +
                           ZSTD_getErrorName(got));
      }
      out.advance(got);
      return;
    }
    case Codec::kSnappy: {
      uint8_t* dst = out.tail(snappy::MaxCompressedLength(n));
      size_t got = 0;
      snappy::RawCompress(reinterpret_cast<const char*>(data), n, reinterpret_cast<char*>(dst),
                          &got);
      out.advance(got);
      return;
    }
    case Codec::kNone:
      out.append(data, n);
      return;
  }
}

}  // namespace sluice::parquet
