// KafkaSource under injected faults: brokers going down and coming back,
// request errors on Fetch. Consumption must resume with nothing lost or repeated.
#include <gtest/gtest.h>

#include "kafka_test_util.h"

namespace sluice {
namespace {

using kafka_test::Collector;
using kafka_test::PartitionProducer;
using kafka_test::poll_until;
using kafka_test::range;
using kafka_test::source_config;

constexpr int16_t kFetchApiKey = 1;

TEST(KafkaFaults, BrokerDownAndBackLosesAndRepeatsNothing) {
  DevBroker broker(0, 3);
  broker.create_topic("flaky", 3);
  PartitionProducer producer(broker.bootstraps());
  for (int p = 0; p < 3; ++p) producer.produce("flaky", p, 0, 100);

  Collector c;
  KafkaSource source(source_config(broker, "flaky", "g-flaky"), c.lookup());
  ASSERT_TRUE(poll_until(source, c, [&] { return c.total >= 30; }));

  broker.set_broker_down(-1, true);
  // Keep polling while every broker is unreachable: transient errors must not throw.
  for (int i = 0; i < 15; ++i) {
    RawBatch batch;
    ASSERT_NO_THROW(source.poll(batch, 100));
    c.take(batch);
  }
  broker.set_broker_down(-1, false);

  for (int p = 0; p < 3; ++p) producer.produce("flaky", p, 100, 20);
  ASSERT_TRUE(poll_until(source, c, [&] { return c.total >= 360; }));
  EXPECT_EQ(c.total, 360u);
  for (int p = 0; p < 3; ++p) {
    std::string stream = "flaky/" + std::to_string(p);
    EXPECT_EQ(c.offsets[stream], range(0, 120)) << stream;
  }
}

TEST(KafkaFaults, FetchRequestErrorsAreRetriedTransparently) {
  DevBroker broker(0, 1);
  broker.create_topic("retry", 2);
  PartitionProducer producer(broker.bootstraps());
  for (int p = 0; p < 2; ++p) producer.produce("retry", p, 0, 50);

  broker.push_broker_request_errors(
      1, kFetchApiKey,
      {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
       RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT});
  broker.push_request_errors(
      kFetchApiKey, {RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE});
  ASSERT_EQ(broker.broker_error_stack_size(1, kFetchApiKey), 4u);

  Collector c;
  KafkaSource source(source_config(broker, "retry", "g-retry"), c.lookup());
  ASSERT_TRUE(poll_until(source, c, [&] { return c.total >= 100; }));
  EXPECT_EQ(broker.broker_error_stack_size(1, kFetchApiKey), 0u)
      << "every injected Fetch error was returned to the consumer";

  producer.produce("retry", 0, 50, 10);
  ASSERT_TRUE(poll_until(source, c, [&] { return c.total >= 110; }));
  EXPECT_EQ(c.total, 110u);
  EXPECT_EQ(c.offsets["retry/0"], range(0, 60));
  EXPECT_EQ(c.offsets["retry/1"], range(0, 50));
}

}  // namespace
}  // namespace sluice
