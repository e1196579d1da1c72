// A bounded local cache of a remote lake's files, so that DuckDB (which has
// no httpfs here) reads a batch job's inputs from local disk.
//
// Keying, and why a replaced object is never served stale: an entry is named
// after SHA-256(storage URL, key, size, ETag), where size and ETag come from
// a HEAD of the object made just before the download, and a second HEAD after
// the download must give the same ETag (else the download is redone, at most
// three times). S3 ETags are digests of the content (MD5 of a single PUT, MD5
// of the parts' MD5s for a multipart upload), so an object replaced under the
// same key has a different ETag or size, hence a different cache entry: the
// old bytes can be evicted but never returned for the new object. The
// downloaded size must equal the HEAD's size and, when the commit log records
// one, the logged size.
//
// Bounded: the files in the directory never total more than `cap_bytes`.
// Before a download, entries not used by the current job are evicted, least
// recently used first (use time kept as the file's mtime, so it survives the
// process). The files a job fetched are pinned until release_pins(): DuckDB
// reads them all in one query. A file that does not fit beside the pinned
// ones -- including a file larger than the cap -- is a clear RuntimeError
// (nothing is streamed); raise sink.lake.storage.cache_bytes or run fewer days.
//
// Threading: one FileCache per process and directory, used by one thread. It
// holds an exclusive flock() on DIR/.lock for its lifetime, so processes that
// share a directory take turns (a second one waits).
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace sluice {

namespace storage {
class Storage;
}

struct FileCacheStats {
  int64_t hits = 0;
  int64_t downloads = 0;
  int64_t evictions = 0;
  int64_t bytes = 0;       // now in the directory
  int64_t peak_bytes = 0;  // highest total after any download
};

class FileCache {
 public:
  // Creates `dir`, waits for its lock, deletes partial downloads of a killed
  // run, and evicts down to the cap (it may have been lowered).
  FileCache(std::string dir, int64_t cap_bytes);
  ~FileCache();
  FileCache(const FileCache&) = delete;
  FileCache& operator=(const FileCache&) = delete;

  // The local path of `key` of `table`, downloaded unless a current copy is
  // cached; pinned until release_pins(). `logged_bytes` (0: unknown) is the
  // size the commit log gives. Throws RuntimeError (see the file comment).
  std::string fetch(storage::Storage& table, const std::string& key, int64_t logged_bytes);
  // Unpins every file (the job that read them is done).
  void release_pins();

  const FileCacheStats& stats() const { return stats_; }
  int64_t cap_bytes() const { return cap_; }
  const std::string& dir() const { return dir_; }

  // $XDG_CACHE_HOME/sluice, else $HOME/.cache/sluice, else $TMPDIR/sluice-cache.
  static std::string default_dir();

 private:
  struct Entry {
    int64_t size = 0;
    std::list<std::string>::iterator lru;  // position in lru_ (front: oldest)
  };

  void make_room(int64_t bytes, const std::string& url, const std::string& key);
  void evict(const std::string& name);
  void touch(const std::string& name);

  std::string dir_;
  int64_t cap_;
  int lock_fd_ = -1;
  std::map<std::string, Entry> entries_;  // file name -> entry
  std::list<std::string> lru_;
  std::set<std::string> pinned_;
  FileCacheStats stats_;
};

}  // namespace sluice
