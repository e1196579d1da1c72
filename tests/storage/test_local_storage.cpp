// The conformance suite on a local directory, plus what only the local
// implementation has: keys that would leave the root are refused, and
// temporary files never show in a listing.
#include <gtest/gtest.h>

#include <filesystem>

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
