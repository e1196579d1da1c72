// KafkaProducer against the mock cluster: delivery counts, keys spread over
// partitions, and the messages read back by KafkaSource.
#include <gtest/gtest.h>

#include "kafka_test_util.h"
#include "sources/kafka/kafka_producer.h"

namespace sluice {
namespace {

TEST(KafkaProducer, DeliversAndCountsEveryMessage) {
  DevBroker broker;
  broker.create_topic("out", 3);
  KafkaProducer producer(broker.bootstraps(), {});
  for (int i = 0; i < 300; ++i) {
    producer.produce("out", "event-" + std::to_string(i), "key-" + std::to_string(i));
  }
  producer.flush(20000);
  EXPECT_EQ(producer.delivered(), 300);
  EXPECT_EQ(producer.failed(), 0);

  kafka_test::Collector c;
  KafkaSource source(kafka_test::source_config(broker, "out", "g-out"), nullptr);
  ASSERT_TRUE(kafka_test::poll_until(source, c, [&] { return c.total >= 300; }));
  EXPECT_EQ(c.total, 300u);
  std::set<std::string> payloads;
  for (const auto& [stream, list] : c.payloads) {
    EXPECT_FALSE(list.empty()) << "keys spread over every partition";
    payloads.insert(list.begin(), list.end());
  }
  EXPECT_EQ(c.payloads.size(), 3u);
  EXPECT_EQ(payloads.size(), 300u);
  EXPECT_TRUE(payloads.count("event-299"));
}

TEST(KafkaProducer, BlocksInsteadOfFailingWhenTheLocalQueueIsFull) {
  DevBroker broker;
  broker.create_topic("small", 1);
  KafkaProducer producer(broker.bootstraps(), {{"queue.buffering.max.messages", "10"}});
  for (int i = 0; i < 200; ++i) producer.produce("small", "m" + std::to_string(i));
  producer.flush(20000);
  EXPECT_EQ(producer.delivered(), 200);
}

}  // namespace
}  // namespace sluice
