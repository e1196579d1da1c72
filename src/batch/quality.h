// Data-quality checks of a batch job (row count, not-null, range, unique,
// freshness), evaluated with SQL over the job's result table before anything
// is published or loaded. A failed check is a value (CheckFailure) carrying
// the check and the offending values; the job runner turns failures into a
// QualityError (exit code kExitQuality).
//
// Threading: stateless; uses the caller's DuckDb connection.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "batch/day.h"
#include "config/pipeline.h"
#include "core/error.h"
#include "sinks/lake/duckdb_handle.h"

namespace sluice {

struct CheckFailure {
  std::string check;    // e.g. "range(avg_tti)"
  std::string message;  // what failed, with up to 5 offending values
};

struct CheckContext {
  std::string table;        // result table to check (a SQL identifier)
  std::string date_column;  // row_count is checked per day of `days`
  std::set<Day> days;
  int64_t now_ms = 0;  // wall clock for freshness relative_to: now
};

// Describes a check in one short phrase, e.g. "not_null(page_url, day)".
std::string describe_check(const QualityCheckConfig& check);

// Runs every check; returns the failures (empty: all passed).
std::vector<CheckFailure> run_quality_checks(DuckDb& db,
                                             const std::vector<QualityCheckConfig>& checks,
                                             const CheckContext& context);

// A job whose checks failed: nothing was published or loaded.
class QualityError : public RuntimeError {
 public:
  QualityError(const std::string& job, std::vector<CheckFailure> failures);
  const std::vector<CheckFailure>& failures() const { return failures_; }

 private:
  std::vector<CheckFailure> failures_;
};

// Quotes an SQL identifier: "name" with doubled quotes.
std::string sql_ident(const std::string& name);

}  // namespace sluice
