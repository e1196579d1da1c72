#include "storage/location.h"

#include <cstdlib>

#include "storage/local_storage.h"
#include "storage/s3/s3_storage.h"

namespace sluice::storage {

namespace {

constexpr const char* kSupported = "a local path, file:///path or s3://bucket/prefix";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The scheme of "scheme://...", or "" for a plain path.
std::string scheme_of(const std::string& text) {
  size_t sep = text.find("://");
  if (sep == std::string::npos || sep == 0) return {};
  for (size_t i = 0; i < sep; ++i) {
    char c = text[i];
    bool ok = std::isalpha(static_cast<unsigned char>(c)) ||
              (i > 0 &&
               (std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'));
    if (!ok) return {};
  }
  return text.substr(0, sep);
}

}  // namespace

bool has_scheme(const std::string& text) {
  return !scheme_of(text).empty();
}

Location parse_location(const std::string& text) {
  Location loc;
  const std::string scheme = scheme_of(text);
  if (scheme.empty()) {
    if (text.empty()) throw StorageError(StorageErrorKind::kInvalid, "lake location is empty");
    loc.path = text;
    return loc;
  }
  const std::string rest = text.substr(scheme.size() + 3);
  if (scheme == "file") {
    if (rest.empty() || rest[0] != '/') {
      throw StorageError(
          StorageErrorKind::kInvalid,
          "lake location '" + text + "': file:// needs an absolute path (file:///x)");
    }
    loc.path = rest;
    return loc;
  }
  if (scheme == "s3") {
    loc.kind = Location::Kind::kS3;
    size_t slash = rest.find('/');
    loc.bucket = rest.substr(0, slash);
    loc.prefix = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
    while (!loc.prefix.empty() && loc.prefix.back() == '/') loc.prefix.pop_back();
    if (loc.bucket.empty() || loc.bucket.size() > 63 ||
        loc.bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") !=
            std::string::npos) {
      throw StorageError(
          StorageErrorKind::kInvalid,
          "lake location '" + text +
              "': the bucket name must be 1-63 lower-case letters, digits, '.' or '-'");
    }
    if (loc.prefix.find("//") != std::string::npos) {
      throw StorageError(StorageErrorKind::kInvalid,
                         "lake location '" + text + "': empty path segment in the prefix");
    }
    return loc;
  }
  throw StorageError(StorageErrorKind::kInvalid, "lake location '" + text +
                                                     "': unsupported scheme '" + scheme +
                                                     "://' (supported: " + kSupported + ")");
}

std::unique_ptr<Storage> open_storage(const Location& location, const StorageOptions& options) {
  if (location.kind == Location::Kind::kLocal) return std::make_unique<LocalStorage>(location.path);

  S3ClientConfig c;
  c.bucket = location.bucket;
  c.region = options.region;
  if (c.region.empty()) c.region = env("AWS_REGION");
  if (c.region.empty()) c.region = env("AWS_DEFAULT_REGION");
  if (c.region.empty()) c.region = "us-east-1";
  std::string endpoint = options.endpoint;
  if (endpoint.empty()) endpoint = env("AWS_ENDPOINT_URL_S3");
  if (endpoint.empty()) endpoint = env("AWS_ENDPOINT_URL");
  if (endpoint.empty()) endpoint = "https://s3." + c.region + ".amazonaws.com";
  const std::string scheme = scheme_of(endpoint);
  if (scheme != "http" && scheme != "https") {
    throw StorageError(StorageErrorKind::kInvalid,
                       "storage endpoint '" + endpoint + "' must start with http:// or https://");
  }
  c.scheme = scheme;
  c.host = endpoint.substr(scheme.size() + 3);
  while (!c.host.empty() && c.host.back() == '/') c.host.pop_back();
  if (c.host.empty() || c.host.find('/') != std::string::npos) {
    throw StorageError(StorageErrorKind::kInvalid,
                       "storage endpoint '" + endpoint + "' must be scheme://host[:port]");
  }
  std::string bare_host =
      c.host.substr(0, c.host.rfind(':') == std::string::npos ? c.host.size() : c.host.rfind(':'));
  c.path_style = options.path_style.value_or(!ends_with(bare_host, "amazonaws.com"));
  c.verify_tls = options.verify_tls;
  c.max_retries = options.max_retries;
  c.retry_base_ms = options.retry_base_ms;
  c.retry_max_ms = options.retry_max_ms;
  c.clock_ms = options.clock_ms;
  c.credentials = load_credentials();
  S3Storage::Limits limits;
  limits.multipart_threshold = options.multipart_threshold;
  limits.part_size = options.part_size;
  limits.parallel_parts = options.parallel_parts;
  return std::make_unique<S3Storage>(std::move(c), location.prefix, limits);
}

std::unique_ptr<Storage> open_storage(const std::string& location, const StorageOptions& options) {
  return open_storage(parse_location(location), options);
}

}  // namespace sluice::storage
