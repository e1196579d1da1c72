// Writes row ranges of in-memory RecordBatches to Parquet files through
// DuckDB's COPY, streaming the columns into the encoder with a C-API table
// function (`sluice_scan(<id>)`) so rows are never materialized in a table.
//
// Threading: one ParquetWriter is used by one thread at a time. It owns its
// own in-memory DuckDB database and connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "core/batch.h"
#include "sinks/lake/duckdb_handle.h"

namespace sluice {

class ParquetWriter {
 public:
  ParquetWriter(const OutputSchema& schema, Compression compression, int64_t row_group_size);
  ~ParquetWriter();
  ParquetWriter(const ParquetWriter&) = delete;
  ParquetWriter& operator=(const ParquetWriter&) = delete;

  // Writes rows [begin, end) of `batch` (which must follow the schema given
  // to the constructor) to `path`, replacing it. The file is closed but not
  // fsynced. Throws RuntimeError on failure.
  void write(const RecordBatch& batch, size_t begin, size_t end, const std::string& path);

  // State shared with the table function callbacks (public for them only).
  struct ScanSource {
    const RecordBatch* batch = nullptr;
    size_t begin = 0;
    size_t end = 0;
  };
  struct Registry {
    const OutputSchema* schema = nullptr;
    std::vector<ScanSource> sources;  // indexed by the scan id
  };

 private:
  OutputSchema schema_;
  std::string options_;                 // "(FORMAT PARQUET, ...)"
  std::unique_ptr<Registry> registry_;  // outlives db_ (declared first)
  DuckDb db_;
};

}  // namespace sluice
