// A lake root (a local directory or s3://bucket/prefix) as batch jobs and the
// orchestrator see it: its tables, each table's storage, and the newest
// commit of a table that changed data.
//
// Threading: one thread at a time (the storage underneath is thread-safe,
// the cache of log positions is not).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "storage/storage.h"

namespace sluice {

class LakeRoot {
 public:
  // `config`: sink.lake.storage (endpoint, region, ...; empty: AWS_*).
  LakeRoot(std::string location, const LakeStorageConfig& config);

  const std::string& location() const { return location_; }
  bool remote() const { return remote_; }
  storage::Storage& storage() { return *root_; }

  // location/name
  std::string table_location(const std::string& name) const;
  std::unique_ptr<storage::Storage> open_table(const std::string& name) const;

  // Tables under the root: names not starting with '_' that have a commit
  // log (local: a log directory; s3://: at least one entry). Sorted.
  std::vector<std::string> tables();

  // The highest seq of `table` whose entry is not a compaction (compactions
  // rewrite files without changing a row), 0 if none. Entries are read once
  // per LakeRoot: later calls read only the entries published since.
  int64_t last_data_seq(const std::string& table);

 private:
  struct Seen {
    int64_t last_seq = 0;
    int64_t last_data_seq = 0;
  };

  std::string location_;
  LakeStorageConfig config_;
  std::unique_ptr<storage::Storage> root_;
  bool remote_ = false;
  std::map<std::string, Seen> seen_;
};

}  // namespace sluice
