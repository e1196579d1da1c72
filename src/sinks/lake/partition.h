// Hive-style partition paths for lake rows ("year=2024/month=03/device=x"),
// with sanitizing of values derived from data so that no value can name a
// path outside its table directory.
//
// Threading: a Partitioner is immutable after construction except for a
// small per-instance cache; use one per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/pipeline.h"
#include "core/batch.h"
#include "core/time.h"

namespace sluice {

// Directory value used for NULL (and empty) partition values, as in Hive.
inline constexpr std::string_view kHiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__";
// Longest sanitized value; longer ones are cut and get a hash suffix.
inline constexpr size_t kMaxPartitionValueBytes = 128;

// Percent-encodes every byte outside [A-Za-z0-9._-] (so '/', '\\', NUL, '=',
// '%' and all non-ASCII bytes are encoded), encodes the dots of "." and "..",
// maps "" to kHiveDefaultPartition and caps the length at
// kMaxPartitionValueBytes (prefix + '_' + 16 hex digits of a stable hash of
// the whole value). The result is a single safe path component.
std::string sanitize_partition_value(std::string_view value);

// Computes the partition path of each row of a batch.
class Partitioner {
 public:
  // `timestamp_column` feeds the calendar keys (falls back to the key's
  // `field`). Throws RuntimeError if a key names a column not in `schema` or
  // a calendar key's column is not a timestamp/int64 column.
  Partitioner(const std::vector<PartitionKey>& keys, const OutputSchema& schema,
              const std::string& timestamp_column);

  bool empty() const { return keys_.empty(); }
  // Relative directory of row `row` ("" when there are no keys), no trailing
  // slash, e.g. "year=2024/month=03/day=01/hour=13".
  void path_of(const RecordBatch& batch, size_t row, std::string& out);
  // True if rows `a` and `b` of `batch` have the same partition path; much
  // cheaper than comparing path_of() results.
  bool same_partition(const RecordBatch& batch, size_t a, size_t b) const;
  // A compact binary key of row `row`'s partition values (the hour of each
  // calendar key's column, the raw bytes of each field key, a NULL mark):
  // rows with equal keys have the same path_of(); different keys may still
  // share a path (e.g. two hours of one day when partitioning by day). Cheap
  // enough to compute per row and to look up in a hash map (short keys fit
  // std::string's inline buffer).
  void key_of(const RecordBatch& batch, size_t row, std::string& key) const;

 private:
  struct Key {
    std::string dir_name;  // sanitized key name
    PartitionKey::Kind kind;
    int column;
  };
  std::vector<Key> keys_;
  // Cache of the calendar prefix for the last hour seen.
  int64_t cached_hour_ = INT64_MIN;
  CivilTime cached_civil_{};
};

}  // namespace sluice
