#include "duck/chunk_batch.h"

#include <string>

#include "core/error.h"

namespace sluice {

namespace {

bool column_type_of(duckdb_type t, ColumnType& out) {
  switch (t) {
    case DUCKDB_TYPE_VARCHAR:
      out = ColumnType::kString;
      return true;
    case DUCKDB_TYPE_INTEGER:
      out = ColumnType::kInt32;
      return true;
    case DUCKDB_TYPE_BIGINT:
      out = ColumnType::kInt64;
      return true;
    case DUCKDB_TYPE_DOUBLE:
      out = ColumnType::kDouble;
      return true;
    case DUCKDB_TYPE_BOOLEAN:
      out = ColumnType::kBool;
      return true;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      out = ColumnType::kTimestamp;
      return true;
    default:
      return false;
  }
}

// Int64 and timestamps share the int64 representation (micros).
bool same_representation(ColumnType a, ColumnType b) {
  auto norm = [](ColumnType t) { return t == ColumnType::kTimestamp ? ColumnType::kInt64 : t; };
  return norm(a) == norm(b);
}

// Appends n rows of a vector whose values are Ts: null where the validity
// mask says so, else push(col, value).
template <typename T, typename Push>
void append_rows(const void* data, uint64_t* validity, idx_t n, Column& col, Push push) {
  const T* values = static_cast<const T*>(data);
  for (idx_t r = 0; r < n; ++r) {
    if (validity && !duckdb_validity_row_is_valid(validity, r)) {
      col.push_null();
    } else {
      push(col, values[r]);
    }
  }
}

}  // namespace

std::vector<idx_t> result_columns_by_name(duckdb_result* result, const OutputSchema& schema) {
  const idx_t count = duckdb_column_count(result);
  std::vector<idx_t> columns;
  columns.reserve(schema.size());
  for (const ColumnSpec& spec : schema) {
    idx_t found = count;
    for (idx_t i = 0; i < count; ++i) {
      if (spec.name == duckdb_column_name(result, i)) {
        found = i;
        break;
      }
    }
    if (found == count) throw RuntimeError("duckdb result has no column '" + spec.name + "'");
    ColumnType type;
    if (!column_type_of(duckdb_column_type(result, found), type) ||
        !same_representation(type, spec.type)) {
      throw RuntimeError("duckdb result column '" + spec.name + "' cannot be read as " +
                         column_type_name(spec.type));
    }
    columns.push_back(found);
  }
  return columns;
}

OutputSchema result_schema(duckdb_result* result) {
  OutputSchema schema;
  const idx_t count = duckdb_column_count(result);
  for (idx_t i = 0; i < count; ++i) {
    ColumnSpec spec{duckdb_column_name(result, i), ColumnType::kString};
    if (!column_type_of(duckdb_column_type(result, i), spec.type)) {
      throw RuntimeError("duckdb result column '" + spec.name + "' has an unsupported type");
    }
    schema.push_back(std::move(spec));
  }
  return schema;
}

void append_chunk(duckdb_data_chunk chunk, const std::vector<idx_t>& columns, RecordBatch& out) {
  const idx_t n = duckdb_data_chunk_get_size(chunk);
  for (size_t c = 0; c < out.columns.size(); ++c) {
    duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, columns[c]);
    uint64_t* validity = duckdb_vector_get_validity(vec);
    const void* data = duckdb_vector_get_data(vec);
    Column& col = out.columns[c];
    switch (col.type()) {
      case ColumnType::kString:
        // By reference: a short string's bytes live inside the duckdb_string_t.
        append_rows<duckdb_string_t>(
            data, validity, n, col, [](Column& o, const duckdb_string_t& v) {
              auto* p = const_cast<duckdb_string_t*>(&v);
              o.push_string(std::string_view(duckdb_string_t_data(p), duckdb_string_t_length(v)));
            });
        break;
      case ColumnType::kInt32:
        append_rows<int32_t>(data, validity, n, col, [](Column& o, int32_t v) { o.push_int32(v); });
        break;
      case ColumnType::kInt64:
      case ColumnType::kTimestamp:
        append_rows<int64_t>(data, validity, n, col, [](Column& o, int64_t v) { o.push_int64(v); });
        break;
      case ColumnType::kDouble:
        append_rows<double>(data, validity, n, col, [](Column& o, double v) { o.push_double(v); });
        break;
      case ColumnType::kBool:
        append_rows<bool>(data, validity, n, col, [](Column& o, bool v) { o.push_bool(v); });
        break;
    }
  }
}

void append_result(duckdb_result* result, RecordBatch& out) {
  if (!out.schema) throw RuntimeError("append_result: the batch has no schema");
  const std::vector<idx_t> columns = result_columns_by_name(result, *out.schema);
  while (duckdb_data_chunk chunk = duckdb_fetch_chunk(*result)) {
    try {
      append_chunk(chunk, columns, out);
    } catch (...) {
      duckdb_destroy_data_chunk(&chunk);
      throw;
    }
    duckdb_destroy_data_chunk(&chunk);
  }
}

}  // namespace sluice
