#include "storage/s3/s3_storage.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "core/time.h"

namespace sluice::storage {

namespace {

constexpr int64_t kMaxParts = 10000;
constexpr int64_t kMinPartSize = 5LL << 20;  // S3's minimum for all parts but the last

void check_key(const std::string& key) {
  if (key.empty() || key.front() == '/' || key.find("//") != std::string::npos) {
    throw StorageError(StorageErrorKind::kInvalid, "storage: invalid key '" + key + "'");
  }
}

}  // namespace

S3Storage::S3Storage(S3ClientConfig config, std::string prefix, Limits limits)
    : client_(std::make_unique<S3Client>(std::move(config))),
      prefix_(std::move(prefix)),
      limits_(limits) {
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
  while (!prefix_.empty() && prefix_.front() == '/') prefix_.erase(0, 1);
}

std::string S3Storage::url() const {
  return "s3://" + client_->config().bucket + (prefix_.empty() ? "" : "/" + prefix_);
}

std::string S3Storage::full_key(const std::string& key) const {
  check_key(key);
  return prefix_.empty() ? key : prefix_ + "/" + key;
}

void S3Storage::put(const std::string& key, std::string_view data) {
  S3Request r;
  r.method = "PUT";
  r.key = full_key(key);
  r.memory = data;
  client_->send(r);
}

void S3Storage::put_file(const std::string& key, const std::string& file) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) {
    throw StorageError(StorageErrorKind::kIo,
                       "s3: cannot stat " + file + ": " + std::strerror(errno));
  }
  const int64_t size = static_cast<int64_t>(st.st_size);
  if (size > limits_.multipart_threshold) {
    multipart_upload(key, file, size);
    return;
  }
  S3Request r;
  r.method = "PUT";
  r.key = full_key(key);
  r.file = file;
  r.file_length = size;
  client_->send(r);
}

void S3Storage::multipart_upload(const std::string& key, const std::string& file, int64_t size) {
  const std::string full = full_key(key);
  int64_t part_size = std::max(limits_.part_size, kMinPartSize);
  part_size = std::max(part_size, (size + kMaxParts - 1) / kMaxParts);
  const int64_t parts = std::max<int64_t>(1, (size + part_size - 1) / part_size);

  S3Request create;
  create.method = "POST";
  create.key = full;
  create.query = {{"uploads", ""}};
  const std::string upload_id = xml_text(client_->send(create).body, "UploadId");
  if (upload_id.empty()) {
    throw StorageError(
        StorageErrorKind::kInvalid,
        "s3: CreateMultipartUpload of " + client_->target(full) + " returned no UploadId");
  }
  const MultipartUpload upload{key, upload_id, {}};
  auto abort_quietly = [&]() {
    try {
      abort_upload(upload);
    } catch (const StorageError&) {
      // vacuum removes uploads older than the retention
    }
  };

  std::vector<std::string> etags(static_cast<size_t>(parts));
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto worker = [&]() {
    for (;;) {
      if (failed.load()) return;
      const int64_t i = next.fetch_add(1);
      if (i >= parts) return;
      S3Request r;
      r.method = "PUT";
      r.key = full;
      r.query = {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload_id}};
      r.file = file;
      r.file_offset = i * part_size;
      r.file_length = std::min(part_size, size - i * part_size);
      try {
        S3Response resp = client_->send(r);
        etags[static_cast<size_t>(i)] = resp.headers["etag"];
        if (etags[static_cast<size_t>(i)].empty()) {
          throw StorageError(StorageErrorKind::kInvalid,
                             fmt::format("s3: part {} of {} came back without an ETag", i + 1,
                                         client_->target(full)));
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        failed.store(true);
        return;
      }
    }
  };
  const int threads =
      static_cast<int>(std::min<int64_t>(parts, std::max(1, limits_.parallel_parts)));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (first_error) {
    abort_quietly();
    std::rethrow_exception(first_error);
  }

  std::string body = "<CompleteMultipartUpload>";
  for (int64_t i = 0; i < parts; ++i) {
    body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1,
                        xml_escape(etags[static_cast<size_t>(i)]));
  }
  body += "</CompleteMultipartUpload>";
  S3Request complete;
  complete.method = "POST";
  complete.key = full;
  complete.query = {{"uploadId", upload_id}};
  complete.memory = body;
  complete.error_in_body = true;
  complete.accept = {404};
  S3Response resp;
  try {
    resp = client_->send(complete);
  } catch (const StorageError&) {
    abort_quietly();
    throw;
  }
  if (resp.status == 404) {
    // NoSuchUpload after an ambiguous attempt: our first completion went
    // through if the object now has the file's size.
    auto info = head(key);
    if (!resp.ambiguous || !info || info->size != size) {
      throw StorageError(StorageErrorKind::kNotFound,
                         "s3: CompleteMultipartUpload of " + client_->target(full) +
                             ": the upload disappeared (NoSuchUpload)");
    }
  }
}

bool S3Storage::put_if_absent(const std::string& key, std::string_view data) {
  S3Request r;
  r.method = "PUT";
  r.key = full_key(key);
  r.memory = data;
  r.headers = {"If-None-Match: *"};
  r.accept = {412};
  S3Response resp = client_->send(r);
  if (resp.status != 412) return true;
  if (!resp.ambiguous) return false;
  // An earlier attempt may have created the object before its answer was
  // lost: it is ours if it holds exactly our bytes (callers make their
  // payloads unique, e.g. the writer id and a nonce in a commit entry).
  auto existing = get_if_exists(*this, key);
  return existing && *existing == data;
}

std::string S3Storage::get(const std::string& key) {
  S3Request r;
  r.key = full_key(key);
  return client_->send(r).body;
}

std::string S3Storage::get_range(const std::string& key, int64_t offset, int64_t length) {
  if (offset < 0 || length < 0) {
    throw StorageError(StorageErrorKind::kInvalid, "s3: negative range for " + key);
  }
  if (length == 0) return {};
  S3Request r;
  r.key = full_key(key);
  r.headers = {fmt::format("Range: bytes={}-{}", offset, offset + length - 1)};
  r.accept = {416};  // the range starts past the end
  S3Response resp = client_->send(r);
  if (resp.status == 416) return {};
  if (resp.status == 200 && resp.body.size() > static_cast<size_t>(length)) {
    // A server that ignores Range sends the whole object.
    return resp.body.substr(std::min(resp.body.size(), static_cast<size_t>(offset)),
                            static_cast<size_t>(length));
  }
  return std::move(resp.body);
}

void S3Storage::get_to_file(const std::string& key, const std::string& file) {
  const std::string tmp = file + ".download";
  S3Request r;
  r.key = full_key(key);
  r.download_file = tmp;
  try {
    client_->send(r);
  } catch (const StorageError&) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw StorageError(StorageErrorKind::kIo,
                       "s3: cannot rename to " + file + ": " + std::strerror(err));
  }
}

std::optional<ObjectInfo> S3Storage::head(const std::string& key) {
  S3Request r;
  r.method = "HEAD";
  r.key = full_key(key);
  r.accept = {404};
  S3Response resp = client_->send(r);
  if (resp.status == 404) return std::nullopt;
  ObjectInfo info;
  info.key = key;
  info.size = std::strtoll(resp.headers["content-length"].c_str(), nullptr, 10);
  info.etag = resp.headers["etag"];
  return info;
}

ListPage S3Storage::list(const std::string& prefix, const std::string& token) {
  S3Request r;
  r.query = {{"list-type", "2"}};
  const std::string full_prefix = prefix_.empty() ? prefix : prefix_ + "/" + prefix;
  if (!full_prefix.empty()) r.query.emplace_back("prefix", full_prefix);
  if (!token.empty()) r.query.emplace_back("continuation-token", token);
  S3Response resp = client_->send(r);
  ListPage page;
  const size_t strip = prefix_.empty() ? 0 : prefix_.size() + 1;
  for (std::string_view block : xml_blocks(resp.body, "Contents")) {
    ObjectInfo info;
    std::string key = xml_text(block, "Key");
    if (key.size() <= strip) continue;
    info.key = key.substr(strip);
    info.size = std::strtoll(xml_text(block, "Size").c_str(), nullptr, 10);
    info.etag = xml_text(block, "ETag");
    if (auto t = parse_iso8601(xml_text(block, "LastModified"))) info.modified_ms = *t / 1000;
    page.objects.push_back(std::move(info));
  }
  if (xml_text(resp.body, "IsTruncated") == "true") {
    page.next_token = xml_text(resp.body, "NextContinuationToken");
    if (page.next_token.empty()) {
      throw StorageError(StorageErrorKind::kInvalid,
                         "s3: truncated listing of " + url() + " without a continuation token");
    }
  }
  return page;
}

std::vector<std::string> S3Storage::list_dirs(const std::string& dir) {
  std::string full_prefix = prefix_;
  if (!dir.empty()) full_prefix = full_prefix.empty() ? dir : full_prefix + "/" + dir;
  if (!full_prefix.empty()) full_prefix += "/";
  std::vector<std::string> out;
  std::string token;
  do {
    S3Request r;
    r.query = {{"list-type", "2"}, {"delimiter", "/"}};
    if (!full_prefix.empty()) r.query.emplace_back("prefix", full_prefix);
    if (!token.empty()) r.query.emplace_back("continuation-token", token);
    S3Response resp = client_->send(r);
    for (std::string_view block : xml_blocks(resp.body, "CommonPrefixes")) {
      std::string p = xml_text(block, "Prefix");
      if (p.size() <= full_prefix.size() + 1 || p.back() != '/') continue;
      out.push_back(p.substr(full_prefix.size(), p.size() - full_prefix.size() - 1));
    }
    token.clear();
    if (xml_text(resp.body, "IsTruncated") == "true") {
      token = xml_text(resp.body, "NextContinuationToken");
      if (token.empty()) {
        throw StorageError(StorageErrorKind::kInvalid,
                           "s3: truncated listing of " + url() + " without a continuation token");
      }
    }
  } while (!token.empty());
  std::sort(out.begin(), out.end());
  return out;
}

void S3Storage::remove(const std::string& key) {
  S3Request r;
  r.method = "DELETE";
  r.key = full_key(key);
  r.accept = {404};
  client_->send(r);
}

void S3Storage::copy(const std::string& from, const std::string& to) {
  S3Request r;
  r.method = "PUT";
  r.key = full_key(to);
  r.headers = {"x-amz-copy-source: /" + client_->config().bucket + "/" +
               uri_encode(full_key(from), true)};
  r.error_in_body = true;
  client_->send(r);
}

void S3Storage::move(const std::string& from, const std::string& to) {
  copy(from, to);
  remove(from);
}

std::vector<MultipartUpload> S3Storage::list_uploads(const std::string& prefix) {
  std::vector<MultipartUpload> out;
  const std::string full_prefix = prefix_.empty() ? prefix : prefix_ + "/" + prefix;
  const size_t strip = prefix_.empty() ? 0 : prefix_.size() + 1;
  std::string key_marker, id_marker;
  for (;;) {
    S3Request r;
    r.query = {{"uploads", ""}};
    if (!full_prefix.empty()) r.query.emplace_back("prefix", full_prefix);
    if (!key_marker.empty()) r.query.emplace_back("key-marker", key_marker);
    if (!id_marker.empty()) r.query.emplace_back("upload-id-marker", id_marker);
    S3Response resp = client_->send(r);
    for (std::string_view block : xml_blocks(resp.body, "Upload")) {
      std::string key = xml_text(block, "Key");
      if (key.size() <= strip) continue;
      out.push_back({key.substr(strip), xml_text(block, "UploadId"), xml_text(block, "Initiated")});
    }
    if (xml_text(resp.body, "IsTruncated") != "true") break;
    key_marker = xml_text(resp.body, "NextKeyMarker");
    id_marker = xml_text(resp.body, "NextUploadIdMarker");
    if (key_marker.empty() && id_marker.empty()) break;
  }
  return out;
}

void S3Storage::abort_upload(const MultipartUpload& upload) {
  S3Request r;
  r.method = "DELETE";
  r.key = full_key(upload.key);
  r.query = {{"uploadId", upload.upload_id}};
  r.accept = {404};
  client_->send(r);
}

}  // namespace sluice::storage
