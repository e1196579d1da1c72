// Reads committed rows of a lake table back into a RecordBatch, through the
// files its commit log lists, for rebuilding operator state on restart.
//
// The table is a Storage (local directory or s3://); remote files are
// downloaded to a temporary directory for the read and deleted after it.
//
// Threading: any thread; each call opens its own in-memory DuckDB.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "core/batch.h"

namespace sluice {

namespace storage {
class Storage;
}

// Rows of `table` whose `timestamp_column` is >= min_ts and < max_ts (UTC
// micros), in the columns of `schema` (the table's schema, without partition
// columns), from the commits up to seq `max_seq`. Files in partitions that
// end before min_ts or start at or after max_ts (hourly partitions) are
// skipped.
RecordBatch read_committed_rows(storage::Storage& table, const OutputSchema& schema,
                                const std::string& timestamp_column, int64_t min_ts,
                                int64_t max_ts = std::numeric_limits<int64_t>::max(),
                                int64_t max_seq = std::numeric_limits<int64_t>::max());

// Removes the newest commits of `table` whose meta[key] is greater than
// `limit` (their files, then their log entries, newest first). Used to roll
// back commits of a derived table (windows) whose source commit never
// happened. Returns how many commits were removed.
int rollback_commits_after(storage::Storage& table, const std::string& key, int64_t limit);

}  // namespace sluice
