#include "batch/file_cache.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "storage/fs_util.h"
#include "storage/s3/s3_client.h"
#include "storage/storage.h"

namespace sluice {

namespace {

constexpr const char* kEntrySuffix = ".parquet";
constexpr int kDownloadAttempts = 3;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string format_bytes(int64_t bytes) {
  if (bytes >= (int64_t{1} << 30)) return fmt::format("{:.1f} GiB", bytes / 1073741824.0);
  if (bytes >= (int64_t{1} << 20)) return fmt::format("{:.1f} MiB", bytes / 1048576.0);
  return fmt::format("{} bytes", bytes);
}

}  // namespace

std::string FileCache::default_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/sluice";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.cache/sluice";
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp && *tmp ? tmp : "/tmp") + "/sluice-cache";
}

FileCache::FileCache(std::string dir, int64_t cap_bytes) : dir_(std::move(dir)), cap_(cap_bytes) {
  if (cap_ <= 0) throw RuntimeError("batch: the file cache needs a positive cap");
  lakefs::make_dirs(dir_);
  const std::string lock = dir_ + "/.lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    throw RuntimeError("batch: cannot open the cache lock " + lock + ": " + std::strerror(errno));
  }
  while (::flock(lock_fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    ::close(lock_fd_);
    throw RuntimeError("batch: cannot lock the cache " + lock + ": " + std::strerror(err));
  }
  // Existing entries, oldest use first; anything else (a partial download
  // of a killed run) goes.
  struct Found {
    std::string name;
    int64_t size;
    int64_t mtime_ns;
  };
  std::vector<Found> found;
  for (const std::string& name : lakefs::list_dir(dir_)) {
    if (name == ".lock") continue;
    const std::string path = dir_ + "/" + name;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (!ends_with(name, kEntrySuffix) || name.size() != 64 + std::strlen(kEntrySuffix)) {
      lakefs::remove_file(path);
      continue;
    }
    found.push_back({name, static_cast<int64_t>(st.st_size),
                     int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec});
  }
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.mtime_ns < b.mtime_ns; });
  for (const Found& f : found) {
    lru_.push_back(f.name);
    entries_[f.name] = Entry{f.size, std::prev(lru_.end())};
    stats_.bytes += f.size;
  }
  while (stats_.bytes > cap_ && !lru_.empty()) evict(lru_.front());
  stats_.peak_bytes = stats_.bytes;
}

FileCache::~FileCache() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void FileCache::release_pins() {
  pinned_.clear();
}

void FileCache::evict(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  lakefs::remove_file(dir_ + "/" + name);
  stats_.bytes -= it->second.size;
  lru_.erase(it->second.lru);
  entries_.erase(it);
  ++stats_.evictions;
}

void FileCache::touch(const std::string& name) {
  auto it = entries_.find(name);
  lru_.splice(lru_.end(), lru_, it->second.lru);
  // The use time outlives the process: the next FileCache orders by it.
  ::utimensat(AT_FDCWD, (dir_ + "/" + name).c_str(), nullptr, 0);
}

void FileCache::make_room(int64_t bytes, const std::string& url, const std::string& key) {
  for (auto it = lru_.begin(); stats_.bytes + bytes > cap_ && it != lru_.end();) {
    const std::string name = *it++;
    if (!pinned_.count(name)) evict(name);
  }
  if (stats_.bytes + bytes > cap_) {
    int64_t pinned = 0;
    for (const std::string& name : pinned_) pinned += entries_.at(name).size;
    throw RuntimeError(fmt::format(
        "batch: {}/{} ({}) does not fit in the file cache {} beside the {} the job already "
        "needs: the cap (sink.lake.storage.cache_bytes) is {}; raise it or run fewer days",
        url, key, format_bytes(bytes), dir_, format_bytes(pinned), format_bytes(cap_)));
  }
}

std::string FileCache::fetch(storage::Storage& table, const std::string& key,
                             int64_t logged_bytes) {
  const std::string url = table.url();
  for (int attempt = 1;; ++attempt) {
    std::optional<storage::ObjectInfo> before = table.head(key);
    if (!before) throw RuntimeError("batch: " + url + "/" + key + " is missing (see lake verify)");
    if (logged_bytes > 0 && before->size != logged_bytes) {
      throw RuntimeError(fmt::format("batch: {}/{} is {} bytes but the commit log says {}", url,
                                     key, before->size, logged_bytes));
    }
    const std::string name =
        storage::sha256_hex(fmt::format("{}\n{}\n{}\n{}", url, key, before->size, before->etag)) +
        kEntrySuffix;
    const std::string path = dir_ + "/" + name;
    if (entries_.count(name)) {
      touch(name);
      pinned_.insert(name);
      ++stats_.hits;
      return path;
    }
    make_room(before->size, url, key);
    const std::string tmp = path + ".part";
    table.get_to_file(key, tmp);
    const int64_t got = lakefs::file_size(tmp);
    std::optional<storage::ObjectInfo> after = table.head(key);
    if (got != before->size || !after || after->etag != before->etag ||
        after->size != before->size) {
      lakefs::remove_file(tmp);
      if (attempt < kDownloadAttempts) continue;  // replaced while downloading
      throw RuntimeError(fmt::format(
          "batch: {}/{} changed during each of {} downloads (size {} then {}, ETag {} then {})",
          url, key, kDownloadAttempts, before->size, got, before->etag,
          after ? after->etag : std::string("(gone)")));
    }
    if (!lakefs::rename_path(tmp, path)) {
      throw RuntimeError("batch: cannot move " + tmp + " into the cache");
    }
    lru_.push_back(name);
    entries_[name] = Entry{got, std::prev(lru_.end())};
    pinned_.insert(name);
    stats_.bytes += got;
    stats_.peak_bytes = std::max(stats_.peak_bytes, stats_.bytes);
    ++stats_.downloads;
    return path;
  }
}

}  // namespace sluice
