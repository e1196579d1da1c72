// Helpers of the tests that run against a RADOS Gateway (test_lake_s3.cpp,
// test_batch_s3.cpp): clickstream input, and copying a table between a local
// directory and a bucket.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "storage/local_storage.h"
#include "storage/storage.h"

namespace sluice::s3test {

// `events` clickstream events over 2025-01-01..03, hours 10..19, in DIR/NAME.
inline std::string write_input(const std::string& dir, int events,
                               const std::string& name = "in.ndjson") {
  const std::string path = dir + "/" + name;
  std::ofstream f(path);
  for (int i = 0; i < events; ++i) {
    f << R"({"session_id":"s)" << i % 7 << R"(","page_url":"/product/p)" << i % 5
      << R"(","timestamp":"2025-01-0)" << 1 + i % 3 << "T1" << i % 10
      << R"(:00:00Z","TTI":100,"TTAR":50})"
      << "\n";
  }
  return path;
}

// Copies every object of a local table into the bucket under `prefix`.
inline int64_t upload_table(const std::string& table_dir, storage::Storage& bucket) {
  storage::LocalStorage local(table_dir);
  int64_t n = 0;
  for (const auto& o : storage::list_all(local, "")) {
    bucket.put_file(o.key, *local.local_path(o.key));
    ++n;
  }
  return n;
}

// Downloads every object of the table under `prefix` into `dir`.
inline void download_table(storage::Storage& bucket, const std::string& prefix,
                           const std::string& dir) {
  for (const auto& o : storage::list_all(bucket, prefix + "/")) {
    const std::string path = dir + "/" + o.key.substr(prefix.size() + 1);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    bucket.get_to_file(o.key, path);
  }
}

}  // namespace sluice::s3test
