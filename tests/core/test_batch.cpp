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
