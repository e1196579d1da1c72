// Encodes rows into Parquet files through DuckDB's COPY while they arrive.
// Each file is a ParquetStream: a `COPY (SELECT * FROM sluice_stream(<id>))
// TO <path>` running on a thread of its own, whose source is a C-API table
// function that pulls the row ranges pushed to the stream. Encoding thus
// overlaps whatever produces the rows, and several files encode at once.
//
// Threading: ParquetEncoder::open() and a stream's methods are called by one
// thread (the lake writer's); every stream encodes on its own thread. All
// streams must be finished or aborted (or destroyed) before their encoder.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "config/pipeline.h"
#include "core/batch.h"

namespace sluice {

// Rows [begin, end) of a batch that nobody modifies any more.
struct RowRange {
  std::shared_ptr<const RecordBatch> batch;
  size_t begin = 0;
  size_t end = 0;
};

class ParquetStream;

class ParquetEncoder {
 public:
  ParquetEncoder(const OutputSchema& schema, Compression compression, int64_t row_group_size);
  ~ParquetEncoder();
  ParquetEncoder(const ParquetEncoder&) = delete;
  ParquetEncoder& operator=(const ParquetEncoder&) = delete;

  // Starts encoding a new file at `path` (replacing it). Throws RuntimeError.
  std::unique_ptr<ParquetStream> open(const std::string& path);

  int64_t row_group_size() const { return row_group_size_; }

  struct Shared;  // database, table function registry (shared with streams)

 private:
  int64_t row_group_size_;
  std::shared_ptr<Shared> shared_;
};

class ParquetStream {
 public:
  ~ParquetStream();  // aborts if neither finished nor aborted
  ParquetStream(const ParquetStream&) = delete;
  ParquetStream& operator=(const ParquetStream&) = delete;

  // Queues rows (of the encoder's schema) for the file. Blocks while the
  // encoder is far behind (bounded memory). Throws RuntimeError if encoding
  // already failed.
  void push(RowRange rows);
  // Rows pushed that the encoder has not taken yet: how far behind it is.
  size_t backlog_rows() const;
  // No more rows: the encoder completes the file in the background.
  void close();
  // close(), then waits until the file is complete (closed, not fsynced).
  // Throws RuntimeError with DuckDB's message if encoding failed.
  void finish();
  // Stops encoding without completing the file and waits; the caller removes
  // the partial file.
  void abort();

  struct State;  // queue between push() and the table function

 private:
  friend class ParquetEncoder;
  ParquetStream(std::shared_ptr<ParquetEncoder::Shared> shared, std::shared_ptr<State> state,
                int64_t id, const std::string& sql);
  void unregister();  // the table function can no longer find this stream

  std::shared_ptr<ParquetEncoder::Shared> shared_;
  std::shared_ptr<State> state_;
  int64_t id_;
  std::thread thread_;
};

}  // namespace sluice
