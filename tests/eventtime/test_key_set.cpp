// KeySet against std::unordered_set: random inserts and erases (in random
// order, so probe runs are shifted back across the table's wrap-around),
// and arena chunks freed once their keys are gone.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "transforms/eventtime/key_set.h"

namespace sluice {
namespace {

TEST(KeySet, MatchesAReferenceSetUnderRandomInsertsAndErases) {
  KeySet set;
  std::unordered_map<std::string, const KeySet::Key*> ref;
  std::mt19937_64 rng(7);
  std::vector<std::string> live;
  for (int step = 0; step < 200000; ++step) {
    const bool erase = !live.empty() && rng() % 3 == 0;
    if (erase) {
      size_t at = rng() % live.size();
      std::string key = live[at];
      live[at] = live.back();
      live.pop_back();
      set.erase(ref.at(key));
      ref.erase(key);
      ASSERT_FALSE(set.contains(key)) << key;
    } else {
      // Keys of 0..60 bytes from a small space, so repeats happen.
      std::string key = "k" + std::to_string(rng() % 50000);
      key.append(rng() % 50, 'x');
      auto [stored, inserted] = set.insert(key);
      ASSERT_EQ(inserted, !ref.count(key)) << key;
      if (inserted) {
        ref[key] = stored;
        live.push_back(key);
      } else {
        ASSERT_EQ(stored, ref.at(key));
      }
    }
    ASSERT_EQ(set.size(), ref.size());
  }
  for (const auto& [key, stored] : ref) ASSERT_TRUE(set.contains(key)) << key;
  ASSERT_FALSE(set.contains("absent"));
  ASSERT_TRUE(set.insert("").second);  // the empty key is a key too
  ASSERT_FALSE(set.insert("").second);
}

TEST(KeySet, ErasingInInsertionOrderFreesTheArena) {
  KeySet set;
  std::vector<const KeySet::Key*> keys;
  for (int i = 0; i < 100000; ++i)
    keys.push_back(set.insert(std::string(40, 'a') + std::to_string(i)).first);
  EXPECT_GE(set.arena_bytes(), size_t{5} << 20);  // 100k entries of 56 bytes
  for (size_t i = 0; i + 1000 < keys.size(); ++i) set.erase(keys[i]);
  EXPECT_EQ(set.size(), 1000u);
  // The chunks whose keys are all gone are freed: one or two remain.
  EXPECT_LE(set.arena_bytes(), size_t{2} << 20);
  for (size_t i = keys.size() - 1000; i < keys.size(); ++i) {
    EXPECT_TRUE(set.contains(std::string(40, 'a') + std::to_string(i)));
  }
}

}  // namespace
}  // namespace sluice
