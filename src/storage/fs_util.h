// POSIX file helpers, the one copy shared by LocalStorage (the lake's
// storage on a local directory) and the local-only state files (batch state,
// orchestrator stores): fsync of files and directories, mkdir -p, atomic
// create-if-absent, descriptor and directory handles.
//
// Threading: stateless; safe from any thread.
#pragma once

#include <dirent.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::lakefs {

// An owned file descriptor (closed on destruction unless released).
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// For std::unique_ptr<DIR, DirCloser>.
struct DirCloser {
  void operator()(DIR* dir) const;
};

// Throws storage::StorageError (kNotFound for ENOENT, else kIo) naming
// `what`, `path` and errno's text.
[[noreturn]] void fail_errno(const std::string& what, const std::string& path);
// write(2) until done (EINTR retried); throws like fail_errno.
void write_all(int fd, const char* data, size_t size, const std::string& path);

// These throw StorageError (a RuntimeError) with errno text on failure.
void fsync_path(const std::string& path);  // file or directory
// fsync_path() calls so far in this process (tests count directory syncs).
int64_t fsync_path_count();
void make_dirs(const std::string& path);  // mkdir -p
// mkdir -p where every level created is fsynced into its parent, so the
// directories survive a power cut.
void make_dirs_durable(const std::string& dir);
void write_file_synced(const std::string& path, const std::string& data);
std::string read_file(const std::string& path);
bool exists(const std::string& path);
int64_t file_size(const std::string& path);  // -1 if missing
// Names of the entries of `dir` (no "." / ".."); empty if `dir` is missing.
std::vector<std::string> list_dir(const std::string& dir);
// Paths (relative to `root`) of all regular files below `root`.
std::vector<std::string> list_files_recursive(const std::string& root);
// link(from, to): true on success, false if `to` exists; throws otherwise.
bool link_if_absent(const std::string& from, const std::string& to);
// rename(); false if `from` is missing (ENOENT), throws on other errors.
bool rename_path(const std::string& from, const std::string& to);
// unlink(); ignores ENOENT.
void remove_file(const std::string& path);
std::string parent_dir(const std::string& path);

// A fresh private directory under $TMPDIR (or /tmp) named "<name>-XXXXXX";
// it and the files directly in it are deleted on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace sluice::lakefs
