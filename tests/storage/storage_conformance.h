// One behaviour suite for every Storage implementation: the local directory
// (test_local_storage.cpp) and S3 against a real RADOS Gateway
// (test_s3_rgw.cpp) must pass the same checks.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "storage/storage.h"

namespace sluice::testsupport {

inline std::string pattern_bytes(size_t n, unsigned seed) {
  std::string s(n, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull * (seed + 1);
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = static_cast<char>(x & 0xff);
  }
  return s;
}

inline void conformance_put_get_head_delete(storage::Storage& s) {
  using storage::StorageErrorKind;
  const std::string key = "t/year=2026/month=01/a b+c=d.txt";
  EXPECT_FALSE(s.head(key));
  s.put(key, "hello world");
  EXPECT_EQ(s.get(key), "hello world");
  auto info = s.head(key);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 11);
  EXPECT_EQ(s.get_range(key, 6, 5), "world");
  EXPECT_EQ(s.get_range(key, 6, 100), "world");  // clipped at the end
  s.put(key, "replaced");
  EXPECT_EQ(s.get(key), "replaced");
  s.remove(key);
  EXPECT_FALSE(s.head(key));
  s.remove(key);  // idempotent
  try {
    s.get(key);
    FAIL() << "get of a missing key did not throw";
  } catch (const storage::StorageError& e) {
    EXPECT_EQ(e.kind(), StorageErrorKind::kNotFound) << e.what();
  }
  EXPECT_FALSE(storage::get_if_exists(s, key));
  // Binary content and an empty object survive unchanged.
  const std::string bin = pattern_bytes(100000, 1);
  s.put("t/bin", bin);
  EXPECT_EQ(s.get("t/bin"), bin);
  s.put("t/empty", "");
  EXPECT_EQ(s.get("t/empty"), "");
  ASSERT_TRUE(s.head("t/empty"));
  EXPECT_EQ(s.head("t/empty")->size, 0);
}

inline void conformance_list(storage::Storage& s) {
  std::vector<std::string> keys;
  for (int i = 0; i < 1205; ++i)
    keys.push_back("l/p=" + std::to_string(i % 3) + "/f" + std::to_string(i));
  // Put in parallel: the listing has over one page (1000 keys).
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&]() {
      for (size_t i; (i = next.fetch_add(1)) < keys.size();) s.put(keys[i], keys[i]);
    });
  }
  for (auto& t : threads) t.join();
  s.put("lx/other", "x");
  auto all = storage::list_all(s, "l/");
  std::vector<std::string> got;
  for (const auto& o : all) got.push_back(o.key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(got, keys);  // complete, in key order, nothing outside the prefix
  auto p1 = storage::list_all(s, "l/p=1/");
  EXPECT_EQ(p1.size(), 402u);
  for (const auto& o : p1) EXPECT_EQ(o.size, static_cast<int64_t>(o.key.size()));
  EXPECT_TRUE(storage::list_all(s, "nothing/").empty());
  // Directories: right under the root, and right under "l" (no files, no
  // deeper levels, no partial name matches).
  const std::vector<std::string> root = s.list_dirs("");
  EXPECT_TRUE(std::count(root.begin(), root.end(), "l") == 1 &&
              std::count(root.begin(), root.end(), "lx") == 1)
      << "root dirs: " << root.size();
  EXPECT_EQ(s.list_dirs("l"), (std::vector<std::string>{"p=0", "p=1", "p=2"}));
  EXPECT_TRUE(s.list_dirs("l/p=1").empty());
  EXPECT_TRUE(s.list_dirs("nothing").empty());
}

inline void conformance_put_if_absent(storage::Storage& s) {
  EXPECT_TRUE(s.put_if_absent("c/log/1.json", "first"));
  EXPECT_FALSE(s.put_if_absent("c/log/1.json", "second"));
  EXPECT_EQ(s.get("c/log/1.json"), "first");
  // Exactly one of ten concurrent creators wins, and its bytes are stored.
  std::atomic<int> wins{0};
  std::atomic<int> winner{-1};
  std::vector<std::thread> threads;
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&, t]() {
      if (s.put_if_absent("c/log/2.json", "writer " + std::to_string(t))) {
        wins++;
        winner = t;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(s.get("c/log/2.json"), "writer " + std::to_string(winner.load()));
}

// move_all: every pair moved in order, a missing source reported by index.
inline void conformance_move_all(storage::Storage& s) {
  s.put("stage/a", "A");
  s.put("stage/b", "B");
  s.put("stage/c", "C");
  const std::vector<std::pair<std::string, std::string>> moves = {
      {"stage/a", "p=1/a"}, {"stage/missing", "p=1/m"}, {"stage/b", "p=1/b"}, {"stage/c", "p=2/c"}};
  EXPECT_EQ(s.move_all(moves), std::vector<size_t>{1});
  EXPECT_EQ(s.get("p=1/a"), "A");
  EXPECT_EQ(s.get("p=1/b"), "B");
  EXPECT_EQ(s.get("p=2/c"), "C");
  EXPECT_FALSE(s.head("p=1/m"));
  for (const char* key : {"stage/a", "stage/b", "stage/c"}) EXPECT_FALSE(s.head(key)) << key;
  EXPECT_TRUE(s.move_all({}).empty());
}

inline void conformance_files_and_copy(storage::Storage& s, const std::string& scratch_dir) {
  const std::string src = scratch_dir + "/upload.bin";
  const std::string data = pattern_bytes(3 << 20, 7);
  {
    std::ofstream out(src, std::ios::binary);
    out << data;
  }
  s.put_file("f/up.bin", src);
  EXPECT_EQ(s.head("f/up.bin")->size, static_cast<int64_t>(data.size()));
  const std::string down = scratch_dir + "/download.bin";
  s.get_to_file("f/up.bin", down);
  std::ifstream in(down, std::ios::binary);
  std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(back == data);
  s.copy("f/up.bin", "f/copy.bin");
  EXPECT_TRUE(s.get("f/copy.bin") == data);
  EXPECT_TRUE(s.get("f/up.bin") == data);  // the source stays
  s.move("f/copy.bin", "f/sub/moved.bin");
  EXPECT_FALSE(s.head("f/copy.bin"));
  EXPECT_TRUE(s.get("f/sub/moved.bin") == data);
  try {
    s.move("f/copy.bin", "f/again.bin");
    FAIL() << "move of a missing key did not throw";
  } catch (const storage::StorageError& e) {
    EXPECT_EQ(e.kind(), storage::StorageErrorKind::kNotFound) << e.what();
  }
  try {
    s.get_to_file("f/missing", down + ".2");
    FAIL() << "download of a missing key did not throw";
  } catch (const storage::StorageError& e) {
    EXPECT_EQ(e.kind(), storage::StorageErrorKind::kNotFound) << e.what();
  }
}

}  // namespace sluice::testsupport
