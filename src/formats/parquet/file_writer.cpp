// FileWriter: the file layer (magic, row groups, footer) over ColumnWriters.
#include <limits>
#include <string>
#include <utility>

#include "core/error.h"
#include "formats/parquet/column_writer.h"
#include "formats/parquet/metadata.h"
#include "formats/parquet/page_sink.h"
#include "formats/parquet/parquet_writer.h"

namespace sluice::parquet {

namespace {
constexpr char kMagic[4] = {'P', 'A', 'R', '1'};
}

struct EncodeScratch::Impl {
  std::vector<ColumnWriter> columns;  // one per column index
  PageScratch pages;
};

EncodeScratch::EncodeScratch() : impl_(std::make_unique<Impl>()) {}
EncodeScratch::~EncodeScratch() = default;

size_t EncodeScratch::capacity_bytes() const {
  size_t n = impl_->pages.capacity_bytes();
  for (const ColumnWriter& c : impl_->columns) n += c.capacity_bytes();
  return n;
}

struct FileWriter::Impl {
  Impl(const OutputSchema& s, WriterOptions o, ByteSink& sink_)
      : schema(s),
        options(std::move(o)),
        sink(sink_),
        pages(sink_, options.codec, options.zstd_level) {
    meta.schema = &schema;
    meta.key_value_metadata = options.key_value_metadata;
    meta.created_by = options.created_by;
  }

  void check_open(const char* what) const {
    if (failed) throw RuntimeError(std::string("parquet: ") + what + " after an earlier failure");
    if (closed) throw RuntimeError(std::string("parquet: ") + what + " after close()");
  }

  void check_slice(const Slice& slice) const {
    if (slice.batch == nullptr) throw RuntimeError("parquet: slice without a batch");
    const RecordBatch& batch = *slice.batch;
    if (batch.columns.size() != schema.size()) {
      throw RuntimeError("parquet: batch has " + std::to_string(batch.columns.size()) +
                         " columns, schema has " + std::to_string(schema.size()));
    }
    for (size_t c = 0; c < schema.size(); ++c) {
      if (batch.columns[c].type() != schema[c].type) {
        throw RuntimeError("parquet: column " + schema[c].name + " is " +
                           column_type_name(batch.columns[c].type()) + " in the batch, " +
                           column_type_name(schema[c].type) + " in the schema");
      }
    }
    if (slice.begin > slice.end || slice.end > batch.rows()) {
      throw RuntimeError("parquet: slice [" + std::to_string(slice.begin) + ", " +
                         std::to_string(slice.end) + ") outside a batch of " +
                         std::to_string(batch.rows()) + " rows");
    }
  }

  void write_row_group(std::span<const Slice> slices, EncodeScratch::Impl& scratch) {
    int64_t rows = 0;
    for (const Slice& slice : slices) {
      check_slice(slice);
      rows += slice.end - slice.begin;
    }
    if (rows == 0) return;
    RowGroupMeta rg;
    rg.num_rows = rows;
    rg.file_offset = static_cast<int64_t>(pages.position());
    rg.columns.reserve(schema.size());
    if (scratch.columns.size() < schema.size()) scratch.columns.resize(schema.size());
    pages.bind(&scratch.pages);
    struct Unbind {
      PageSink& p;
      ~Unbind() { p.bind(nullptr); }
    } unbind{pages};
    for (size_t c = 0; c < schema.size(); ++c) {
      rg.columns.push_back(scratch.columns[c].write_chunk(schema[c], options, slices, c, pages));
      rg.total_byte_size += rg.columns.back().total_uncompressed_size;
      rg.total_compressed_size += rg.columns.back().total_compressed_size;
    }
    meta.num_rows += rows;
    meta.row_groups.push_back(std::move(rg));
  }

  void close() {
    Buffer footer;
    serialize(meta, footer);
    if (footer.size() > std::numeric_limits<uint32_t>::max())
      throw RuntimeError("parquet: footer too large");
    footer.put_u32_le(static_cast<uint32_t>(footer.size()));
    footer.append(kMagic, 4);
    sink.write(footer.data(), footer.size());
  }

  const OutputSchema& schema;
  WriterOptions options;
  ByteSink& sink;
  PageSink pages;
  std::unique_ptr<EncodeScratch> own_scratch;  // for write_row_group(slices)
  FileMeta meta;
  uint64_t start = 0;
  bool closed = false;
  bool failed = false;
};

FileWriter::FileWriter(const OutputSchema& schema, WriterOptions options, ByteSink& sink)
    : impl_(std::make_unique<Impl>(schema, std::move(options), sink)) {
  impl_->start = sink.position();
  sink.write(kMagic, 4);
}

FileWriter::~FileWriter() = default;

void FileWriter::write_row_group(std::span<const Slice> slices) {
  if (!impl_->own_scratch) impl_->own_scratch = std::make_unique<EncodeScratch>();
  write_row_group(slices, *impl_->own_scratch);
}

void FileWriter::write_row_group(std::span<const Slice> slices, EncodeScratch& scratch) {
  impl_->check_open("write_row_group");
  try {
    impl_->write_row_group(slices, *scratch.impl_);
  } catch (...) {
    impl_->failed = true;  // the file holds a partial row group: refuse to go on
    throw;
  }
}

void FileWriter::close() {
  impl_->check_open("close");
  try {
    impl_->close();
    impl_->closed = true;
  } catch (...) {
    impl_->failed = true;
    throw;
  }
}

uint64_t FileWriter::bytes_written() const {
  return impl_->sink.position() - impl_->start;
}

int64_t FileWriter::rows_written() const {
  return impl_->meta.num_rows;
}

}  // namespace sluice::parquet
