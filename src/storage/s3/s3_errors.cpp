#include "storage/s3/s3_errors.h"

#include <curl/curl.h>
#include <fmt/format.h>

namespace sluice::storage {

S3Failure classify_s3(long http_status, const std::string& code, int curl_code) {
  if (http_status == 0) {
    switch (static_cast<CURLcode>(curl_code)) {
      case CURLE_OPERATION_TIMEDOUT:
        return S3Failure::kTimeout;
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
        return S3Failure::kTlsVerify;
      default:
        return S3Failure::kConnection;
    }
  }
  if (code == "SlowDown" || http_status == 429) return S3Failure::kSlowDown;
  if (code == "InternalError" || http_status >= 500) return S3Failure::kServerError;
  if (code == "RequestTimeTooSkewed") return S3Failure::kClockSkew;
  if (code == "SignatureDoesNotMatch") return S3Failure::kSignatureMismatch;
  if (code == "InvalidAccessKeyId") return S3Failure::kInvalidAccessKey;
  if (code == "NoSuchBucket") return S3Failure::kNoSuchBucket;
  if (code == "NoSuchUpload") return S3Failure::kNoSuchUpload;
  if (code == "ConditionalRequestConflict" || (http_status == 409 && code.empty())) {
    return S3Failure::kConditionalConflict;
  }
  if (http_status == 412) return S3Failure::kPreconditionFailed;
  if (http_status == 404) return S3Failure::kNoSuchKey;
  if (http_status == 401 || http_status == 403) return S3Failure::kAccessDenied;
  return S3Failure::kBadRequest;
}

bool is_retriable(S3Failure failure) {
  switch (failure) {
    case S3Failure::kSlowDown:
    case S3Failure::kServerError:
    case S3Failure::kTimeout:
    case S3Failure::kConnection:
    case S3Failure::kConditionalConflict:  // AWS: retry the conditional write
      return true;
    case S3Failure::kNoSuchKey:
    case S3Failure::kNoSuchBucket:
    case S3Failure::kNoSuchUpload:
    case S3Failure::kAccessDenied:
    case S3Failure::kInvalidAccessKey:
    case S3Failure::kSignatureMismatch:
    case S3Failure::kClockSkew:
    case S3Failure::kPreconditionFailed:
    case S3Failure::kTlsVerify:
    case S3Failure::kBadRequest:
      return false;
  }
  return false;
}

StorageErrorKind storage_error_kind(S3Failure failure) {
  switch (failure) {
    case S3Failure::kNoSuchKey:
    case S3Failure::kNoSuchUpload:
      return StorageErrorKind::kNotFound;
    case S3Failure::kNoSuchBucket:
      return StorageErrorKind::kBucketMissing;
    case S3Failure::kAccessDenied:
    case S3Failure::kInvalidAccessKey:
    case S3Failure::kSignatureMismatch:
      return StorageErrorKind::kPermissionDenied;
    case S3Failure::kClockSkew:
      return StorageErrorKind::kClockSkew;
    case S3Failure::kSlowDown:
    case S3Failure::kServerError:
    case S3Failure::kTimeout:
    case S3Failure::kConnection:
    case S3Failure::kConditionalConflict:
      return StorageErrorKind::kTransient;
    case S3Failure::kPreconditionFailed:
    case S3Failure::kTlsVerify:
    case S3Failure::kBadRequest:
      return StorageErrorKind::kInvalid;
  }
  return StorageErrorKind::kInvalid;
}

namespace {

const char* cause(S3Failure failure) {
  switch (failure) {
    case S3Failure::kNoSuchKey:
      return "no such object";
    case S3Failure::kNoSuchBucket:
      return "the bucket does not exist (create it, or check the bucket name and endpoint)";
    case S3Failure::kNoSuchUpload:
      return "the multipart upload no longer exists";
    case S3Failure::kAccessDenied:
      return "access denied (the credentials lack permission for this bucket or key)";
    case S3Failure::kInvalidAccessKey:
      return "the access key id is unknown to this endpoint (check AWS_ACCESS_KEY_ID or the "
             "profile, and the endpoint)";
    case S3Failure::kSignatureMismatch:
      return "the request signature was rejected: wrong secret key (check AWS_SECRET_ACCESS_KEY "
             "or the profile) or a proxy that rewrites requests";
    case S3Failure::kClockSkew:
      return "this machine's clock is too far from the server's (RequestTimeTooSkewed): fix the "
             "system time (NTP)";
    case S3Failure::kPreconditionFailed:
      return "precondition failed (the object exists)";
    case S3Failure::kConditionalConflict:
      return "a concurrent conditional write to the same key";
    case S3Failure::kSlowDown:
      return "the server asks to slow down";
    case S3Failure::kServerError:
      return "server error";
    case S3Failure::kTimeout:
      return "timed out";
    case S3Failure::kConnection:
      return "connection failed";
    case S3Failure::kTlsVerify:
      return "the server's TLS certificate did not verify (set the right endpoint, or "
             "storage.verify_tls: false for a test server)";
    case S3Failure::kBadRequest:
      return "request rejected";
  }
  return "request failed";
}

}  // namespace

std::string describe_s3_failure(S3Failure failure, const std::string& method,
                                const std::string& target, long http_status,
                                const std::string& code, const std::string& detail) {
  std::string status;
  if (http_status != 0) {
    status = code.empty() ? fmt::format("HTTP {}", http_status)
                          : fmt::format("HTTP {} {}", http_status, code);
  }
  if (!detail.empty()) status += status.empty() ? detail : ": " + detail;
  return fmt::format("s3: {} {}: {}{}", method, target, cause(failure),
                     status.empty() ? "" : " (" + status + ")");
}

}  // namespace sluice::storage
