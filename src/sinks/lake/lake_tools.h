// Read-only tools over a lake table: consistency check of files against the
// commit log, and the listings behind `sluice lake ls|log|verify TABLE`.
// TABLE is a directory or an s3://bucket/prefix/TABLE location (reached
// with the AWS_* environment: credentials, AWS_ENDPOINT_URL, AWS_REGION).
//
// Threading: stateless; each call opens its own in-memory DuckDB.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace sluice {

namespace storage {
class Storage;
}

struct LakeStorageConfig;

// The table's storage: a LocalStorage for a directory, an S3Storage for
// s3://. Throws StorageError for an unsupported location.
std::unique_ptr<storage::Storage> open_table(const std::string& table);
// The same with the pipeline's sink.lake.storage settings (empty ones fall
// back to the AWS_* environment).
std::unique_ptr<storage::Storage> open_lake_storage(const std::string& location,
                                                    const LakeStorageConfig& config);

struct VerifyReport {
  bool ok = true;
  std::vector<std::string> problems;
  int64_t files = 0;  // files listed in the log
  int64_t rows = 0;   // rows listed in the log
};

// Checks that every logged file exists with its logged size and row count
// (read from the Parquet footer with DuckDB; remote files are downloaded one
// at a time to a temporary directory), that no unlogged *.parquet lies under the
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
