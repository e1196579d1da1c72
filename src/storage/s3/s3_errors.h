// How an S3 response or transport failure is classified: one enum, and one
// exhaustive switch each (no default, so a new class is a compiler warning)
// for "retry it?" and "which StorageError kind?". Messages name the likely
// cause (missing bucket, wrong keys, clock skew) without any secret.
//
// Threading: stateless.
#pragma once

#include <string>

#include "storage/storage.h"

namespace sluice::storage {

enum class S3Failure {
  kNoSuchKey,            // 404 NoSuchKey (or a 404 HEAD)
  kNoSuchBucket,         // 404 NoSuchBucket
  kNoSuchUpload,         // 404 NoSuchUpload (multipart upload gone)
  kAccessDenied,         // 403 AccessDenied and other 401/403s
  kInvalidAccessKey,     // 403 InvalidAccessKeyId
  kSignatureMismatch,    // 403 SignatureDoesNotMatch: wrong secret
  kClockSkew,            // 403 RequestTimeTooSkewed
  kPreconditionFailed,   // 412 (If-None-Match on an existing key)
  kConditionalConflict,  // 409 ConditionalRequestConflict: a concurrent conditional write
  kSlowDown,             // 503 SlowDown, 429
  kServerError,          // other 5xx, InternalError in a 200 body
  kTimeout,              // no progress within the limits
  kConnection,           // refused, reset, DNS, TLS handshake
  kTlsVerify,            // the server certificate did not verify
  kBadRequest,           // other 4xx
};

// `http_status` 0 means a transport failure; then `curl_code` says which.
S3Failure classify_s3(long http_status, const std::string& code, int curl_code);
bool is_retriable(S3Failure failure);
StorageErrorKind storage_error_kind(S3Failure failure);

// "s3: PUT s3://bucket/key: <cause> (HTTP 403 SignatureDoesNotMatch)" with a
// hint for the classes a user can fix.
std::string describe_s3_failure(S3Failure failure, const std::string& method,
                                const std::string& target, long http_status,
                                const std::string& code, const std::string& detail);

}  // namespace sluice::storage
