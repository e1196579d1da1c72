// A large generated batch: counts and values stay right at 100k records, and
// the parser can be reused across batches (nothing accumulates between them).
#include <gtest/gtest.h>

#include <string>

#include "test_schemas.h"
#include "test_util.h"
#include "transforms/parse/parser.h"

namespace sluice {
namespace {

std::string clickstream_record(int i) {
  std::string s = "{\"session_id\":\"s" + std::to_string(i) + "\",\"page_url\":\"/p" +
                  std::to_string(i % 97) + "\",\"timestamp\":" + std::to_string(1714564800000 + i) +
                  ",\"TTI\":" + std::to_string(i % 1000) + ".5,\"TTAR\":12.25,\"user_actions\":[";
  const int actions = i % 4;
  for (int a = 0; a < actions; ++a) {
    if (a) s += ',';
    s += "{\"action\":\"click\",\"target\":\"t" + std::to_string(a) +
         "\",\"time\":" + std::to_string(1714564800000 + i + a) + "}";
  }
  s += "]}";
  if (i % 50 == 49) s = "{\"page_url\":\"/missing-session\",\"timestamp\":1}";  // reject
  return s;
}

TEST(Scale, HundredThousandRecords) {
  constexpr int kRecords = 100000;
  Parser parser(testing::clickstream_schema(), testing::clickstream_transforms(), LimitsConfig{});
  RawBatch in;
  const uint32_t stream = in.stream_id("gen");
  int64_t expected_rows = 0;
  int64_t expected_rejects = 0;
  for (int i = 0; i < kRecords; ++i) {
    in.add(clickstream_record(i), stream, i);
    if (i % 50 == 49) {
      ++expected_rejects;
    } else {
      expected_rows += std::max(1, i % 4);
    }
  }
  for (int round = 0; round < 2; ++round) {
    RecordBatch out(parser.output_schema());
    std::vector<Reject> rejects;
    ParseStats stats;
    parser.process(in, out, rejects, stats, 42);
    EXPECT_EQ(stats.records_in, kRecords);
    EXPECT_EQ(stats.records_rejected, expected_rejects);
    EXPECT_EQ(stats.records_accepted + stats.records_rejected, stats.records_in);
    EXPECT_EQ(stats.rows_out, expected_rows);
    ASSERT_EQ(static_cast<int64_t>(out.rows()), expected_rows);
    ASSERT_EQ(static_cast<int64_t>(rejects.size()), expected_rejects);
    EXPECT_EQ(rejects.back().record_index, static_cast<uint32_t>(kRecords - 1));
    EXPECT_EQ(rejects.back().field, "session_id");
    // Last accepted record is i = 99998 (2 actions): its rows end the batch.
    const size_t last = out.rows() - 1;
    EXPECT_EQ(out.columns[out.column_index("session_id")].string_at(last), "s99998");
    EXPECT_EQ(out.columns[out.column_index("target")].string_at(last), "t1");
    EXPECT_EQ(out.columns[out.column_index("action_index")].int32_at(last), 1);
    EXPECT_EQ(out.columns[out.column_index("TTI")].double_at(last), 998.5);
    EXPECT_EQ(out.columns[out.column_index("timestamp")].int64_at(last),
              (1714564800000 + 99998) * 1000);
    EXPECT_EQ(out.columns[out.column_index("ingest_timestamp")].int64_at(last), 42);
  }
}

}  // namespace
}  // namespace sluice
