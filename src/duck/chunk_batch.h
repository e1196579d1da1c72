// Converting DuckDB query results into RecordBatches, matching columns by
// name (a query's column order need not follow the batch's schema: SELECT *
// over Parquet files of different writers, hive partition columns).
//
// Threading: stateless; a result and its chunks belong to the calling thread.
#pragma once

#include <duckdb.h>

#include <vector>

#include "core/batch.h"

namespace sluice {

// For each column of `schema`, the index of the result column of that name.
// Throws RuntimeError if one is missing or its DuckDB type cannot hold the
// schema type (VARCHAR, INTEGER, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP[_TZ]).
std::vector<idx_t> result_columns_by_name(duckdb_result* result, const OutputSchema& schema);

// The schema of a result's columns, in result order. Throws RuntimeError on a
// DuckDB type with no ColumnType.
OutputSchema result_schema(duckdb_result* result);

// Appends every row of `chunk` to `out`: out.columns[c] takes chunk column
// columns[c] (from result_columns_by_name for out's schema).
void append_chunk(duckdb_data_chunk chunk, const std::vector<idx_t>& columns, RecordBatch& out);

// Fetches every remaining chunk of `result` into `out` (by name, as above).
void append_result(duckdb_result* result, RecordBatch& out);

}  // namespace sluice
