// Storage on an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, R2, GCS's S3
// API), on the signed requests of s3_client.h. Keys live under the
// location's prefix. put_if_absent is a PUT with If-None-Match: * (412 means
// the key exists; after an ambiguous attempt -- a timeout or a dropped
// connection that may have created the object -- the object is read back
// and compared, so a retry of our own successful write still counts as
// ours). put_file streams the file: one PUT up to multipart_threshold, else
// a multipart upload whose parts go up in parallel straight from the file
// (memory stays at curl's buffers whatever the size), aborted on failure so
// no upload is left behind.
//
// Threading: all methods may run concurrently.
#pragma once

#include <memory>
#include <string>

#include "storage/s3/s3_client.h"
#include "storage/storage.h"

namespace sluice::storage {

struct MultipartUpload {
  std::string key;  // relative to the storage root
  std::string upload_id;
  std::string initiated;  // ISO 8601 as the server wrote it
};

class S3Storage final : public Storage {
 public:
  struct Limits {
    int64_t multipart_threshold = 64LL << 20;
    int64_t part_size = 16LL << 20;
    int parallel_parts = 4;
  };
  S3Storage(S3ClientConfig config, std::string prefix, Limits limits);

  std::string url() const override;
  std::optional<std::string> local_path(const std::string&) const override { return std::nullopt; }

  void put(const std::string& key, std::string_view data) override;
  void put_file(const std::string& key, const std::string& file) override;
  bool put_if_absent(const std::string& key, std::string_view data) override;
  std::string get(const std::string& key) override;
  std::string get_range(const std::string& key, int64_t offset, int64_t length) override;
  void get_to_file(const std::string& key, const std::string& file) override;
  std::optional<ObjectInfo> head(const std::string& key) override;
  ListPage list(const std::string& prefix, const std::string& token) override;
  std::vector<std::string> list_dirs(const std::string& dir) override;
  void remove(const std::string& key) override;
  void copy(const std::string& from, const std::string& to) override;
  void move(const std::string& from, const std::string& to) override;

  // Multipart uploads in progress under `prefix`, and their abort (vacuum).
  std::vector<MultipartUpload> list_uploads(const std::string& prefix);
  void abort_upload(const MultipartUpload& upload);

  // Uploads the first `size` bytes of `file` as a multipart upload (what
  // put_file does above the threshold). If a part fails after its retries,
  // the upload is aborted and the error rethrown.
  void multipart_upload(const std::string& key, const std::string& file, int64_t size);

  S3Client& client() { return *client_; }

 private:
  std::string full_key(const std::string& key) const;

  std::unique_ptr<S3Client> client_;
  std::string prefix_;  // without leading or trailing '/'
  Limits limits_;
};

}  // namespace sluice::storage
