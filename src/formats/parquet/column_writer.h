// The column-chunk layer: the encoding policy of one column. For each row group
// it gathers the column's rows from the slices into contiguous arrays
// (definition levels, non-null values), builds the dictionary over the whole
// chunk and chooses once: RLE_DICTIONARY data pages after a PLAIN dictionary
// page, or PLAIN for the whole chunk when the dictionary's PLAIN size passes
// `dictionary_page_bytes` (booleans and all-null chunks are always PLAIN). It
// then cuts data pages by `data_page_bytes` (the estimate is checked per value,
// a page always holds at least one row) and computes the chunk statistics.
//
// A ColumnWriter holds only scratch (gathered values, dictionaries, the page
// being built): nothing of it outlives a write_chunk() call but its buffers'
// capacity, so one ColumnWriter serves every column of every file that one
// thread encodes (EncodeScratch), and steady-state encoding does not allocate.
//
// Threading: used by one thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "formats/parquet/buffer.h"
#include "formats/parquet/dictionary.h"
#include "formats/parquet/metadata.h"
#include "formats/parquet/page_sink.h"
#include "formats/parquet/parquet_writer.h"

namespace sluice::parquet {

class ColumnWriter {
 public:
  // Encodes column `index` (described by `spec`) of the slices' rows as one
  // column chunk. `spec` and `options` are used only during the call.
  ColumnChunkMeta write_chunk(const ColumnSpec& spec, const WriterOptions& options,
                              std::span<const Slice> slices, size_t index, PageSink& pages);
  // Bytes of scratch capacity held (buffers and dictionaries).
  size_t capacity_bytes() const;

 private:
  enum class Mode { kDictionary, kPlain };

  void gather(std::span<const Slice> slices, size_t index);
  void gather_strings();
  Mode build_dictionary();
  void compute_statistics(Mode mode, Statistics& stats) const;
  void write_dictionary_page(PageSink& pages, ChunkTotals& totals, ColumnChunkMeta& meta);
  void write_data_pages(Mode mode, PageSink& pages, ChunkTotals& totals, ColumnChunkMeta& meta);
  template <typename Cost>
  void cut_pages(Cost cost, Mode mode, PageSink& pages, ChunkTotals& totals, ColumnChunkMeta& meta);
  void encode_page(Mode mode, size_t row_begin, size_t row_end, size_t value_begin,
                   size_t value_end);
  size_t dictionary_size() const;

  const ColumnSpec* spec_ = nullptr;        // of the chunk being written
  const WriterOptions* options_ = nullptr;  // of the chunk being written
  int index_width_ = 1;                     // bits per dictionary index
  std::span<const Slice> slices_;           // the chunk being written
  size_t column_index_ = 0;

  // The gathered chunk: one definition level per row, the non-null values.
  RawArray<uint8_t> levels_;
  size_t null_count_ = 0;
  RawArray<uint32_t> values32_;         // INT32 bits
  RawArray<uint64_t> values64_;         // INT64, TIMESTAMP, DOUBLE bits
  RawArray<uint8_t> bools_;             // BOOLEAN 0/1
  RawArray<std::string_view> strings_;  // BYTE_ARRAY when PLAIN, pointing into the batches
  RawArray<uint32_t> indices_;          // dictionary index per non-null value

  FixedDictionary<uint32_t> dict32_;
  FixedDictionary<uint64_t> dict64_;
  StringDictionary dict_strings_;

  Buffer page_;
};

}  // namespace sluice::parquet
