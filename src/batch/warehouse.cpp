#include "batch/warehouse.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include "batch/pg_handle.h"
#include "batch/quality.h"
#include "core/error.h"

namespace sluice {

namespace {

struct ResultColumn {
  std::string name;
  std::string type;  // DuckDB type name
};

std::vector<ResultColumn> result_columns(DuckDb& db, const std::string& table) {
  DuckResult r;
  db.query("DESCRIBE " + sql_ident(table), r);
  std::vector<ResultColumn> out;
  for (size_t i = 0; i < r.rows(); ++i) out.push_back({r.string_at(0, i), r.string_at(1, i)});
  return out;
}

std::string day_list(const std::set<Day>& days) {
  std::string out;
  for (const Day& d : days) out += (out.empty() ? "" : ", ") + ("DATE '" + d.to_string() + "'");
  return out;
}

// --- DuckDB file -------------------------------------------------------------

class DuckDbWarehouse : public Warehouse {
 public:
  explicit DuckDbWarehouse(std::string path) : path_(std::move(path)) {}

  void load(DuckDb& db, const WarehouseLoad& l) override {
    db.execute("ATTACH " + sql_quote(path_) + " AS sluice_wh");
    try {
      const std::string target = "sluice_wh.main." + sql_ident(l.target_table);
      const std::string src = sql_ident(l.result_table);
      db.execute(
          fmt::format("CREATE TABLE IF NOT EXISTS {} AS SELECT * FROM {} LIMIT 0", target, src));
      db.execute("BEGIN TRANSACTION");
      try {
        db.execute(fmt::format("DELETE FROM {} WHERE {} IN ({})", target, sql_ident(l.date_column),
                               day_list(l.days)));
        db.execute(fmt::format("INSERT INTO {} BY NAME SELECT * FROM {} WHERE {} IN ({})", target,
                               src, sql_ident(l.date_column), day_list(l.days)));
        db.execute("COMMIT");
      } catch (const RuntimeError&) {
        db.execute("ROLLBACK");
        throw;
      }
    } catch (const RuntimeError&) {
      db.execute("DETACH sluice_wh");
      throw;
    }
    db.execute("DETACH sluice_wh");
  }

  std::string describe() const override { return "duckdb:" + path_; }

 private:
  std::string path_;
};

// --- PostgreSQL --------------------------------------------------------------

std::string pg_type(const std::string& duck) {
  if (duck == "BIGINT" || duck == "UBIGINT" || duck == "UINTEGER") return "bigint";
  if (duck == "INTEGER" || duck == "SMALLINT" || duck == "TINYINT" || duck == "USMALLINT" ||
      duck == "UTINYINT")
    return "integer";
  if (duck == "DOUBLE" || duck == "FLOAT") return "double precision";
  if (duck == "BOOLEAN") return "boolean";
  if (duck == "DATE") return "date";
  if (duck == "TIMESTAMP" || duck.rfind("TIMESTAMP_", 0) == 0) return "timestamp";
  if (duck == "TIMESTAMP WITH TIME ZONE") return "timestamptz";
  if (duck == "HUGEINT" || duck.rfind("DECIMAL", 0) == 0) return "numeric";
  return "text";
}

std::string pg_ident(PGconn* conn, const std::string& name) {
  char* q = PQescapeIdentifier(conn, name.c_str(), name.size());
  if (!q) throw RuntimeError(std::string("postgresql: ") + PQerrorMessage(conn));
  std::string out(q);
  PQfreemem(q);
  return out;
}

// A CSV field for COPY ... (FORMAT csv): NULL is an unquoted empty field,
// every value is quoted (so an empty string stays an empty string).
void put_csv(std::string& out, DuckResult& r, size_t col, size_t row) {
  if (r.is_null(col, row)) return;
  out += '"';
  for (char c : r.string_at(col, row)) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

class PostgresWarehouse : public Warehouse {
 public:
  explicit PostgresWarehouse(std::string uri) : uri_(std::move(uri)) {}

  void load(DuckDb& db, const WarehouseLoad& l) override {
    PgConnPtr conn(PQconnectdb(uri_.c_str()));
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
      throw RuntimeError(std::string("postgresql: cannot connect: ") +
                         (conn ? PQerrorMessage(conn.get()) : "out of memory"));
    }
    PGconn* c = conn.get();
    exec(c, "SET client_min_messages = warning");
    std::vector<ResultColumn> cols = result_columns(db, l.result_table);
    const std::string target = pg_ident(c, l.target_table);
    std::string ddl = "CREATE TABLE IF NOT EXISTS " + target + " (";
    std::string names;
    for (size_t i = 0; i < cols.size(); ++i) {
      ddl += (i ? ", " : "") + pg_ident(c, cols[i].name) + " " + pg_type(cols[i].type);
      names += (i ? ", " : "") + pg_ident(c, cols[i].name);
    }
    if (!l.key.empty()) {
      std::string key;
      for (const auto& k : l.key) key += (key.empty() ? "" : ", ") + pg_ident(c, k);
      ddl += ", PRIMARY KEY (" + key + ")";
    }
    exec(c, ddl + ")");
    for (const Day& day : l.days) {
      DuckResult rows;
      db.query(fmt::format("SELECT * FROM {} WHERE {} = DATE '{}'", sql_ident(l.result_table),
                           sql_ident(l.date_column), day.to_string()),
               rows);
      std::string data;
      for (size_t r = 0; r < rows.rows(); ++r) {
        for (size_t k = 0; k < cols.size(); ++k) {
          if (k) data += ',';
          put_csv(data, rows, k, r);
        }
        data += '\n';
      }
      exec(c, "BEGIN");
      try {
        exec(c, "DELETE FROM " + target + " WHERE " + pg_ident(c, l.date_column) + " = '" +
                    day.to_string() + "'");
        copy_in(c, "COPY " + target + " (" + names + ") FROM STDIN (FORMAT csv)", data);
        exec(c, "COMMIT");
      } catch (const RuntimeError&) {
        PgResultPtr(PQexec(c, "ROLLBACK"));
        throw;
      }
    }
  }

  std::string describe() const override { return "postgresql"; }

 private:
  static void exec(PGconn* c, const std::string& sql) {
    PgResultPtr r(PQexec(c, sql.c_str()));
    ExecStatusType st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      throw RuntimeError("postgresql: " + std::string(PQerrorMessage(c)) + " [" + sql + "]");
    }
  }

  static void copy_in(PGconn* c, const std::string& sql, const std::string& data) {
    PgResultPtr r(PQexec(c, sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_COPY_IN) {
      throw RuntimeError("postgresql: " + std::string(PQerrorMessage(c)) + " [" + sql + "]");
    }
    if (!data.empty() && PQputCopyData(c, data.data(), static_cast<int>(data.size())) != 1) {
      throw RuntimeError("postgresql: COPY data: " + std::string(PQerrorMessage(c)));
    }
    if (PQputCopyEnd(c, nullptr) != 1) {
      throw RuntimeError("postgresql: COPY end: " + std::string(PQerrorMessage(c)));
    }
    for (;;) {
      PgResultPtr done(PQgetResult(c));
      if (!done) break;
      if (PQresultStatus(done.get()) != PGRES_COMMAND_OK) {
        throw RuntimeError("postgresql: COPY failed: " + std::string(PQerrorMessage(c)));
      }
    }
  }

  std::string uri_;
};

}  // namespace

std::unique_ptr<Warehouse> open_warehouse(const std::string& spec) {
  if (spec.rfind("duckdb:", 0) == 0 && spec.size() > 7) {
    return std::make_unique<DuckDbWarehouse>(spec.substr(7));
  }
  if (spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres://", 0) == 0) {
    return std::make_unique<PostgresWarehouse>(spec);
  }
  throw RuntimeError("warehouse '" + spec + "': expected duckdb:PATH or postgresql://...");
}

}  // namespace sluice
