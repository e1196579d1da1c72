#include "formats/parquet/page_sink.h"

#include <limits>
#include <string>

#include "core/error.h"

namespace sluice::parquet {

namespace {

int32_t checked_page_size(size_t n, const char* what) {
  if (n > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw RuntimeError(std::string("parquet: ") + what + " of " + std::to_string(n) +
                       " bytes does not fit a page header's int32 size field");
  }
  return static_cast<int32_t>(n);
}

}  // namespace

Compressor& PageScratch::compressor(Codec codec, int zstd_level) {
  if (!compressor_ || codec_ != codec || zstd_level_ != zstd_level) {
    compressor_ = std::make_unique<Compressor>(codec, zstd_level);
    codec_ = codec;
    zstd_level_ = zstd_level;
  }
  return *compressor_;
}

PageSink::PageSink(ByteSink& sink, Codec codec, int zstd_level)
    : sink_(sink), base_(sink.position()), codec_(codec), zstd_level_(zstd_level) {}

CodecId PageSink::codec_id() const {
  switch (codec_) {
    case Codec::kNone:
      return CodecId::kUncompressed;
    case Codec::kSnappy:
      return CodecId::kSnappy;
    case Codec::kZstd:
      return CodecId::kZstd;
  }
  return CodecId::kUncompressed;
}

uint64_t PageSink::write_page(PageHeader header, const Buffer& body, ChunkTotals& totals) {
  if (scratch_ == nullptr) throw RuntimeError("parquet: page written outside a row group");
  PageScratch& s = *scratch_;
  header.uncompressed_size = checked_page_size(body.size(), "uncompressed page");
  const Buffer* out = &body;
  if (codec_ != Codec::kNone) {
    s.compressor(codec_, zstd_level_).compress(body.data(), body.size(), s.compressed);
    out = &s.compressed;
  }
  header.compressed_size = checked_page_size(out->size(), "compressed page");
  s.header.clear();
  serialize(header, s.header);
  const uint64_t offset = position();
  sink_.write(s.header.data(), s.header.size());
  if (out->size() > 0) sink_.write(out->data(), out->size());
  totals.uncompressed += static_cast<int64_t>(s.header.size() + body.size());
  totals.compressed += static_cast<int64_t>(s.header.size() + out->size());
  return offset;
}

}  // namespace sluice::parquet
