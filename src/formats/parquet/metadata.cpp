#include "formats/parquet/metadata.h"

#include <limits>

#include "core/error.h"
#include "formats/parquet/thrift_compact.h"

namespace sluice::parquet {

namespace {

// parquet.thrift enum ConvertedType and enum FieldRepetitionType.
constexpr int32_t kConvertedUtf8 = 0;
constexpr int32_t kConvertedTimestampMicros = 10;
constexpr int32_t kRepetitionOptional = 1;

int32_t i32(int v) {
  return static_cast<int32_t>(v);
}

template <typename E>
int32_t enum_value(E e) {
  return static_cast<int32_t>(e);
}

uint32_t list_size(size_t n) {
  if (n > std::numeric_limits<int32_t>::max())
    throw RuntimeError("parquet: list too long for Thrift");
  return static_cast<uint32_t>(n);
}

// SchemaElement (field ids: 1 type, 3 repetition_type, 4 name, 5 num_children,
// 6 converted_type, 10 logicalType).
void write_schema(CompactWriter& w, const OutputSchema& schema) {
  w.field_list(2, CompactWriter::kStruct, list_size(schema.size() + 1));
  w.begin_struct();  // root: a group with one child per column
  w.field_binary(4, "schema");
  w.field_i32(5, i32(static_cast<int>(schema.size())));
  w.end_struct();
  for (const ColumnSpec& column : schema) {
    w.begin_struct();
    w.field_i32(1, enum_value(physical_type(column.type)));
    w.field_i32(3, kRepetitionOptional);
    w.field_binary(4, column.name);
    if (column.type == ColumnType::kString) {
      w.field_i32(6, kConvertedUtf8);
      w.field_struct(10);  // LogicalType union
      w.field_struct(1);   // STRING: StringType {}
      w.end_struct();
      w.end_struct();
    } else if (column.type == ColumnType::kTimestamp) {
      w.field_i32(6, kConvertedTimestampMicros);
      w.field_struct(10);     // LogicalType union
      w.field_struct(8);      // TIMESTAMP: TimestampType
      w.field_bool(1, true);  // isAdjustedToUTC
      w.field_struct(2);      // unit: TimeUnit union
      w.field_struct(2);      // MICROS: MicroSeconds {}
      w.end_struct();
      w.end_struct();
      w.end_struct();
      w.end_struct();
    }
    w.end_struct();
  }
}

// Statistics (3 null_count, 5 max_value, 6 min_value, 7 is_max_value_exact,
// 8 is_min_value_exact, 9 nan_count).
void write_statistics(CompactWriter& w, int16_t id, const Statistics& s) {
  w.field_struct(id);
  w.field_i64(3, s.null_count);
  if (s.max_value) w.field_binary(5, *s.max_value);
  if (s.min_value) w.field_binary(6, *s.min_value);
  if (s.max_value) w.field_bool(7, s.max_exact);
  if (s.min_value) w.field_bool(8, s.min_exact);
  if (s.nan_count) w.field_i64(9, *s.nan_count);
  w.end_struct();
}

void write_key_values(CompactWriter& w, int16_t id,
                      const std::vector<std::pair<std::string, std::string>>& kv) {
  w.field_list(id, CompactWriter::kStruct, list_size(kv.size()));
  for (const auto& [key, value] : kv) {
    w.begin_struct();
    w.field_binary(1, key);
    w.field_binary(2, value);
    w.end_struct();
  }
}

// ColumnChunk (2 file_offset, 3 meta_data) holding ColumnMetaData (1 type,
// 2 encodings, 3 path_in_schema, 4 codec, 5 num_values, 6/7 total sizes,
// 9 data_page_offset, 11 dictionary_page_offset, 12 statistics, 13 encoding_stats).
void write_column_chunk(CompactWriter& w, const ColumnChunkMeta& c) {
  w.begin_struct();
  w.field_i64(2, c.file_offset);
  w.field_struct(3);
  w.field_i32(1, enum_value(c.type));
  w.field_list(2, CompactWriter::kI32, list_size(c.encodings.size()));
  for (Encoding e : c.encodings) w.put_i32(enum_value(e));
  w.field_list(3, CompactWriter::kBinary, 1);
  w.put_binary(c.path);
  w.field_i32(4, enum_value(c.codec));
  w.field_i64(5, c.num_values);
  w.field_i64(6, c.total_uncompressed_size);
  w.field_i64(7, c.total_compressed_size);
  w.field_i64(9, c.data_page_offset);
  if (c.dictionary_page_offset) w.field_i64(11, *c.dictionary_page_offset);
  write_statistics(w, 12, c.statistics);
  // PageEncodingStats (1 page_type, 2 encoding, 3 count).
  w.field_list(13, CompactWriter::kStruct, list_size(c.encoding_stats.size()));
  for (const PageEncodingCount& e : c.encoding_stats) {
    w.begin_struct();
    w.field_i32(1, enum_value(e.page_type));
    w.field_i32(2, enum_value(e.encoding));
    w.field_i32(3, e.count);
    w.end_struct();
  }
  w.end_struct();
  w.end_struct();
}

}  // namespace

PhysicalType physical_type(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return PhysicalType::kByteArray;
    case ColumnType::kInt32:
      return PhysicalType::kInt32;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      return PhysicalType::kInt64;
    case ColumnType::kDouble:
      return PhysicalType::kDouble;
    case ColumnType::kBool:
      return PhysicalType::kBoolean;
  }
  return PhysicalType::kByteArray;
}

// PageHeader (1 type, 2 uncompressed_page_size, 3 compressed_page_size,
// 5 data_page_header {1 num_values, 2 encoding, 3 definition_level_encoding,
// 4 repetition_level_encoding}, 7 dictionary_page_header {1 num_values, 2 encoding}).
void serialize(const PageHeader& h, Buffer& out) {
  CompactWriter w(out);
  w.begin_struct();
  w.field_i32(1, enum_value(h.type));
  w.field_i32(2, h.uncompressed_size);
  w.field_i32(3, h.compressed_size);
  if (h.type == PageType::kDataPage) {
    w.field_struct(5);
    w.field_i32(1, h.num_values);
    w.field_i32(2, enum_value(h.encoding));
    w.field_i32(3, enum_value(Encoding::kRle));
    w.field_i32(4, enum_value(Encoding::kRle));
    w.end_struct();
  } else {
    w.field_struct(7);
    w.field_i32(1, h.num_values);
    w.field_i32(2, enum_value(h.encoding));
    w.end_struct();
  }
  w.end_struct();
}

// FileMetaData (1 version, 2 schema, 3 num_rows, 4 row_groups, 5
// key_value_metadata, 6 created_by, 7 column_orders) with RowGroup (1 columns,
// 2 total_byte_size, 3 num_rows, 5 file_offset, 6 total_compressed_size, 7 ordinal).
void serialize(const FileMeta& meta, Buffer& out) {
  CompactWriter w(out);
  w.begin_struct();
  w.field_i32(1, 1);
  write_schema(w, *meta.schema);
  w.field_i64(3, meta.num_rows);
  w.field_list(4, CompactWriter::kStruct, list_size(meta.row_groups.size()));
  for (size_t i = 0; i < meta.row_groups.size(); ++i) {
    const RowGroupMeta& rg = meta.row_groups[i];
    w.begin_struct();
    w.field_list(1, CompactWriter::kStruct, list_size(rg.columns.size()));
    for (const ColumnChunkMeta& c : rg.columns) write_column_chunk(w, c);
    w.field_i64(2, rg.total_byte_size);
    w.field_i64(3, rg.num_rows);
    w.field_i64(5, rg.file_offset);
    w.field_i64(6, rg.total_compressed_size);
    if (i <= static_cast<size_t>(std::numeric_limits<int16_t>::max())) {
      w.field_i16(7, static_cast<int16_t>(i));
    }
    w.end_struct();
  }
  if (!meta.key_value_metadata.empty()) write_key_values(w, 5, meta.key_value_metadata);
  w.field_binary(6, meta.created_by);
  // One ColumnOrder per leaf: TYPE_ORDER (field 1, TypeDefinedOrder {}), which
  // gives the min_value/max_value fields their meaning.
  w.field_list(7, CompactWriter::kStruct, list_size(meta.schema->size()));
  for (size_t i = 0; i < meta.schema->size(); ++i) {
    w.begin_struct();
    w.field_struct(1);
    w.end_struct();
    w.end_struct();
  }
  w.end_struct();
}

}  // namespace sluice::parquet
