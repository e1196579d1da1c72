// Lake locations as users write them ("./lake", "/data/lake", "file:///x",
// "s3://bucket/prefix") and the storage options that go with them, turned
// into a Storage. Any other scheme is a configuration error naming the
// supported ones, so that `--lake gs://x` never quietly becomes a local
// folder named "gs:".
//
// Threading: stateless functions.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "storage/storage.h"

namespace sluice::storage {

// sink.lake.storage / the --s3-* options. Empty strings fall back to the
// standard AWS environment variables (see s3/s3_config.h).
struct StorageOptions {
  std::string endpoint;  // https://s3.eu-west-1.amazonaws.com, http://127.0.0.1:7480, ...
  std::string region;
  std::optional<bool> path_style;  // unset: path-style for custom endpoints
  bool verify_tls = true;
  int max_retries = 6;                       // after the first attempt
  int64_t multipart_threshold = 64LL << 20;  // put_file above this size uses multipart
  int64_t part_size = 16LL << 20;            // raised so that a file has <= 10000 parts
  int parallel_parts = 4;                    // parts uploaded at once
  int64_t retry_base_ms = 100;               // first backoff; doubles up to retry_max_ms
  int64_t retry_max_ms = 10000;
  // Test hook: signing time in milliseconds since the epoch (sent as
  // x-amz-date); unset means the system clock.
  std::function<int64_t()> clock_ms;
};

struct Location {
  enum class Kind { kLocal, kS3 } kind = Kind::kLocal;
  std::string path;    // local: the directory
  std::string bucket;  // s3
  std::string prefix;  // s3: key prefix without leading or trailing '/'
};

// Throws StorageError kInvalid for an unsupported scheme or a malformed
// s3:// URL; the message names the supported schemes.
Location parse_location(const std::string& text);
// True for s3:// (and any other scheme, which parse_location rejects).
bool has_scheme(const std::string& text);

std::unique_ptr<Storage> open_storage(const Location& location, const StorageOptions& options);
std::unique_ptr<Storage> open_storage(const std::string& location, const StorageOptions& options);

}  // namespace sluice::storage
