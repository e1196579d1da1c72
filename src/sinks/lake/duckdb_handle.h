// RAII owners for DuckDB C API handles (database, connection, result) and a
// small helper to run SQL that throws RuntimeError on failure.
//
// Threading: a DuckDb's own connection is used by one thread at a time; other
// threads open connections of their own to database().
#pragma once

#include <duckdb.h>

#include <memory>
#include <string>
#include <string_view>

namespace sluice {

struct DuckDatabaseDeleter {
  void operator()(duckdb_database* db) const {
    duckdb_close(db);
    delete db;
  }
};
struct DuckConnectionDeleter {
  void operator()(duckdb_connection* con) const {
    duckdb_disconnect(con);
    delete con;
  }
};
using DuckDatabasePtr = std::unique_ptr<duckdb_database, DuckDatabaseDeleter>;
using DuckConnectionPtr = std::unique_ptr<duckdb_connection, DuckConnectionDeleter>;

// Owns a duckdb_result; destroyed on scope exit.
class DuckResult {
 public:
  DuckResult() { result_ = {}; }
  ~DuckResult() { duckdb_destroy_result(&result_); }
  DuckResult(const DuckResult&) = delete;
  DuckResult& operator=(const DuckResult&) = delete;

  duckdb_result* get() { return &result_; }
  size_t rows() { return duckdb_row_count(&result_); }
  bool is_null(size_t col, size_t row) { return duckdb_value_is_null(&result_, col, row); }
  int64_t int64_at(size_t col, size_t row) { return duckdb_value_int64(&result_, col, row); }
  double double_at(size_t col, size_t row) { return duckdb_value_double(&result_, col, row); }
  bool bool_at(size_t col, size_t row) { return duckdb_value_boolean(&result_, col, row); }
  std::string string_at(size_t col, size_t row);

 private:
  duckdb_result result_;
};

// One in-memory DuckDB database and one connection to it.
class DuckDb {
 public:
  // `threads` caps DuckDB's worker threads (0 keeps DuckDB's default).
  explicit DuckDb(int threads = 1);
  duckdb_connection connection() const { return *con_; }
  // For more connections to the same database (one per thread).
  duckdb_database database() const { return *db_; }
  // Runs `sql`; throws RuntimeError with DuckDB's message on failure.
  void execute(const std::string& sql);
  void query(const std::string& sql, DuckResult& out);

 private:
  DuckDatabasePtr db_;
  DuckConnectionPtr con_;
};

// Quotes `text` as a SQL string literal ('it''s').
std::string sql_quote(std::string_view text);

}  // namespace sluice
