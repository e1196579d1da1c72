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

PageSink::PageSink(ByteSink& sink, Codec codec, int zstd_level)
    : sink_(sink), base_(sink.position()), codec_(codec), compressor_(codec, zstd_level) {}

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
  header.uncompressed_size = checked_page_size(body.size(), "uncompressed page");
  const Buffer* out = &body;
  if (codec_ != Codec::kNone) {
    compressor_.compress(body.data(), body.size(), compressed_);
    out = &compressed_;
  }
  header.compressed_size = checked_page_size(out->size(), "compressed page");
  header_.clear();
  serialize(header, header_);
  const uint64_t offset = position();
  sink_.write(header_.data(), header_.size());
  if (out->size() > 0) sink_.write(out->data(), out->size());
  totals.uncompressed += static_cast<int64_t>(header_.size() + body.size());
  totals.compressed += static_cast<int64_t>(header_.size() + out->size());
  return offset;
}

}  // namespace sluice::parquet
