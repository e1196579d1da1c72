#include <gtest/gtest.h>

#include "core/batch.h"
#include "core/record.h"

namespace sluice {

TEST(Batch, ColumnsKeepValuesAndNulls) {
  OutputSchema schema{{"s", ColumnType::kString}, {"i", ColumnType::kInt64}};
  RecordBatch b(schema);
  b.columns[0].push_string("alpha");
  b.columns[1].push_int64(42);
  b.columns[0].push_null();
  b.columns[1].push_null();
  ASSERT_EQ(b.rows(), 2u);
  EXPECT_EQ(b.columns[0].string_at(0), "alpha");
  EXPECT_EQ(b.columns[1].int64_at(0), 42);
  EXPECT_TRUE(b.columns[0].is_null(1));
  EXPECT_EQ(b.columns[0].string_at(1), "");
  RecordBatch copy(schema);
  copy.append_row(b, 0);
  EXPECT_EQ(copy.columns[0].string_at(0), "alpha");
  EXPECT_EQ(b.column_index("i"), 1);
  EXPECT_EQ(b.column_index("missing"), -1);
}

TEST(Batch, AppendRangeCopiesRowsAndNulls) {
  OutputSchema schema{{"s", ColumnType::kString}, {"d", ColumnType::kDouble}};
  RecordBatch src(schema);
  for (int i = 0; i < 6; ++i) {
    if (i == 3) {
      src.columns[0].push_null();
      src.columns[1].push_null();
    } else {
      src.columns[0].push_string("v" + std::to_string(i));
      src.columns[1].push_double(i * 1.5);
    }
  }
  RecordBatch dst(schema);
  dst.append_row(src, 0);
  dst.append_range(src, 2, 5);  // rows 2, 3 (null), 4
  dst.append_range(src, 5, 5);  // empty range
  ASSERT_EQ(dst.rows(), 4u);
  EXPECT_EQ(dst.columns[0].string_at(0), "v0");
  EXPECT_EQ(dst.columns[0].string_at(1), "v2");
  EXPECT_TRUE(dst.columns[0].is_null(2));
  EXPECT_TRUE(dst.columns[1].is_null(2));
  EXPECT_EQ(dst.columns[0].string_at(3), "v4");
  EXPECT_DOUBLE_EQ(dst.columns[1].double_at(3), 6.0);
}

TEST(RawBatch, ArenaAndStreams) {
  RawBatch raw;
  uint32_t a = raw.stream_id("t/0");
  uint32_t b = raw.stream_id("t/1");
  EXPECT_EQ(raw.stream_id("t/0"), a);
  raw.add("{\"x\":1}", a, 7);
  raw.add("{}", b, 9);
  EXPECT_EQ(raw.bytes(raw.records[0]), "{\"x\":1}");
  EXPECT_EQ(describe_position(raw, raw.records[1].position), "t/1@9");
}

}  // namespace sluice
