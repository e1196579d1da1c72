#include "sinks/lake/duckdb_handle.h"

#include <string>

#include "core/error.h"

namespace sluice {

namespace {
struct DuckConfigDeleter {
  void operator()(duckdb_config* config) const {
    duckdb_destroy_config(config);
    delete config;
  }
};
using DuckConfigPtr = std::unique_ptr<duckdb_config, DuckConfigDeleter>;
}  // namespace

std::string DuckResult::string_at(size_t col, size_t row) {
  char* text = duckdb_value_varchar(&result_, col, row);
  if (!text) return {};
  std::string out(text);
  duckdb_free(text);
  return out;
}

DuckDb::DuckDb(int threads) {
  DuckConfigPtr config(new duckdb_config{});
  if (duckdb_create_config(config.get()) != DuckDBSuccess) {
    throw RuntimeError("duckdb: cannot create config");
  }
  if (threads > 0) {
    duckdb_set_config(*config, "threads", std::to_string(threads).c_str());
  }
  // Never reach for the network from inside the sink.
  duckdb_set_config(*config, "autoinstall_known_extensions", "false");
  duckdb_set_config(*config, "autoload_known_extensions", "false");

  auto* db = new duckdb_database{};
  char* error = nullptr;
  if (duckdb_open_ext(nullptr, db, *config, &error) != DuckDBSuccess) {
    std::string message = error ? error : "unknown error";
    duckdb_free(error);
    delete db;
    throw RuntimeError("duckdb: cannot open in-memory database: " + message);
  }
  db_.reset(db);
  auto* con = new duckdb_connection{};
  if (duckdb_connect(*db_, con) != DuckDBSuccess) {
    delete con;
    throw RuntimeError("duckdb: cannot connect");
  }
  con_.reset(con);
}

void DuckDb::query(const std::string& sql, DuckResult& out) {
  if (duckdb_query(*con_, sql.c_str(), out.get()) != DuckDBSuccess) {
    const char* message = duckdb_result_error(out.get());
    throw RuntimeError(std::string("duckdb: ") + (message ? message : "query failed") + " [" + sql +
                       "]");
  }
}

void DuckDb::execute(const std::string& sql) {
  DuckResult result;
  query(sql, result);
}

std::string sql_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

}  // namespace sluice
