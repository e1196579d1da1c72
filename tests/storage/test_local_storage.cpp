// The conformance suite on a local directory, plus what only the local
// implementation has: keys that would leave the root are refused, and
// temporary files never show in a listing.
#include <gtest/gtest.h>

#include <filesystem>

#include "storage/fs_util.h"
#include "storage/local_storage.h"
#include "storage_conformance.h"
#include "support/temp_dir.h"

namespace sluice {
namespace {

using storage::LocalStorage;
using storage::StorageError;
using storage::StorageErrorKind;

TEST(LocalStorage, PutGetHeadDelete) {
  testsupport::TempDir dir;
  LocalStorage s(dir.path() + "/root");
  testsupport::conformance_put_get_head_delete(s);
}

TEST(LocalStorage, ListsEveryKeyInOrder) {
  testsupport::TempDir dir;
  LocalStorage s(dir.path());
  testsupport::conformance_list(s);
}

TEST(LocalStorage, PutIfAbsentHasOneWinner) {
  testsupport::TempDir dir;
  LocalStorage s(dir.path());
  testsupport::conformance_put_if_absent(s);
}

TEST(LocalStorage, FilesAndCopy) {
  testsupport::TempDir dir;
  LocalStorage s(dir.path() + "/root");
  testsupport::conformance_files_and_copy(s, dir.path());
}

TEST(LocalStorage, MoveAll) {
  testsupport::TempDir dir;
  LocalStorage s(dir.path() + "/root");
  testsupport::conformance_move_all(s);
}

// A commit's moves cost one fsync per directory involved, not two per file:
// 8 staged files into 2 existing partition directories are 3 directory
// fsyncs (the staging directory and the two partitions).
TEST(LocalStorage, MoveAllSyncsEachDirectoryOnce) {
  testsupport::TempDir dir;
  LocalStorage s(dir.path());
  std::vector<std::pair<std::string, std::string>> moves;
  for (int i = 0; i < 8; ++i) {
    const std::string name = "f" + std::to_string(i);
    s.put("_staging/" + name, name);
    moves.emplace_back("_staging/" + name, (i % 2 ? "p=1/" : "p=2/") + name);
  }
  s.put("p=1/old", "x");
  s.put("p=2/old", "x");
  const int64_t before = lakefs::fsync_path_count();
  EXPECT_TRUE(s.move_all(moves).empty());
  EXPECT_EQ(lakefs::fsync_path_count() - before, 3);
  // One at a time: two per file.
  for (auto& [from, to] : moves) std::swap(from, to);
  const int64_t one_by_one = lakefs::fsync_path_count();
  for (const auto& [from, to] : moves) s.move(from, to);
  EXPECT_EQ(lakefs::fsync_path_count() - one_by_one, 16);
}

TEST(LocalStorage, RefusesKeysOutsideTheRoot) {
  testsupport::TempDir dir;
  LocalStorage s(dir.path() + "/root");
  for (const char* key : {"../x", "a/../../x", "/etc/passwd", "a//b", "", "a/./b", "a/"}) {
    try {
      s.put(key, "x");
      FAIL() << "accepted key " << key;
    } catch (const StorageError& e) {
      EXPECT_EQ(e.kind(), StorageErrorKind::kInvalid) << key;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/x"));
}

TEST(LocalStorage, TemporaryFilesAreNotListed) {
  testsupport::TempDir dir;
  LocalStorage s(dir.path());
  s.put("a/b", "1");
  testsupport::write_file(dir.path() + "/a/.sluice-tmp-left-by-a-crash", "partial");
  auto all = storage::list_all(s, "a/");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].key, "a/b");
  EXPECT_EQ(s.local_path("a/b"), dir.path() + "/a/b");
}

}  // namespace
}  // namespace sluice
