// Where the lake's bytes live: one small interface over a local directory
// and an S3-compatible bucket, so that the commit protocol, recovery and the
// lake tools are written once. Keys are '/'-separated paths relative to the
// storage root (a directory, or s3://bucket/prefix).
//
// Semantics every implementation keeps (tests/storage/ checks them on both):
//  - put/put_file/copy replace the object atomically: a reader sees the old
//    bytes or the new ones, never a part;
//  - put_if_absent creates the object only if no object has the key, and
//    exactly one of several concurrent callers wins (local: link(2); S3:
//    If-None-Match: *). This is the lake's commit point;
//  - remove of a missing key succeeds (idempotent);
//  - list returns keys in lexicographic order, page by page.
//
// Errors are StorageError with a kind; the S3 implementation has already
// retried the transient ones when it throws.
//
// Threading: every method may be called from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace sluice::storage {

enum class StorageErrorKind {
  kNotFound,          // no such object
  kBucketMissing,     // the bucket does not exist
  kPermissionDenied,  // wrong or missing keys, refused signature, policy
  kClockSkew,         // the local clock is too far from the server's
  kTransient,         // 5xx, SlowDown, timeouts, dropped connections: retries exhausted
  kInvalid,           // a request or configuration the server or the OS rejects
  kIo,                // local file system failure
};

const char* storage_error_kind_name(StorageErrorKind kind);

class StorageError : public RuntimeError {
 public:
  StorageError(StorageErrorKind kind, const std::string& message)
      : RuntimeError(message), kind_(kind) {}
  StorageErrorKind kind() const { return kind_; }

 private:
  StorageErrorKind kind_;
};

struct ObjectInfo {
  std::string key;  // relative to the storage root
  int64_t size = 0;
  std::string etag;  // S3 ETag; empty for local files
  // Last modification (local: mtime; S3: LastModified), ms since the epoch;
  // 0 when the server gave none (S3 HEAD fills it from Last-Modified only
  // through list()).
  int64_t modified_ms = 0;
};

struct ListPage {
  std::vector<ObjectInfo> objects;
  std::string next_token;  // empty on the last page
};

class Storage {
 public:
  virtual ~Storage() = default;

  // "s3://bucket/prefix" or the local root directory, for messages.
  virtual std::string url() const = 0;
  // The local path of `key` when the storage is a local directory (DuckDB and
  // the Parquet encoder then work in place); nullopt for remote storage.
  virtual std::optional<std::string> local_path(const std::string& key) const = 0;

  // Writes the whole object, replacing any previous one.
  virtual void put(const std::string& key, std::string_view data) = 0;
  // Uploads a local file with bounded memory (S3: multipart above a size,
  // parts in parallel, the upload aborted if one fails).
  virtual void put_file(const std::string& key, const std::string& file) = 0;
  // Creates the object only if the key is free: true if this call created
  // it, false if an object already had the key.
  virtual bool put_if_absent(const std::string& key, std::string_view data) = 0;

  // The whole object; StorageError kNotFound if it does not exist.
  virtual std::string get(const std::string& key) = 0;
  // `length` bytes from `offset` (fewer at the end of the object).
  virtual std::string get_range(const std::string& key, int64_t offset, int64_t length) = 0;
  // Downloads the object into `file` (created or replaced) with bounded memory.
  virtual void get_to_file(const std::string& key, const std::string& file) = 0;
  // Size and ETag, or nullopt if there is no such object.
  virtual std::optional<ObjectInfo> head(const std::string& key) = 0;

  // Objects whose key starts with `prefix`, in key order; pass the previous
  // page's next_token to continue.
  virtual ListPage list(const std::string& prefix, const std::string& token) = 0;
  // Names of the "directories" right under `dir` ("" for the root, else a
  // key prefix without the trailing '/'): S3 common prefixes of a listing
  // with delimiter '/', local subdirectories. In name order.
  virtual std::vector<std::string> list_dirs(const std::string& dir) = 0;
  // Deletes the object; a missing key is not an error.
  virtual void remove(const std::string& key) = 0;
  // Server-side copy (S3) or a copy through a temporary file (local).
  virtual void copy(const std::string& from, const std::string& to) = 0;
  // Makes `from`'s bytes appear at `to` atomically, then removes `from`.
  // Local: rename(2), one atomic step. S3: copy then delete, so a crash in
  // between leaves both (the lake's recovery deletes the source). Throws
  // kNotFound if `from` is missing.
  virtual void move(const std::string& from, const std::string& to) = 0;
  // move() for each (from, to) pair, in order; returns the indices of the
  // pairs whose `from` was missing (skipped, not thrown). When it returns,
  // every move is as durable as after move(). Local: all the renames, then
  // one fsync per directory involved (a commit of N files into D partition
  // directories costs D + 1 directory fsyncs, not 2N). Default: move() each.
  virtual std::vector<size_t> move_all(
      const std::vector<std::pair<std::string, std::string>>& moves);
};

// Every object under `prefix`, all pages.
std::vector<ObjectInfo> list_all(Storage& storage, const std::string& prefix);
// The object's bytes, or nullopt if it does not exist.
std::optional<std::string> get_if_exists(Storage& storage, const std::string& key);
// "a/b" from ("a", "b"); either side may be empty.
std::string join_key(const std::string& a, const std::string& b);

}  // namespace sluice::storage
