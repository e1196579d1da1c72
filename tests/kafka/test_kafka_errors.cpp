// Error paths of the Kafka component: bad properties, error classification,
// fatal consumer errors, failed deliveries.
#include <gtest/gtest.h>

#include "core/error.h"
#include "kafka_test_util.h"
#include "sources/kafka/kafka_errors.h"
#include "sources/kafka/kafka_producer.h"

namespace sluice {
namespace {

template <typename F>
std::string runtime_error_of(F&& f) {
  try {
    f();
  } catch (const RuntimeError& e) {
    return e.what();
  }
  return "<no RuntimeError>";
}

TEST(KafkaErrors, UnknownConsumerPropertyIsNamed) {
  KafkaSourceConfig c;
  c.brokers = "127.0.0.1:1";
  c.topics = {"t"};
  c.group = "g";
  c.properties = {{"no.such.property", "1"}};
  std::string what = runtime_error_of([&] { KafkaSource s(c, nullptr); });
  EXPECT_NE(what.find("no.such.property"), std::string::npos) << what;
}

TEST(KafkaErrors, InvalidConsumerPropertyValueIsNamed) {
  KafkaSourceConfig c;
  c.brokers = "127.0.0.1:1";
  c.topics = {"t"};
  c.group = "g";
  c.properties = {{"session.timeout.ms", "soon"}};
  std::string what = runtime_error_of([&] { KafkaSource s(c, nullptr); });
  EXPECT_NE(what.find("session.timeout.ms"), std::string::npos) << what;
}

TEST(KafkaErrors, MissingTopicsOrGroupRejected) {
  KafkaSourceConfig c;
  c.brokers = "127.0.0.1:1";
  c.group = "g";
  EXPECT_THROW(KafkaSource(c, nullptr), RuntimeError);
  c.topics = {"t"};
  c.group = "";
  EXPECT_THROW(KafkaSource(c, nullptr), RuntimeError);
}

TEST(KafkaErrors, UnknownProducerPropertyIsNamed) {
  std::string what = runtime_error_of([] {
    KafkaProducer p("127.0.0.1:1", {{"bogus.setting", "x"}});
  });
  EXPECT_NE(what.find("bogus.setting"), std::string::npos) << what;
}

TEST(KafkaErrors, ClassifiesTransientAndPermanentCodes) {
  for (auto e : {RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
                 RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                 RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
                 RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
                 RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION}) {
    EXPECT_TRUE(is_retriable(e)) << rd_kafka_err2name(e);
  }
  for (auto e :
       {RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR__AUTHENTICATION,
        RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR__SSL,
        RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR_INVALID_GROUP_ID}) {
    EXPECT_FALSE(is_retriable(e)) << rd_kafka_err2name(e);
  }
  EXPECT_FALSE(is_retriable(static_cast<rd_kafka_resp_err_t>(12345)));
}

TEST(KafkaErrors, RateLimitedLogSuppressesRepeats) {
  RateLimitedLog log("test", std::chrono::hours(1));
  EXPECT_TRUE(log.log(RD_KAFKA_RESP_ERR__TRANSPORT, "first"));
  EXPECT_FALSE(log.log(RD_KAFKA_RESP_ERR__TRANSPORT, "again"));
  EXPECT_TRUE(log.log(RD_KAFKA_RESP_ERR__RESOLVE, "other code"));
}

TEST(KafkaErrors, StreamNamesRoundTrip) {
  std::string topic;
  int32_t partition = -1;
  ASSERT_TRUE(parse_kafka_stream(kafka_stream_name("a.b-c", 12), &topic, &partition));
  EXPECT_EQ(topic, "a.b-c");
  EXPECT_EQ(partition, 12);
  EXPECT_FALSE(parse_kafka_stream("nopartition", &topic, &partition));
  EXPECT_FALSE(parse_kafka_stream("t/x1", &topic, &partition));
  EXPECT_FALSE(parse_kafka_stream("t/", &topic, &partition));
  EXPECT_FALSE(parse_kafka_stream("file:/tmp/x", &topic, &partition));
}

TEST(KafkaErrors, TopicAuthorizationFailureIsFatal) {
  DevBroker broker;
  broker.create_topic("secret", 1);
  rd_kafka_mock_topic_set_error(broker.cluster(), "secret",
                                RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  KafkaSource source(kafka_test::source_config(broker, "secret", "g-secret"), nullptr);
  std::string what;
  auto deadline = std::chrono::steady_clock::now() + kafka_test::kDeadline;
  while (what.empty() && std::chrono::steady_clock::now() < deadline) {
    RawBatch batch;
    what = runtime_error_of([&] { source.poll(batch, 100); });
    if (what == "<no RuntimeError>") what.clear();
  }
  EXPECT_NE(what.find("TOPIC_AUTHORIZATION_FAILED"), std::string::npos) << what;
}

TEST(KafkaErrors, LookupFailureStopsThePoll) {
  DevBroker broker;
  broker.create_topic("lk", 1);
  kafka_test::PartitionProducer producer(broker.bootstraps());
  producer.produce("lk", 0, 0, 3);
  KafkaSource source(kafka_test::source_config(broker, "lk", "g-lk"),
                     [](const std::string&, int32_t) -> std::optional<int64_t> {
                       throw RuntimeError("commit log unreadable");
                     });
  std::string what;
  size_t delivered = 0;
  auto deadline = std::chrono::steady_clock::now() + kafka_test::kDeadline;
  while (what.empty() && std::chrono::steady_clock::now() < deadline) {
    RawBatch batch;
    what = runtime_error_of([&] { delivered += source.poll(batch, 100); });
    if (what == "<no RuntimeError>") what.clear();
  }
  EXPECT_NE(what.find("commit log unreadable"), std::string::npos) << what;
  EXPECT_EQ(delivered, 0u) << "nothing may be consumed without a start position";
  EXPECT_TRUE(source.assigned().empty());
}

TEST(KafkaErrors, UndeliverableMessagesAreCountedAsFailed) {
  DevBroker broker;
  broker.create_topic("down", 1);
  broker.set_broker_down(-1, true);
  KafkaProducer producer(broker.bootstraps(), {{"message.timeout.ms", "300"}});
  for (int i = 0; i < 5; ++i) producer.produce("down", "x");
  producer.flush(20000);
  EXPECT_EQ(producer.failed(), 5);
  EXPECT_EQ(producer.delivered(), 0);
}

}  // namespace
}  // namespace sluice
