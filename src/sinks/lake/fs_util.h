// POSIX file helpers for the lake's crash-safe commit protocol: fsync of
// files and directories, mkdir -p, atomic create-if-absent publishing.
//
// Threading: stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::lakefs {

// Throws RuntimeError with errno text on failure.
void fsync_path(const std::string& path);  // file or directory
void make_dirs(const std::string& path);   // mkdir -p
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

}  // namespace sluice::lakefs
