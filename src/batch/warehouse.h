// Warehouse loaders for batch job results: an embedded DuckDB database file
// (the default) or PostgreSQL through libpq with COPY FROM STDIN. A load
// replaces the rows of the processed days: DuckDB deletes and inserts all
// days in one transaction; PostgreSQL uses one transaction per day (DELETE,
// then COPY), so a failure leaves every day either old or new, never mixed
// and never duplicated.
//
// Threading: a Warehouse is used by one thread; it reads the job's result
// through the caller's DuckDb connection.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "batch/day.h"
#include "sinks/lake/duckdb_handle.h"

namespace sluice {

// What to load: rows of `result_table` (in `db`) whose `date_column` is one
// of `days` replace the rows of those days in `target_table`.
struct WarehouseLoad {
  std::string result_table;
  std::string target_table;
  std::string date_column;
  std::vector<std::string> key;  // PRIMARY KEY of a table the loader creates
  std::set<Day> days;
};

class Warehouse {
 public:
  virtual ~Warehouse() = default;
  // Creates the target table if missing (columns from the result), then
  // replaces the days. Throws RuntimeError on failure.
  virtual void load(DuckDb& db, const WarehouseLoad& load) = 0;
  virtual std::string describe() const = 0;
};

// "duckdb:PATH" or "postgresql://..." / "postgres://..." (a libpq URI);
// throws RuntimeError for anything else.
std::unique_ptr<Warehouse> open_warehouse(const std::string& spec);

}  // namespace sluice
