// KafkaSource against the in-process mock cluster: delivery, positions,
// seeking, lag, group rebalances.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "kafka_test_util.h"

namespace sluice {
namespace {

using kafka_test::Collector;
using kafka_test::PartitionProducer;
using kafka_test::poll_until;
using kafka_test::range;
using kafka_test::source_config;

TEST(KafkaSource, ConsumesEveryPartitionWithStreamNamesAndOffsets) {
  DevBroker broker;
  broker.create_topic("events", 3);
  PartitionProducer producer(broker.bootstraps());
  const int counts[3] = {30, 40, 50};
  for (int p = 0; p < 3; ++p) producer.produce("events", p, 0, counts[p]);

  KafkaSource source(source_config(broker, "events", "g-all"), nullptr);
  Collector c;
  ASSERT_TRUE(poll_until(source, c, [&] { return c.total >= 120; }));
  EXPECT_EQ(c.total, 120u);
  for (int p = 0; p < 3; ++p) {
    std::string stream = "events/" + std::to_string(p);
    EXPECT_EQ(c.offsets[stream], range(0, counts[p])) << stream;
    ASSERT_EQ(c.payloads[stream].size(), static_cast<size_t>(counts[p]));
    EXPECT_EQ(c.payloads[stream][7], stream + ":7");
    EXPECT_EQ(c.committed[stream], counts[p]);
  }
  EXPECT_EQ(source.assigned(), (std::vector<std::string>{"events/0", "events/1", "events/2"}));

  // Nothing is left: lag is zero once the watermarks are known.
  std::map<std::string, int64_t> lag;
  ASSERT_TRUE(poll_until(source, c, [&] {
    lag = source.lag();
    return lag.size() == 3;
  }));
  for (const auto& [stream, l] : lag) EXPECT_EQ(l, 0) << stream;
  EXPECT_EQ(c.total, 120u) << "no message may be delivered twice";
  source.close();
  EXPECT_TRUE(source.assigned().empty());
}

TEST(KafkaSource, RecordsCarryMessageTimestampsAndBatchesAreBounded) {
  DevBroker broker;
  broker.create_topic("ts", 1);
  PartitionProducer producer(broker.bootstraps());
  producer.produce("ts", 0, 0, 200);
  KafkaSourceConfig config = source_config(broker, "ts", "g-ts");
  config.max_batch_records = 50;
  KafkaSource source(config, nullptr);
  size_t total = 0;
  auto deadline = std::chrono::steady_clock::now() + kafka_test::kDeadline;
  while (total < 200 && std::chrono::steady_clock::now() < deadline) {
    RawBatch batch;
    size_t n = source.poll(batch, 200);
    EXPECT_LE(n, 50u);
    for (const RawRecord& r : batch.records) EXPECT_GT(r.source_timestamp_ms, 1600000000000);
    total += n;
  }
  EXPECT_EQ(total, 200u);
}

TEST(KafkaSourceLines, MessageSplitIntoLines) {
  RawBatch out;
  const uint32_t s = out.stream_id("logs/0");
  add_message_lines(out, "first\r\nsecond\n\nfourth", s, 42, 1000);
  add_message_lines(out, "", s, 43, 1000);
  add_message_lines(out, "\n\r\n", s, 44, 1000);
  add_message_lines(out, "only\n", s, 45, 1000);
  ASSERT_EQ(out.records.size(), 4u);
  const std::vector<std::tuple<std::string, int64_t, int64_t>> want = {
      {"first", 42, 1}, {"second", 42, 2}, {"fourth", 42, 4}, {"only", 45, 1}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(out.bytes(out.records[i]), std::get<0>(want[i]));
    EXPECT_EQ(out.records[i].position.offset, std::get<1>(want[i]));
    EXPECT_EQ(out.records[i].line, std::get<2>(want[i]));
    EXPECT_EQ(out.records[i].source_timestamp_ms, 1000);
  }
}

TEST(KafkaSourceLines, SeveralLinesPerMessageFromTheBroker) {
  DevBroker broker;
  broker.create_topic("weblogs", 1);
  PartitionProducer producer(broker.bootstraps());
  for (const std::string payload : {"a1\nb1\nc1\n", "single", "x\r\ny"}) {
    ASSERT_EQ(rd_kafka_producev(producer.handle(), RD_KAFKA_V_TOPIC("weblogs"),
                                RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                                RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_flush(producer.handle(), 20000), RD_KAFKA_RESP_ERR_NO_ERROR);
  KafkaSourceConfig config = source_config(broker, "weblogs", "g-lines");
  config.split_lines = true;
  KafkaSource source(config, nullptr);
  Collector c;
  ASSERT_TRUE(poll_until(source, c, [&] { return c.total >= 6; }));
  EXPECT_EQ(c.payloads["weblogs/0"],
            (std::vector<std::string>{"a1", "b1", "c1", "single", "x", "y"}));
  EXPECT_EQ(c.offsets["weblogs/0"], (std::vector<int64_t>{0, 0, 0, 1, 2, 2}));
  EXPECT_EQ(c.committed["weblogs/0"], 3);
}

TEST(KafkaSource, StartsExactlyWherePositionLookupSays) {
  DevBroker broker;
  broker.create_topic("resume", 3);
  PartitionProducer producer(broker.bootstraps());
  for (int p = 0; p < 3; ++p) producer.produce("resume", p, 0, 20);

  std::map<int32_t, int> lookups;
  PositionLookup lookup = [&](const std::string& topic, int32_t partition) {
    EXPECT_EQ(topic, "resume");
    ++lookups[partition];
    std::optional<int64_t> pos;
    if (partition == 0) pos = 10;
    if (partition == 1) pos = 0;
    if (partition == 2) pos = std::nullopt;  // never committed: from the earliest
    return pos;
  };
  // The group's own committed offsets must not matter: commit something else first
  // (a standalone commit, without joining the group).
  {
    KafkaConf conf(rd_kafka_conf_new());
    kafka_conf_set(conf.get(), "bootstrap.servers", broker.bootstraps());
    kafka_conf_set(conf.get(), "group.id", "g-resume");
    kafka_conf_set(conf.get(), "internal.termination.signal", kafka_test::kTerminationSignal);
    KafkaHandle consumer = kafka_new(RD_KAFKA_CONSUMER, std::move(conf));
    KafkaPartitionList list(rd_kafka_topic_partition_list_new(3));
    for (int p = 0; p < 3; ++p)
      rd_kafka_topic_partition_list_add(list.get(), "resume", p)->offset = 15;
    ASSERT_EQ(rd_kafka_commit(consumer.get(), list.get(), 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_consumer_close(consumer.get());
  }

  KafkaSource source(source_config(broker, "resume", "g-resume"), lookup);
  Collector c;
  ASSERT_TRUE(poll_until(source, c, [&] { return c.total >= 50; }));
  EXPECT_EQ(c.offsets["resume/0"], range(10, 20));
  EXPECT_EQ(c.payloads["resume/0"].front(), "resume/0:10");
  EXPECT_EQ(c.offsets["resume/1"], range(0, 20));
  EXPECT_EQ(c.offsets["resume/2"], range(0, 20));
  EXPECT_EQ(lookups.size(), 3u);

  // New messages arrive after the resumed ones, none earlier is re-delivered.
  producer.produce("resume", 0, 20, 5);
  ASSERT_TRUE(poll_until(source, c, [&] { return c.total >= 55; }));
  EXPECT_EQ(c.offsets["resume/0"], range(10, 25));
  EXPECT_EQ(c.total, 55u);
}

TEST(KafkaSource, SeekRewindsAssignedStreamsAndIgnoresOthers) {
  DevBroker broker;
  broker.create_topic("seek", 2);
  PartitionProducer producer(broker.bootstraps());
  for (int p = 0; p < 2; ++p) producer.produce("seek", p, 0, 10);
  KafkaSource source(source_config(broker, "seek", "g-seek"), nullptr);
  Collector c;
  ASSERT_TRUE(poll_until(source, c, [&] { return c.total >= 20; }));

  source.seek({{"seek/0", 4}, {"other/0", 1}});
  Collector again;
  ASSERT_TRUE(poll_until(source, again, [&] { return again.total >= 6; }));
  EXPECT_EQ(again.offsets["seek/0"], range(4, 10));
  EXPECT_EQ(again.offsets.count("seek/1"), 0u);
  EXPECT_EQ(again.payloads["seek/0"].front(), "seek/0:4");
}

TEST(KafkaSource, NullPayloadIsDeliveredAsEmptyRecord) {
  DevBroker broker;
  broker.create_topic("tomb", 1);
  PartitionProducer producer(broker.bootstraps());
  ASSERT_EQ(rd_kafka_producev(producer.handle(), RD_KAFKA_V_TOPIC("tomb"), RD_KAFKA_V_PARTITION(0),
                              RD_KAFKA_V_KEY("k", 1), RD_KAFKA_V_VALUE(nullptr, 0), RD_KAFKA_V_END),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  producer.produce("tomb", 0, 1, 1);
  KafkaSource source(source_config(broker, "tomb", "g-tomb"), nullptr);
  Collector c;
  ASSERT_TRUE(poll_until(source, c, [&] { return c.total >= 2; }));
  EXPECT_EQ(c.offsets["tomb/0"], range(0, 2));
  EXPECT_EQ(c.payloads["tomb/0"][0], "");
  EXPECT_EQ(c.payloads["tomb/0"][1], "tomb/0:1");
}

// Two members split the partitions; when one leaves, the other takes them all
// over from the positions the "lake" holds, and nothing is lost or repeated.
TEST(KafkaSource, GroupMembersSplitPartitionsAndTakeOverOnClose) {
  DevBroker broker;
  broker.create_topic("shared", 4);
  PartitionProducer producer(broker.bootstraps());
  for (int p = 0; p < 4; ++p) producer.produce("shared", p, 0, 25);

  // One lake for both members: every batch is committed as soon as it is polled.
  Collector lake;
  std::vector<std::vector<std::string>> revoked_a, revoked_b;
  int lookups_a = 0;
  PositionLookup lookup_a = [&](const std::string& t, int32_t p) {
    ++lookups_a;
    return lake.lookup()(t, p);
  };
  KafkaSource a(source_config(broker, "shared", "g-shared"), lookup_a);
  a.set_revoke_callback([&](const std::vector<std::string>& s) { revoked_a.push_back(s); });
  ASSERT_TRUE(poll_until(a, lake, [&] { return a.assigned().size() == 4 && lake.total >= 20; }));

  KafkaSource b(source_config(broker, "shared", "g-shared"), lake.lookup());
  b.set_revoke_callback([&](const std::vector<std::string>& s) { revoked_b.push_back(s); });
  auto deadline = std::chrono::steady_clock::now() + kafka_test::kDeadline;
  while (std::chrono::steady_clock::now() < deadline &&
         !(a.assigned().size() == 2 && b.assigned().size() == 2)) {
    for (KafkaSource* s : {&a, &b}) {
      RawBatch batch;
      s->poll(batch, 50);
      lake.take(batch);
    }
  }
  std::vector<std::string> as = a.assigned(), bs = b.assigned();
  ASSERT_EQ(as.size(), 2u);
  ASSERT_EQ(bs.size(), 2u);
  std::set<std::string> all(as.begin(), as.end());
  all.insert(bs.begin(), bs.end());
  EXPECT_EQ(all.size(), 4u) << "members must own disjoint partitions";
  EXPECT_FALSE(revoked_a.empty()) << "a gave partitions away, so its revoke callback ran";

  // b consumes something of its own, then leaves.
  producer.produce("shared", 0, 25, 5);
  producer.produce("shared", 3, 25, 5);
  for (int i = 0; i < 5; ++i) {
    for (KafkaSource* s : {&a, &b}) {
      RawBatch batch;
      s->poll(batch, 50);
      lake.take(batch);
    }
  }
  b.close();
  ASSERT_FALSE(revoked_b.empty());
  EXPECT_EQ(std::set<std::string>(revoked_b.back().begin(), revoked_b.back().end()),
            std::set<std::string>(bs.begin(), bs.end()))
      << "close revokes everything b held";

  int lookups_before = lookups_a;
  ASSERT_TRUE(poll_until(a, lake, [&] { return a.assigned().size() == 4; }));
  EXPECT_GT(lookups_a, lookups_before) << "takeover positions come from the lookup";
  for (int p = 0; p < 4; ++p) producer.produce("shared", p, 30, 5);
  ASSERT_TRUE(poll_until(a, lake, [&] { return lake.total >= 2 * 35 + 2 * 30; }));
  EXPECT_EQ(lake.total, 2u * 35u + 2u * 30u);
  for (int p = 0; p < 4; ++p) {
    std::string stream = "shared/" + std::to_string(p);
    std::vector<int64_t> got = lake.offsets[stream];
    // Partitions 1 and 2 only got 30 messages in total (25 + 5 produced at the end).
    int64_t expected = (p == 0 || p == 3) ? 35 : 30;
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, range(0, expected)) << stream << ": every offset exactly once";
  }
}

}  // namespace
}  // namespace sluice
