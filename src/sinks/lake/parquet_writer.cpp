#include "sinks/lake/parquet_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "core/error.h"
#include "sinks/lake/duckdb_handle.h"

namespace sluice {

// What push() and the table function share.
struct ParquetStream::State {
  size_t max_backlog_rows = 0;

  mutable std::mutex mu;
  std::condition_variable cv;  // queue changed, closed, aborted or done
  std::deque<RowRange> queue;
  size_t backlog_rows = 0;
  bool closed = false;
  bool aborted = false;
  bool done = false;  // the COPY returned
  std::string error;  // why it failed

  // Encoder side only: the range being copied into DuckDB vectors, and the
  // batches whose strings the chunk being filled points into (DuckDB copies
  // them when the chunk is sunk, before it asks for the next chunk).
  RowRange current;
  size_t next = 0;
  std::vector<std::shared_ptr<const RecordBatch>> pinned;
};

struct ParquetEncoder::Shared {
  OutputSchema schema;
  std::string options;  // "(FORMAT PARQUET, ...)"
  size_t max_backlog_rows = 0;
  std::mutex mu;
  std::map<int64_t, std::shared_ptr<ParquetStream::State>> streams;  // by scan id
  int64_t next_id = 0;
  DuckDb db{1};  // threads=1: every COPY runs on the thread that issued it
};

namespace {

using State = ParquetStream::State;
using Shared = ParquetEncoder::Shared;

constexpr size_t kMaxQueuedRanges = 4096;  // bounds the queue of tiny ranges too

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

// Bind data: keeps the stream's state alive for the scan.
struct BindData {
  std::shared_ptr<State> state;
};

void scan_bind(duckdb_bind_info info) {
  auto* shared = static_cast<Shared*>(duckdb_bind_get_extra_info(info));
  ValuePtr param(new duckdb_value(duckdb_bind_get_parameter(info, 0)));
  int64_t id = duckdb_get_int64(*param);
  std::shared_ptr<State> state;
  {
    std::lock_guard lock(shared->mu);
    if (auto it = shared->streams.find(id); it != shared->streams.end()) state = it->second;
  }
  if (!state) {
    duckdb_bind_set_error(info, "sluice_stream: unknown stream id");
    return;
  }
  for (const ColumnSpec& spec : shared->schema) {
    LogicalTypePtr type(new duckdb_logical_type(duckdb_create_logical_type(duck_type(spec.type))));
    duckdb_bind_add_result_column(info, spec.name.c_str(), *type);
  }
  duckdb_bind_set_bind_data(info, new BindData{std::move(state)},
                            [](void* p) { delete static_cast<BindData*>(p); });
}

void scan_init(duckdb_init_info info) {
  duckdb_init_set_max_threads(info, 1);  // one producer keeps row order
}

// Copies `count` rows of `column` from row `from` into `vector` at `at`.
void copy_rows(const Column& column, size_t from, size_t count, duckdb_vector vector, size_t at) {
  const uint8_t* valid = column.validity() + from;
  bool any_null = std::find(valid, valid + count, uint8_t{0}) != valid + count;
  if (any_null || duckdb_vector_get_validity(vector) != nullptr) {
    duckdb_vector_ensure_validity_writable(vector);
    uint64_t* mask = duckdb_vector_get_validity(vector);
    // The mask is one bit per row, 64 rows per word (duckdb.h); set inline
    // rather than through one library call per row.
    for (size_t i = 0; i < count; ++i) {
      const size_t row = at + i;
      const uint64_t bit = uint64_t{1} << (row % 64);
      if (valid[i] != 0) {
        mask[row / 64] |= bit;
      } else {
        mask[row / 64] &= ~bit;
      }
    }
  }
  if (column.type() == ColumnType::kString) {
    // duckdb_string_t (duckdb.h): up to 12 bytes inlined (zero padded),
    // longer ones as a 4-byte prefix and a pointer into the batch, which the
    // stream keeps alive until DuckDB has copied the chunk.
    auto* out = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector)) + at;
    for (size_t i = 0; i < count; ++i) {
      duckdb_string_t& t = out[i];
      std::memset(&t, 0, sizeof t);
      if (valid[i] == 0) continue;
      std::string_view s = column.string_at(from + i);
      const uint32_t length = static_cast<uint32_t>(s.size());
      if (length <= sizeof t.value.inlined.inlined) {
        t.value.inlined.length = length;
        if (length > 0) std::memcpy(t.value.inlined.inlined, s.data(), length);
      } else {
        t.value.pointer.length = length;
        std::memcpy(t.value.pointer.prefix, s.data(), sizeof t.value.pointer.prefix);
        t.value.pointer.ptr = const_cast<char*>(s.data());
      }
    }
  } else {
    size_t width = column.width();
    std::memcpy(static_cast<uint8_t*>(duckdb_vector_get_data(vector)) + at * width,
                column.fixed_data() + from * width, count * width);
  }
}

// Fills one DuckDB chunk from the queue, waiting for rows until the chunk is
// full or the stream is closed: full chunks keep the encoder efficient.
void scan_function(duckdb_function_info info, duckdb_data_chunk output) {
  State& s = *static_cast<BindData*>(duckdb_function_get_bind_data(info))->state;
  const size_t capacity = duckdb_vector_size();
  size_t filled = 0;
  s.pinned.clear();  // the previous chunk has been consumed
  while (filled < capacity) {
    if (!s.current.batch || s.next == s.current.end) {
      if (s.current.batch) s.pinned.push_back(std::move(s.current.batch));
      s.current = {};
      std::unique_lock lock(s.mu);
      s.cv.wait(lock, [&] { return !s.queue.empty() || s.closed || s.aborted; });
      if (s.aborted) {
        lock.unlock();
        duckdb_function_set_error(info, "sluice_stream: aborted");
        return;
      }
      if (s.queue.empty()) break;  // closed and drained
      s.current = std::move(s.queue.front());
      s.queue.pop_front();
      s.next = s.current.begin;
      s.backlog_rows -= s.current.end - s.current.begin;
      s.cv.notify_all();  // room for push()
      continue;
    }
    const size_t n = std::min(capacity - filled, s.current.end - s.next);
    const RecordBatch& batch = *s.current.batch;
    for (size_t c = 0; c < batch.columns.size(); ++c) {
      copy_rows(batch.columns[c], s.next, n, duckdb_data_chunk_get_vector(output, c), filled);
    }
    s.next += n;
    filled += n;
  }
  duckdb_data_chunk_set_size(output, filled);
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

struct ConnectionCloser {
  void operator()(duckdb_connection* con) const {
    duckdb_disconnect(con);
    delete con;
  }
};

// The stream's thread: runs the COPY to completion (or failure).
void run_copy(const std::shared_ptr<Shared>& shared, const std::shared_ptr<State>& state,
              const std::string& sql) {
  std::string error;
  std::unique_ptr<duckdb_connection, ConnectionCloser> con(new duckdb_connection{});
  if (duckdb_connect(shared->db.database(), con.get()) != DuckDBSuccess) {
    error = "cannot connect";
  } else {
    duckdb_result result{};
    if (duckdb_query(*con, sql.c_str(), &result) != DuckDBSuccess) {
      const char* message = duckdb_result_error(&result);
      error = message ? message : "unknown error";
    }
    duckdb_destroy_result(&result);
  }
  std::lock_guard lock(state->mu);
  state->done = true;
  state->error = std::move(error);
  state->queue.clear();
  state->backlog_rows = 0;
  state->cv.notify_all();
}

}  // namespace

ParquetEncoder::ParquetEncoder(const OutputSchema& schema, Compression compression,
                               int64_t row_group_size)
    : row_group_size_(std::max<int64_t>(1, row_group_size)), shared_(std::make_shared<Shared>()) {
  shared_->schema = schema;
  shared_->options = fmt::format("(FORMAT PARQUET, COMPRESSION {}, ROW_GROUP_SIZE {})",
                                 compression_name(compression), row_group_size_);
  // Up to two row groups may wait: the producer runs ahead of the encoder by
  // about one row group, never by the whole file.
  shared_->max_backlog_rows = static_cast<size_t>(std::max<int64_t>(8192, 2 * row_group_size_));

  TableFunctionPtr function(new duckdb_table_function(duckdb_create_table_function()));
  duckdb_table_function_set_name(*function, "sluice_stream");
  LogicalTypePtr id_type(new duckdb_logical_type(duckdb_create_logical_type(DUCKDB_TYPE_BIGINT)));
  duckdb_table_function_add_parameter(*function, *id_type);
  duckdb_table_function_set_extra_info(*function, shared_.get(), nullptr);
  duckdb_table_function_set_bind(*function, scan_bind);
  duckdb_table_function_set_init(*function, scan_init);
  duckdb_table_function_set_function(*function, scan_function);
  if (duckdb_register_table_function(shared_->db.connection(), *function) != DuckDBSuccess) {
    throw RuntimeError("duckdb: cannot register table function sluice_stream");
  }
}

ParquetEncoder::~ParquetEncoder() = default;

std::unique_ptr<ParquetStream> ParquetEncoder::open(const std::string& path) {
  auto state = std::make_shared<State>();
  state->max_backlog_rows = shared_->max_backlog_rows;
  int64_t id;
  {
    std::lock_guard lock(shared_->mu);
    id = shared_->next_id++;
    shared_->streams[id] = state;
  }
  std::string sql = fmt::format("COPY (SELECT * FROM sluice_stream({})) TO {} {}", id,
                                sql_quote(path), shared_->options);
  return std::unique_ptr<ParquetStream>(new ParquetStream(shared_, std::move(state), id, sql));
}

ParquetStream::ParquetStream(std::shared_ptr<ParquetEncoder::Shared> shared,
                             std::shared_ptr<State> state, int64_t id, const std::string& sql)
    : shared_(std::move(shared)), state_(std::move(state)), id_(id) {
  thread_ = std::thread([shared = shared_, state = state_, sql] { run_copy(shared, state, sql); });
}

ParquetStream::~ParquetStream() {
  if (thread_.joinable()) abort();
}

void ParquetStream::push(RowRange rows) {
  if (rows.end <= rows.begin) return;
  const size_t n = rows.end - rows.begin;
  std::unique_lock lock(state_->mu);
  state_->cv.wait(lock, [&] {
    return state_->done || (state_->backlog_rows < state_->max_backlog_rows &&
                            state_->queue.size() < kMaxQueuedRanges);
  });
  if (state_->done) {
    throw RuntimeError("parquet: encoding failed: " +
                       (state_->error.empty() ? std::string("stream ended early") : state_->error));
  }
  if (state_->closed) throw RuntimeError("parquet: push after close");
  state_->queue.push_back(std::move(rows));
  state_->backlog_rows += n;
  state_->cv.notify_all();
}

size_t ParquetStream::backlog_rows() const {
  std::lock_guard lock(state_->mu);
  return state_->backlog_rows;
}

void ParquetStream::close() {
  std::lock_guard lock(state_->mu);
  state_->closed = true;
  state_->cv.notify_all();
}

void ParquetStream::finish() {
  close();
  if (thread_.joinable()) thread_.join();
  unregister();
  std::lock_guard lock(state_->mu);
  if (!state_->error.empty()) throw RuntimeError("parquet: encoding failed: " + state_->error);
}

void ParquetStream::abort() {
  {
    std::lock_guard lock(state_->mu);
    state_->aborted = true;
    state_->cv.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  unregister();
}

void ParquetStream::unregister() {
  std::lock_guard lock(shared_->mu);
  shared_->streams.erase(id_);
}

}  // namespace sluice
