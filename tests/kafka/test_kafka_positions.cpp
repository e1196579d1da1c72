// KafkaSource when the lake's position does not fit the partition: beyond the
// high watermark (topic recreated), below the low watermark (retention), equal
// to it (caught up), and a spurious out-of-range answer from the broker.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/error.h"
#include "kafka_test_util.h"

namespace sluice {
namespace {

using kafka_test::Collector;
using kafka_test::PartitionProducer;
using kafka_test::poll_until;
using kafka_test::range;
using kafka_test::source_config;

constexpr int16_t kFetchApiKey = 1;

// Polls until poll() throws RuntimeError (returning its message) or the deadline passes (nullopt).
std::optional<std::string> poll_until_error(KafkaSource& source, size_t* delivered = nullptr) {
  auto deadline = std::chrono::steady_clock::now() + kafka_test::kDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    RawBatch batch;
    try {
      source.poll(batch, 100);
    } catch (const RuntimeError& e) {
      return std::string(e.what());
    }
    if (delivered) *delivered += batch.records.size();
  }
  return std::nullopt;
}

PositionLookup fixed_position(int64_t offset) {
  return [offset](const std::string&, int32_t) -> std::optional<int64_t> { return offset; };
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "missing '" << part << "' in: " << text;
}

// The lake committed offset 100 of a topic that now (recreated) holds 10 messages.
TEST(KafkaPositions, PositionBeyondHighWatermarkThrowsNamingTopicPartitionAndOffsets) {
  DevBroker broker;
  broker.create_topic("recreated", 1);
  PartitionProducer producer(broker.bootstraps());
  producer.produce("recreated", 0, 0, 10);

  KafkaSource source(source_config(broker, "recreated", "g-recreated"), fixed_position(100));
  size_t delivered = 0;
  std::optional<std::string> error = poll_until_error(source, &delivered);
  ASSERT_TRUE(error.has_value()) << "poll() must fail instead of waiting forever";
  expect_contains(*error, "topic 'recreated' partition 0");
  expect_contains(*error, "next offset is 100");
  expect_contains(*error, "high watermark 10");
  expect_contains(*error, "low watermark 0");
  expect_contains(*error, "recreated, or truncated");
  expect_contains(*error, "new lake table");
  EXPECT_EQ(delivered, 0u) << "nothing below the lake's position may be delivered";
}

// Same, with the user's auto.offset.reset=earliest: librdkafka resets silently and re-delivers
// offsets below the lake's position, which must make poll() check and fail, not drop forever.
TEST(KafkaPositions, PositionBeyondHighWatermarkThrowsEvenWithAutoOffsetResetEarliest) {
  DevBroker broker;
  broker.create_topic("reset", 1);
  PartitionProducer producer(broker.bootstraps());
  producer.produce("reset", 0, 0, 10);

  KafkaSourceConfig config = source_config(broker, "reset", "g-reset");
  config.properties["auto.offset.reset"] = "earliest";
  KafkaSource source(config, fixed_position(100));
  size_t delivered = 0;
  std::optional<std::string> error = poll_until_error(source, &delivered);
  ASSERT_TRUE(error.has_value()) << "poll() must fail instead of dropping records forever";
  expect_contains(*error, "topic 'reset' partition 0");
  expect_contains(*error, "next offset is 100");
  expect_contains(*error, "high watermark 10");
  EXPECT_EQ(delivered, 0u);
}

// A position equal to the high watermark is a fully caught-up lake, not an error.
TEST(KafkaPositions, PositionAtHighWatermarkWaitsForNewMessages) {
  DevBroker broker;
  broker.create_topic("caught-up", 2);
  PartitionProducer producer(broker.bootstraps());
  producer.produce("caught-up", 0, 0, 10);
  producer.produce("caught-up", 1, 0, 4);

  PositionLookup lookup = [](const std::string&, int32_t partition) -> std::optional<int64_t> {
    return partition == 0 ? 10 : 4;
  };
  KafkaSource source(source_config(broker, "caught-up", "g-caught-up"), lookup);
  Collector c;
  // Assigned and fetching at the end of both partitions: polls return nothing and do not throw.
  ASSERT_TRUE(poll_until(source, c, [&] { return source.lag().size() == 2; }));
  for (int i = 0; i < 5; ++i) {
    RawBatch batch;
    ASSERT_NO_THROW(source.poll(batch, 50));
    c.take(batch);
  }
  EXPECT_EQ(c.total, 0u);
  for (const auto& [stream, lag] : source.lag()) EXPECT_EQ(lag, 0) << stream;

  producer.produce("caught-up", 0, 10, 5);
  producer.produce("caught-up", 1, 4, 3);
  ASSERT_TRUE(poll_until(source, c, [&] { return c.total >= 8; }));
  EXPECT_EQ(c.total, 8u);
  EXPECT_EQ(c.offsets["caught-up/0"], range(10, 15));
  EXPECT_EQ(c.offsets["caught-up/1"], range(4, 7));
  EXPECT_EQ(c.payloads["caught-up/0"].front(), "caught-up/0:10");
}

// Retention (the mock cluster keeps about 5 MB per partition) deleted offsets the lake never
// read: data loss is an error that says how many offsets are gone.
TEST(KafkaPositions, PositionBelowLowWatermarkThrowsDataLoss) {
  DevBroker broker;
  broker.create_topic("retained", 1);
  PartitionProducer producer(broker.bootstraps());
  const std::string big(200 * 1024, 'x');
  for (int i = 0; i < 40; ++i) {  // 8 MB in batches
    ASSERT_EQ(rd_kafka_producev(producer.handle(), RD_KAFKA_V_TOPIC("retained"),
                                RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_VALUE(const_cast<char*>(big.data()), big.size()),
                                RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_flush(producer.handle(), 20000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  int64_t low = -1, high = -1;
  ASSERT_EQ(rd_kafka_query_watermark_offsets(producer.handle(), "retained", 0, &low, &high, 10000),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(high, 40);
  ASSERT_GT(low, 2) << "the mock cluster's retention must have deleted the first messages";

  KafkaSource source(source_config(broker, "retained", "g-retained"), fixed_position(2));
  std::optional<std::string> error = poll_until_error(source);
  ASSERT_TRUE(error.has_value());
  expect_contains(*error, "topic 'retained' partition 0");
  expect_contains(*error, "next offset is 2 ");
  expect_contains(*error, "low watermark " + std::to_string(low));
  expect_contains(*error, "high watermark 40");
  expect_contains(*error, std::to_string(low - 2) + " offsets (2.." + std::to_string(low - 1) +
                              ") were deleted by retention");
  expect_contains(*error, "data loss");
}

// A broker may answer OFFSET_OUT_OF_RANGE for a valid position (a leader that is behind): the
// source re-checks the watermarks, resumes at the same position, and loses or repeats nothing.
TEST(KafkaPositions, SpuriousOffsetOutOfRangeResumesAtTheSamePosition) {
  DevBroker broker;
  broker.create_topic("spurious", 2);
  PartitionProducer producer(broker.bootstraps());
  producer.produce("spurious", 0, 0, 30);
  producer.produce("spurious", 1, 0, 20);

  // Fetch requests carry both partitions: each gets the error, twice.
  broker.push_broker_request_errors(
      1, kFetchApiKey,
      {RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE});
  PositionLookup lookup = [](const std::string&, int32_t partition) -> std::optional<int64_t> {
    if (partition == 0) return 10;
    return std::nullopt;  // from the earliest offset
  };
  KafkaSource source(source_config(broker, "spurious", "g-spurious"), lookup);
  Collector c;
  ASSERT_TRUE(poll_until(source, c, [&] { return c.total >= 40; }));
  EXPECT_EQ(broker.broker_error_stack_size(1, kFetchApiKey), 0u)
      << "the injected errors reached the consumer";
  producer.produce("spurious", 0, 30, 5);
  ASSERT_TRUE(poll_until(source, c, [&] { return c.total >= 45; }));
  EXPECT_EQ(c.total, 45u);
  EXPECT_EQ(c.offsets["spurious/0"], range(10, 35));
  EXPECT_EQ(c.offsets["spurious/1"], range(0, 20));
}

}  // namespace
}  // namespace sluice
