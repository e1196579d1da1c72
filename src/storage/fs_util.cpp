#include "storage/fs_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "storage/storage.h"

namespace sluice::lakefs {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  fail_errno(what, path);
}

}  // namespace

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

void DirCloser::operator()(DIR* dir) const {
  ::closedir(dir);
}

void fail_errno(const std::string& what, const std::string& path) {
  const int err = errno;
  throw storage::StorageError(
      err == ENOENT ? storage::StorageErrorKind::kNotFound : storage::StorageErrorKind::kIo,
      "storage: " + what + " " + path + ": " + std::strerror(err));
}

void write_all(int fd, const char* data, size_t size, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
}

namespace {
std::atomic<int64_t> fsync_paths{0};
}  // namespace

int64_t fsync_path_count() {
  return fsync_paths.load();
}

void fsync_path(const std::string& path) {
  fsync_paths++;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail("cannot open", path);
  if (::fsync(fd.get()) != 0) fail("cannot fsync", path);
}

void make_dirs(const std::string& path) {
  if (path.empty()) return;
  std::string at;
  size_t pos = 0;
  while (pos != std::string::npos) {
    size_t next = path.find('/', pos + 1);
    at = path.substr(0, next);
    pos = next;
    if (at.empty() || at == "/") continue;
    if (::mkdir(at.c_str(), 0755) != 0 && errno != EEXIST) fail("cannot create directory", at);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    fail("not a directory", path);
  }
}

void write_file_synced(const std::string& path, const std::string& data) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) fail("cannot create", path);
  write_all(fd.get(), data.data(), data.size(), path);
  if (::fsync(fd.get()) != 0) fail("cannot fsync", path);
  if (::close(fd.release()) != 0) fail("cannot close", path);
}

std::string read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail("cannot open", path);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

int64_t file_size(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_size);
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
  if (!d) {
    if (errno == ENOENT) return out;
    fail("cannot list", dir);
  }
  while (struct dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    out.push_back(std::move(name));
  }
  return out;
}

namespace {
void walk(const std::string& root, const std::string& rel, std::vector<std::string>& out) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  for (const std::string& name : list_dir(dir)) {
    std::string child_rel = rel.empty() ? name : rel + "/" + name;
    struct stat st;
    if (::lstat((root + "/" + child_rel).c_str(), &st) != 0) continue;  // raced away
    if (S_ISDIR(st.st_mode)) {
      walk(root, child_rel, out);
    } else {
      out.push_back(child_rel);
    }
  }
}
}  // namespace

std::vector<std::string> list_files_recursive(const std::string& root) {
  std::vector<std::string> out;
  walk(root, "", out);
  return out;
}

bool link_if_absent(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return true;
  if (errno == EEXIST) return false;
  fail("cannot link to", to);
}

bool rename_path(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  fail("cannot rename to", to);
}

void remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail("cannot remove", path);
}

void make_dirs_durable(const std::string& dir) {
  struct stat st;
  if (dir.empty() || (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) return;
  make_dirs_durable(parent_dir(dir));
  if (::mkdir(dir.c_str(), 0755) != 0) {
    if (errno == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
    fail("cannot create directory", dir);
  }
  fsync_path(parent_dir(dir));
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

ScratchDir::ScratchDir(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + name + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) fail("cannot create a temporary directory", templ);
  path_ = buf.data();
}

ScratchDir::~ScratchDir() {
  try {
    for (const std::string& name : list_dir(path_)) ::unlink((path_ + "/" + name).c_str());
  } catch (const std::exception&) {
    // Best effort: a leftover temporary directory is harmless.
  }
  ::rmdir(path_.c_str());
}

}  // namespace sluice::lakefs
