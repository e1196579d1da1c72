// The HTTP layer of the S3 storage: one signed request with retries.
// Requests are signed by libcurl (CURLOPT_AWS_SIGV4). libcurl 7.88 signs
// the query and path exactly as given, so this layer writes them in SigV4's
// canonical form (query sorted by name, every byte outside A-Z a-z 0-9 -._~
// percent-encoded, '/' kept in paths) and always sends x-amz-content-sha256
// (the body's SHA-256, or UNSIGNED-PAYLOAD for bodies streamed from files).
//
// Retries: transport failures, timeouts, 5xx, SlowDown and 409
// ConditionalRequestConflict are retried up to max_retries times with
// exponential backoff and jitter; everything else fails at once with a
// StorageError whose message names the cause (s3_errors.h).
//
// Threading: send() may be called from many threads; each call borrows a
// curl handle from a pool (connections are reused between calls).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/s3/credentials.h"

namespace sluice::storage {

struct S3ClientConfig {
  std::string scheme = "https";  // http or https
  std::string host;              // host[:port] of the endpoint
  std::string region = "us-east-1";
  std::string bucket;
  bool path_style = false;
  bool verify_tls = true;
  Credentials credentials;
  int max_retries = 6;
  int64_t retry_base_ms = 100;
  int64_t retry_max_ms = 10000;
  int64_t connect_timeout_ms = 10000;
  int64_t stall_timeout_s = 30;       // abort a transfer that moves no byte for this long
  std::function<int64_t()> clock_ms;  // test hook: signing time (x-amz-date)
  // Test hook: "HOST:PORT:CONNECT_HOST:CONNECT_PORT" (CURLOPT_CONNECT_TO).
  std::string connect_to;
};

struct S3Request {
  std::string method = "GET";
  std::string key;  // full object key (with the root prefix); empty for the bucket
  std::vector<std::pair<std::string, std::string>> query;  // unencoded
  std::vector<std::string> headers;                        // "name: value"
  // The body: `memory`, or `file_length` bytes of `file` from `file_offset`.
  std::string_view memory;
  std::string file;
  int64_t file_offset = 0;
  int64_t file_length = 0;
  // Stream a successful response's body into this file instead of memory.
  std::string download_file;
  // Statuses returned to the caller instead of thrown (404 for head, ...).
  std::vector<long> accept;
  // CopyObject and CompleteMultipartUpload may fail inside a 200 response.
  bool error_in_body = false;
};

struct S3Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  // An earlier attempt failed in a way that may have left it applied
  // (timeout, dropped connection, 5xx after the body was sent).
  bool ambiguous = false;
  int attempts = 0;
};

class S3Client {
 public:
  explicit S3Client(S3ClientConfig config);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  S3Response send(const S3Request& request);

  // "s3://bucket/key" for messages.
  std::string target(const std::string& key) const;
  const S3ClientConfig& config() const { return config_; }
  // HTTP attempts made so far (all calls), for tests of the retry bound.
  int64_t attempts() const { return attempts_.load(); }

  // The state of one HTTP attempt (shared with curl's callbacks).
  struct Attempt;

 private:
  void perform(const S3Request& request, Attempt& attempt);
  void* acquire();
  void release(void* handle);

  S3ClientConfig config_;
  std::mutex pool_mutex_;
  std::vector<void*> pool_;  // idle CURL handles
  std::atomic<int64_t> attempts_{0};
};

// SigV4's URI encoding: every byte except A-Z a-z 0-9 - . _ ~ (and '/' when
// `keep_slash`) as %XX with upper-case hex.
std::string uri_encode(std::string_view text, bool keep_slash);
// "a=1&b=x%2Fy": sorted by encoded name, then value; "name=" for empty values.
std::string canonical_query(std::vector<std::pair<std::string, std::string>> query);
std::string sha256_hex(std::string_view data);
// 20130524T000000Z
std::string amz_date(int64_t epoch_ms);

// Text of the first <tag>...</tag> in `xml`, entities decoded; empty if absent.
std::string xml_text(std::string_view xml, std::string_view tag);
// The inner text of every <tag>...</tag> in `xml`, raw.
std::vector<std::string_view> xml_blocks(std::string_view xml, std::string_view tag);
std::string xml_escape(std::string_view text);

}  // namespace sluice::storage
