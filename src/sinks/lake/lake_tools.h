// Read-only tools over a lake table: consistency check of files against the
// commit log, and the listings behind `sluice lake ls|log|verify TABLE_DIR`.
//
// Threading: stateless; each call opens its own in-memory DuckDB.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace sluice {

struct VerifyReport {
  bool ok = true;
  std::vector<std::string> problems;
  int64_t files = 0;  // files listed in the log
  int64_t rows = 0;   // rows listed in the log
};

// Checks that every logged file exists with its logged row count (read from
// the Parquet footer with DuckDB), that no unlogged *.parquet lies under the
// table dir, and that no staging or temporary log files are left over. Meant
// for a table with no commit in flight.
VerifyReport verify_table(const std::string& table_dir);

// One line per partition: files, rows, bytes. Returns an exit code (0).
int lake_ls(const std::string& table_dir, std::ostream& out);
// One line per commit: seq, time, writer, files, rows, end offsets. Returns 0.
int lake_log(const std::string& table_dir, std::ostream& out);
// Prints the problems (or a summary); returns 0 if ok, kExitVerify (4) if not.
int lake_verify(const std::string& table_dir, std::ostream& out);

}  // namespace sluice
