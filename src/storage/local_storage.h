// Storage on a local directory (or any POSIX file system mounted there).
// Writes go to a temporary file in the target's directory, are fsynced and
// then renamed (put) or hard-linked (put_if_absent: link(2) fails with
// EEXIST, which makes it an atomic create-if-absent); new directories are
// fsynced into their parents, so a completed call survives a power cut.
// Temporary files are named ".sluice-tmp-*" and never listed.
//
// Threading: stateless apart from the root; safe from any thread.
#pragma once

#include <string>

#include "storage/storage.h"

namespace sluice::storage {

// Name prefix of LocalStorage's temporary files (`lake vacuum` sweeps those a
// killed write left behind).
inline constexpr const char* kLocalTmpPrefix = ".sluice-tmp-";

class LocalStorage : public Storage {
 public:
  explicit LocalStorage(std::string root);

  std::string url() const override { return root_; }
  std::optional<std::string> local_path(const std::string& key) const override;

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
  std::vector<size_t> move_all(
      const std::vector<std::pair<std::string, std::string>>& moves) override;

 private:
  std::string path_of(const std::string& key) const;
  // A synced temporary file next to `path` holding `data` (or a copy of `source`).
  std::string stage(const std::string& path, std::string_view data, const std::string* source);

  std::string root_;
};

}  // namespace sluice::storage
