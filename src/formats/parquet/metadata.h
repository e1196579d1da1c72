// The parts of parquet.thrift that sluice writes (enum values and field ids from
// the Parquet format specification), as plain structs with serializers to the
// Thrift compact protocol: page headers and the footer's FileMetaData.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/batch.h"
#include "formats/parquet/buffer.h"

namespace sluice::parquet {

// parquet.thrift enum Type.
enum class PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kDouble = 5,
  kByteArray = 6
};
// enum Encoding.
enum class Encoding : int32_t { kPlain = 0, kRle = 3, kRleDictionary = 8 };
// enum CompressionCodec.
enum class CodecId : int32_t { kUncompressed = 0, kSnappy = 1, kZstd = 6 };
// enum PageType.
enum class PageType : int32_t { kDataPage = 0, kDictionaryPage = 2 };

PhysicalType physical_type(ColumnType type);

// Statistics (the min_value/max_value fields, PLAIN-encoded without a length
// prefix; the deprecated signed min/max are never written).
struct Statistics {
  int64_t null_count = 0;
  std::optional<std::string> min_value;
  std::optional<std::string> max_value;
  bool min_exact = true;
  bool max_exact = true;
  std::optional<int64_t> nan_count;  // DOUBLE columns only
};

struct PageHeader {
  PageType type = PageType::kDataPage;
  int32_t uncompressed_size = 0;
  int32_t compressed_size = 0;
  int32_t num_values = 0;
  Encoding encoding = Encoding::kPlain;  // values (data page) or entries (dictionary page)
};

struct PageEncodingCount {
  PageType page_type;
  Encoding encoding;
  int32_t count;
};

struct ColumnChunkMeta {
  PhysicalType type = PhysicalType::kByteArray;
  std::vector<Encoding> encodings;
  std::string path;  // the column name (flat schema: one path element)
  CodecId codec = CodecId::kUncompressed;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;  // pages including their headers
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
  Statistics statistics;
  std::vector<PageEncodingCount> encoding_stats;
  int64_t file_offset = 0;  // ColumnChunk.file_offset: the chunk's first page
};

struct RowGroupMeta {
  std::vector<ColumnChunkMeta> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
  int64_t file_offset = 0;
  int64_t total_compressed_size = 0;
};

struct FileMeta {
  const OutputSchema* schema = nullptr;
  int64_t num_rows = 0;
  std::vector<RowGroupMeta> row_groups;
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
  std::string created_by;
};

// Appends the compact-protocol serialization to `out`.
void serialize(const PageHeader& header, Buffer& out);
void serialize(const FileMeta& meta, Buffer& out);

}  // namespace sluice::parquet
