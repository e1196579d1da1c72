// Reads committed rows of a lake table back into a RecordBatch, through the
// files its commit log lists, for rebuilding operator state on restart.
//
// Threading: any thread; each call opens its own in-memory DuckDB.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "core/batch.h"

namespace sluice {

// Rows of `table_dir` whose `timestamp_column` is >= min_ts and < max_ts
// (UTC micros), in the columns of `schema` (the table's schema, without
// partition columns), from the commits up to seq `max_seq`. Files in
// partitions that end before min_ts or start at or after max_ts (hourly
// partitions) are skipped.
RecordBatch read_committed_rows(const std::string& table_dir, const OutputSchema& schema,
                                const std::string& timestamp_column, int64_t min_ts,
                                int64_t max_ts = std::numeric_limits<int64_t>::max(),
                                int64_t max_seq = std::numeric_limits<int64_t>::max());

// Removes the newest commits of `table_dir` whose meta[key] is greater than
// `limit` (their files, then their log entries, newest first). Used to roll
// back commits of a derived table (windows) whose source commit never
// happened. Returns how many commits were removed.
int rollback_commits_after(const std::string& table_dir, const std::string& key, int64_t limit);

}  // namespace sluice
