#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>

#include "core/batch.h"
#include "core/raw_array.h"

namespace sluice {

TEST(RawArray, PushAppendFillAndGrowKeepValues) {
  RawArray<uint32_t> a;
  for (uint32_t i = 0; i < 5000; ++i) a.push_back(i);
  const uint32_t more[3] = {7, 8, 9};
  a.append(more, 3);
  a.append_fill(4, 2);
  ASSERT_EQ(a.size(), 5005u);
  for (uint32_t i = 0; i < 5000; ++i) ASSERT_EQ(a[i], i);
  EXPECT_EQ(a[5000], 7u);
  EXPECT_EQ(a[5002], 9u);
  EXPECT_EQ(a[5003], 4u);
  EXPECT_EQ(a.back(), 4u);
  EXPECT_GE(a.capacity(), a.size());
}

TEST(RawArray, ReserveIsExactAndClearKeepsCapacity) {
  RawArray<uint8_t> a;
  a.reserve(100);
  EXPECT_EQ(a.capacity(), 100u);
  EXPECT_EQ(a.size(), 0u);
  a.resize(100);
  a.clear();
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.capacity(), 100u);
}

TEST(RawArray, CopiesAreDeepAndMovesTakeTheStorage) {
  RawArray<char> a;
  a.append("hello", 5);
  RawArray<char> b(a);
  b[0] = 'j';
  EXPECT_EQ(std::string_view(a.data(), a.size()), "hello");
  EXPECT_EQ(std::string_view(b.data(), b.size()), "jello");
  RawArray<char> c;
  c = b;
  RawArray<char>& alias = c;
  c = alias;  // self-assignment keeps the contents
  EXPECT_EQ(std::string_view(c.data(), c.size()), "jello");
  RawArray<char> d(std::move(c));
  EXPECT_EQ(std::string_view(d.data(), d.size()), "jello");
  EXPECT_EQ(c.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  RawArray<char> e;
  e = std::move(d);
  EXPECT_EQ(std::string_view(e.data(), e.size()), "jello");
}

TEST(Batch, ReserveMoreKeepsRowsAndMakesRoomWithoutRows) {
  OutputSchema schema{{"s", ColumnType::kString}, {"i", ColumnType::kInt64}};
  RecordBatch b(schema);
  b.columns[0].push_string("x");
  b.columns[1].push_int64(1);
  b.columns[0].reserve_more(1000, 5000);
  b.columns[1].reserve_more(1000, 0);
  EXPECT_EQ(b.rows(), 1u);
  EXPECT_EQ(b.columns[0].string_at(0), "x");
  EXPECT_EQ(b.columns[1].int64_at(0), 1);
  // valid (1001) + offsets (1002 * 4) + chars (5001), and valid + 8 bytes per row.
  EXPECT_GE(b.columns[0].capacity_bytes(), 1001u + 1002u * 4 + 5001u);
  EXPECT_GE(b.columns[1].capacity_bytes(), 1001u + 1001u * 8);
  // A copied batch is independent of its source.
  RecordBatch copy = b;
  copy.columns[0].push_string("y");
  EXPECT_EQ(b.rows(), 1u);
  EXPECT_EQ(copy.columns[0].string_at(1), "y");
}

}  // namespace sluice
