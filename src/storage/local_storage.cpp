#include "storage/local_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>

#include <fmt/format.h>

#include "storage/fs_util.h"

namespace sluice::storage {

namespace {

using lakefs::DirCloser;
using lakefs::fail_errno;
using lakefs::Fd;
using lakefs::write_all;

constexpr const char* kTmpPrefix = kLocalTmpPrefix;
constexpr size_t kListPage = 1000;

// Copies `from` to the open descriptor `out` with a fixed buffer.
void copy_into(const std::string& from, int out, const std::string& out_path) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) fail_errno("cannot open", from);
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("cannot read", from);
    }
    if (n == 0) break;
    write_all(out, buf.data(), static_cast<size_t>(n), out_path);
  }
}

std::string random_suffix() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{:x}-{:x}-{:x}", ::getpid(), counter.fetch_add(1), rng() & 0xffffffff);
}

int64_t mtime_ms(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

void walk(const std::string& root, const std::string& rel, std::vector<std::string>& out) {
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
  if (!d) {
    if (errno == ENOENT || errno == ENOTDIR) return;
    fail_errno("cannot list", dir);
  }
  while (struct dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || name.rfind(kTmpPrefix, 0) == 0) continue;
    std::string child = rel.empty() ? name : rel + "/" + name;
    struct stat st;
    if (::lstat((root + "/" + child).c_str(), &st) != 0) continue;  // raced away
    if (S_ISDIR(st.st_mode)) {
      walk(root, child, out);
    } else if (S_ISREG(st.st_mode)) {
      out.push_back(std::move(child));
    }
  }
}

}  // namespace

LocalStorage::LocalStorage(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_.empty()) throw StorageError(StorageErrorKind::kInvalid, "storage: empty local path");
}

std::string LocalStorage::path_of(const std::string& key) const {
  if (key.empty() || key.front() == '/' || key.back() == '/' ||
      key.find("//") != std::string::npos) {
    throw StorageError(StorageErrorKind::kInvalid, "storage: invalid key '" + key + "'");
  }
  size_t pos = 0;
  while (pos <= key.size()) {
    size_t next = key.find('/', pos);
    if (next == std::string::npos) next = key.size();
    std::string_view part(key.data() + pos, next - pos);
    if (part == "." || part == "..") {
      throw StorageError(StorageErrorKind::kInvalid, "storage: invalid key '" + key + "'");
    }
    pos = next + 1;
  }
  return root_ + "/" + key;
}

std::optional<std::string> LocalStorage::local_path(const std::string& key) const {
  return path_of(key);
}

std::string LocalStorage::stage(const std::string& path, std::string_view data,
                                const std::string* source) {
  const std::string dir = lakefs::parent_dir(path);
  lakefs::make_dirs_durable(dir);
  const std::string tmp = dir + "/" + kTmpPrefix + random_suffix();
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) fail_errno("cannot create", tmp);
  try {
    if (source) {
      copy_into(*source, fd.get(), tmp);
    } else {
      write_all(fd.get(), data.data(), data.size(), tmp);
    }
    if (::fsync(fd.get()) != 0) fail_errno("cannot fsync", tmp);
    if (::close(fd.release()) != 0) fail_errno("cannot close", tmp);
  } catch (const StorageError&) {
    ::unlink(tmp.c_str());
    throw;
  }
  return tmp;
}

void LocalStorage::put(const std::string& key, std::string_view data) {
  const std::string path = path_of(key);
  const std::string tmp = stage(path, data, nullptr);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail_errno("cannot rename to", path);
  }
  lakefs::fsync_path(lakefs::parent_dir(path));
}

void LocalStorage::put_file(const std::string& key, const std::string& file) {
  const std::string path = path_of(key);
  const std::string tmp = stage(path, {}, &file);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail_errno("cannot rename to", path);
  }
  lakefs::fsync_path(lakefs::parent_dir(path));
}

bool LocalStorage::put_if_absent(const std::string& key, std::string_view data) {
  const std::string path = path_of(key);
  const std::string tmp = stage(path, data, nullptr);
  const bool created = ::link(tmp.c_str(), path.c_str()) == 0;
  const int err = errno;
  ::unlink(tmp.c_str());
  if (!created) {
    if (err == EEXIST) return false;
    errno = err;
    fail_errno("cannot link to", path);
  }
  lakefs::fsync_path(lakefs::parent_dir(path));
  return true;
}

std::string LocalStorage::get(const std::string& key) {
  return lakefs::read_file(path_of(key));
}

std::string LocalStorage::get_range(const std::string& key, int64_t offset, int64_t length) {
  const std::string path = path_of(key);
  if (offset < 0 || length < 0) {
    throw StorageError(StorageErrorKind::kInvalid, "storage: negative range for " + path);
  }
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail_errno("cannot open", path);
  std::string out(static_cast<size_t>(length), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd.get(), out.data() + done, out.size() - done,
                        static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("cannot read", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

void LocalStorage::get_to_file(const std::string& key, const std::string& file) {
  const std::string path = path_of(key);
  if (!head(key)) {
    errno = ENOENT;
    fail_errno("cannot open", path);
  }
  const std::string tmp = file + ".download-" + random_suffix();
  {
    Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (out.get() < 0) fail_errno("cannot create", tmp);
    try {
      copy_into(path, out.get(), tmp);
    } catch (const StorageError&) {
      ::unlink(tmp.c_str());
      throw;
    }
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail_errno("cannot rename to", file);
  }
}

std::optional<ObjectInfo> LocalStorage::head(const std::string& key) {
  const std::string path = path_of(key);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    fail_errno("cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  return ObjectInfo{key, static_cast<int64_t>(st.st_size), {}, mtime_ms(st)};
}

ListPage LocalStorage::list(const std::string& prefix, const std::string& token) {
  // Walk only the directory that holds every key with this prefix.
  const size_t slash = prefix.find_last_of('/');
  const std::string dir = slash == std::string::npos ? std::string() : prefix.substr(0, slash);
  std::vector<std::string> keys;
  walk(root_, dir, keys);
  std::sort(keys.begin(), keys.end());
  ListPage page;
  auto it = token.empty() ? keys.begin() : std::upper_bound(keys.begin(), keys.end(), token);
  for (; it != keys.end(); ++it) {
    if (it->compare(0, prefix.size(), prefix) != 0) continue;
    if (page.objects.size() == kListPage) {
      page.next_token = page.objects.back().key;
      break;
    }
    struct stat st;
    if (::stat((root_ + "/" + *it).c_str(), &st) != 0) continue;  // raced away
    page.objects.push_back(ObjectInfo{*it, static_cast<int64_t>(st.st_size), {}, mtime_ms(st)});
  }
  return page;
}

std::vector<std::string> LocalStorage::list_dirs(const std::string& dir) {
  const std::string path = dir.empty() ? root_ : path_of(dir);
  std::vector<std::string> out;
  if (!lakefs::exists(path)) return out;
  for (const std::string& name : lakefs::list_dir(path)) {
    struct stat st;
    if (::stat((path + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void LocalStorage::remove(const std::string& key) {
  const std::string path = path_of(key);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail_errno("cannot remove", path);
}

void LocalStorage::copy(const std::string& from, const std::string& to) {
  const std::string source = path_of(from);
  const std::string path = path_of(to);
  const std::string tmp = stage(path, {}, &source);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail_errno("cannot rename to", path);
  }
  lakefs::fsync_path(lakefs::parent_dir(path));
}

void LocalStorage::move(const std::string& from, const std::string& to) {
  const std::string source = path_of(from);
  const std::string path = path_of(to);
  lakefs::make_dirs_durable(lakefs::parent_dir(path));
  if (::rename(source.c_str(), path.c_str()) != 0)
    fail_errno("cannot rename " + source + " to", path);
  lakefs::fsync_path(lakefs::parent_dir(path));
  if (lakefs::parent_dir(path) != lakefs::parent_dir(source))
    lakefs::fsync_path(lakefs::parent_dir(source));
}

std::vector<size_t> LocalStorage::move_all(
    const std::vector<std::pair<std::string, std::string>>& moves) {
  // rename(2) is atomic at once; what needs the fsyncs is durability, and
  // one fsync of a directory covers every rename into or out of it so far.
  std::vector<size_t> missing;
  std::set<std::string> created, synced;
  for (size_t i = 0; i < moves.size(); ++i) {
    const std::string source = path_of(moves[i].first);
    const std::string path = path_of(moves[i].second);
    const std::string dir = lakefs::parent_dir(path);
    if (created.insert(dir).second) lakefs::make_dirs_durable(dir);
    if (::rename(source.c_str(), path.c_str()) != 0) {
      if (errno == ENOENT && ::access(source.c_str(), F_OK) != 0) {
        missing.push_back(i);
        continue;
      }
      fail_errno("cannot rename " + source + " to", path);
    }
    synced.insert(dir);
    synced.insert(lakefs::parent_dir(source));
  }
  for (const std::string& dir : synced) lakefs::fsync_path(dir);
  return missing;
}

}  // namespace sluice::storage
