#include "sinks/lake/parquet_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace sluice {

namespace {

using Registry = ParquetWriter::Registry;
using ScanSource = ParquetWriter::ScanSource;

duckdb_type duck_type(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return DUCKDB_TYPE_VARCHAR;
    case ColumnType::kInt32:
      return DUCKDB_TYPE_INTEGER;
    case ColumnType::kInt64:
      return DUCKDB_TYPE_BIGINT;
    case ColumnType::kDouble:
      return DUCKDB_TYPE_DOUBLE;
    case ColumnType::kBool:
      return DUCKDB_TYPE_BOOLEAN;
    case ColumnType::kTimestamp:
      return DUCKDB_TYPE_TIMESTAMP;
  }
  return DUCKDB_TYPE_VARCHAR;
}

struct LogicalTypeDeleter {
  void operator()(duckdb_logical_type* type) const {
    duckdb_destroy_logical_type(type);
    delete type;
  }
};
using LogicalTypePtr = std::unique_ptr<duckdb_logical_type, LogicalTypeDeleter>;

struct ValueDeleter {
  void operator()(duckdb_value* value) const {
    duckdb_destroy_value(value);
    delete value;
  }
};
using ValuePtr = std::unique_ptr<duckdb_value, ValueDeleter>;

struct TableFunctionDeleter {
  void operator()(duckdb_table_function* function) const {
    duckdb_destroy_table_function(function);
    delete function;
  }
};
using TableFunctionPtr = std::unique_ptr<duckdb_table_function, TableFunctionDeleter>;

struct ScanState {
  size_t next = 0;
};

void scan_bind(duckdb_bind_info info) {
  auto* registry = static_cast<Registry*>(duckdb_bind_get_extra_info(info));
  ValuePtr param(new duckdb_value(duckdb_bind_get_parameter(info, 0)));
  int64_t id = duckdb_get_int64(*param);
  if (id < 0 || static_cast<size_t>(id) >= registry->sources.size() ||
      registry->sources[id].batch == nullptr) {
    duckdb_bind_set_error(info, "sluice_scan: unknown buffer id");
    return;
  }
  for (const ColumnSpec& spec : *registry->schema) {
    LogicalTypePtr type(new duckdb_logical_type(duckdb_create_logical_type(duck_type(spec.type))));
    duckdb_bind_add_result_column(info, spec.name.c_str(), *type);
  }
  const ScanSource& source = registry->sources[id];
  duckdb_bind_set_cardinality(info, source.end - source.begin, true);
  // Bind data: the scan id, read back in init.
  duckdb_bind_set_bind_data(info, new int64_t(id),
                            [](void* p) { delete static_cast<int64_t*>(p); });
}

void scan_init(duckdb_init_info info) {
  auto* registry = static_cast<Registry*>(duckdb_init_get_extra_info(info));
  int64_t id = *static_cast<int64_t*>(duckdb_init_get_bind_data(info));
  auto* state = new ScanState{registry->sources[id].begin};
  duckdb_init_set_init_data(info, state, [](void* p) { delete static_cast<ScanState*>(p); });
  duckdb_init_set_max_threads(info, 1);  // one producer keeps row order
}

// Sets validity bits for rows [from, from + count) of `column` into `vector`.
void copy_validity(const Column& column, size_t from, size_t count, duckdb_vector vector) {
  const uint8_t* valid = column.validity() + from;
  bool any_null = std::find(valid, valid + count, uint8_t{0}) != valid + count;
  uint64_t* mask = duckdb_vector_get_validity(vector);
  if (!any_null && mask == nullptr) return;
  duckdb_vector_ensure_validity_writable(vector);
  mask = duckdb_vector_get_validity(vector);
  for (size_t word = 0; word * 64 < count; ++word) {
    uint64_t bits = 0;
    size_t n = std::min<size_t>(64, count - word * 64);
    for (size_t i = 0; i < n; ++i) bits |= static_cast<uint64_t>(valid[word * 64 + i] != 0) << i;
    if (n < 64) bits |= ~uint64_t{0} << n;  // rows past the chunk stay "valid"
    mask[word] = bits;
  }
}

void scan_function(duckdb_function_info info, duckdb_data_chunk output) {
  auto* registry = static_cast<Registry*>(duckdb_function_get_extra_info(info));
  int64_t id = *static_cast<int64_t*>(duckdb_function_get_bind_data(info));
  auto* state = static_cast<ScanState*>(duckdb_function_get_init_data(info));
  const ScanSource& source = registry->sources[id];
  size_t count = std::min<size_t>(duckdb_vector_size(), source.end - state->next);
  if (count == 0) {
    duckdb_data_chunk_set_size(output, 0);
    return;
  }
  const size_t from = state->next;
  for (size_t c = 0; c < source.batch->columns.size(); ++c) {
    const Column& column = source.batch->columns[c];
    duckdb_vector vector = duckdb_data_chunk_get_vector(output, c);
    copy_validity(column, from, count, vector);
    if (column.type() == ColumnType::kString) {
      for (size_t i = 0; i < count; ++i) {
        if (column.is_null(from + i)) continue;
        std::string_view s = column.string_at(from + i);
        duckdb_vector_assign_string_element_len(vector, i, s.data(), s.size());
      }
    } else {
      size_t width = column.width();
      std::memcpy(duckdb_vector_get_data(vector), column.fixed_data() + from * width,
                  count * width);
    }
  }
  state->next += count;
  duckdb_data_chunk_set_size(output, count);
}

const char* compression_name(Compression compression) {
  switch (compression) {
    case Compression::kZstd:
      return "ZSTD";
    case Compression::kSnappy:
      return "SNAPPY";
    case Compression::kUncompressed:
      return "UNCOMPRESSED";
  }
  return "ZSTD";
}

}  // namespace

ParquetWriter::ParquetWriter(const OutputSchema& schema, Compression compression,
                             int64_t row_group_size)
    : schema_(schema), registry_(std::make_unique<Registry>()), db_(1) {
  registry_->schema = &schema_;
  options_ = fmt::format("(FORMAT PARQUET, COMPRESSION {}, ROW_GROUP_SIZE {})",
                         compression_name(compression), std::max<int64_t>(1, row_group_size));

  TableFunctionPtr function(new duckdb_table_function(duckdb_create_table_function()));
  duckdb_table_function_set_name(*function, "sluice_scan");
  LogicalTypePtr id_type(new duckdb_logical_type(duckdb_create_logical_type(DUCKDB_TYPE_BIGINT)));
  duckdb_table_function_add_parameter(*function, *id_type);
  duckdb_table_function_set_extra_info(*function, registry_.get(), nullptr);
  duckdb_table_function_set_bind(*function, scan_bind);
  duckdb_table_function_set_init(*function, scan_init);
  duckdb_table_function_set_function(*function, scan_function);
  if (duckdb_register_table_function(db_.connection(), *function) != DuckDBSuccess) {
    throw RuntimeError("duckdb: cannot register table function sluice_scan");
  }
}

ParquetWriter::~ParquetWriter() = default;

void ParquetWriter::write(const RecordBatch& batch, size_t begin, size_t end,
                          const std::string& path) {
  if (batch.columns.size() != schema_.size()) {
    throw RuntimeError("lake: batch does not follow the writer's output schema");
  }
  registry_->sources.clear();
  registry_->sources.push_back({&batch, begin, end});
  std::string sql =
      fmt::format("COPY (SELECT * FROM sluice_scan(0)) TO {} {}", sql_quote(path), options_);
  try {
    db_.execute(sql);
  } catch (const RuntimeError&) {
    registry_->sources.clear();
    throw;
  }
  registry_->sources.clear();
}

}  // namespace sluice
