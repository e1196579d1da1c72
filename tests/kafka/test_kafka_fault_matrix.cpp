// The fault matrix: KafkaSource (with offset commits after every batch, as
// the runner does after lake commits) under each fault the mock cluster can
// inject: request errors on Fetch, OffsetCommit, JoinGroup, SyncGroup and
// Heartbeat, 2 s round trips, a partition leader change, the group
// coordinator moving, a broker down during an offset commit. Afterwards the
// exact offsets delivered per partition must be 0..119, each once, in order.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <vector>

#include "kafka_test_util.h"
// After rdkafka.h (through kafka_test_util.h), as the mock header requires.
#include <librdkafka/rdkafka_mock.h>

namespace sluice {
namespace {

using kafka_test::Collector;
using kafka_test::PartitionProducer;
using kafka_test::poll_until;
using kafka_test::range;
using kafka_test::source_config;

constexpr int16_t kFetch = 1;
constexpr int16_t kOffsetCommit = 8;
constexpr int16_t kJoinGroup = 11;
constexpr int16_t kHeartbeat = 12;
constexpr int16_t kSyncGroup = 14;

struct Fault {
  const char* name;
  // Applied before the consumer starts (join faults) or after it consumed
  // the first records (the rest).
  bool before_join;
  std::function<void(DevBroker&)> apply;
  std::function<void(DevBroker&)> heal;  // may be empty
};

void PrintTo(const Fault& f, std::ostream* os) {
  *os << f.name;
}

void errors(DevBroker& b, int16_t api, std::vector<rd_kafka_resp_err_t> e) {
  b.push_request_errors(api, std::move(e));
}

std::vector<Fault> faults() {
  return {
      {"fetch_errors",
       false,
       [](DevBroker& b) {
         errors(b, kFetch,
                {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                 RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE});
       },
       {}},
      {"offset_commit_errors",
       false,
       [](DevBroker& b) {
         errors(b, kOffsetCommit,
                {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                 RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS});
       },
       {}},
      {"join_group_errors",
       true,
       [](DevBroker& b) {
         // Each failed round costs the mock coordinator's join wait (3 to 5 s).
         errors(
             b, kJoinGroup,
             {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_NOT_COORDINATOR});
       },
       {}},
      {"sync_group_errors",
       true,
       [](DevBroker& b) { errors(b, kSyncGroup, {RD_KAFKA_RESP_ERR_NOT_COORDINATOR}); },
       {}},
      {"heartbeat_errors",
       false,
       [](DevBroker& b) {
         errors(b, kHeartbeat,
                {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                 RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS});
       },
       {}},
      {"rtt_2s", false,
       [](DevBroker& b) {
         for (int id = 1; id <= 3; ++id) rd_kafka_mock_broker_set_rtt(b.cluster(), id, 2000);
       },
       [](DevBroker& b) {
         for (int id = 1; id <= 3; ++id) rd_kafka_mock_broker_set_rtt(b.cluster(), id, 0);
       }},
      {"leader_change",
       false,
       [](DevBroker& b) {
         for (int p = 0; p < 3; ++p)
           rd_kafka_mock_partition_set_leader(b.cluster(), "faults", p, 1 + (p + 1) % 3);
       },
       {}},
      {"coordinator_move",
       false,
       [](DevBroker& b) {
         // From broker 1 (set at the start) to broker 2.
         rd_kafka_mock_coordinator_set(b.cluster(), "group", "g-faults", 2);
       },
       {}},
      {"broker_down_during_commit", false, [](DevBroker& b) { b.set_broker_down(-1, true); },
       [](DevBroker& b) { b.set_broker_down(-1, false); }},
  };
}

class KafkaFaultMatrix : public ::testing::TestWithParam<Fault> {};

TEST_P(KafkaFaultMatrix, ConsumptionResumesWithExactOffsets) {
  const Fault& fault = GetParam();
  DevBroker broker(0, 3);
  broker.create_topic("faults", 3);
  PartitionProducer producer(broker.bootstraps());
  for (int p = 0; p < 3; ++p) producer.produce("faults", p, 0, 100);

  rd_kafka_mock_coordinator_set(broker.cluster(), "group", "g-faults", 1);
  if (fault.before_join) fault.apply(broker);
  Collector c;
  KafkaSourceConfig config = source_config(broker, "faults", "g-faults");
  if (const char* debug = std::getenv("SLUICE_KAFKA_DEBUG")) config.properties["debug"] = debug;
  KafkaSource source(config, c.lookup());
  auto commit_after = [&] {
    // As the runner does after every lake commit: record the positions.
    source.commit_offsets(c.committed);
    return false;
  };
  ASSERT_TRUE(poll_until(source, c, [&] { return commit_after() || c.total >= 30; }));
  if (!fault.before_join) fault.apply(broker);
  // Keep polling (and committing) through the fault.
  for (int i = 0; i < 10; ++i) {
    RawBatch batch;
    ASSERT_NO_THROW(source.poll(batch, 100)) << fault.name;
    c.take(batch);
    source.commit_offsets(c.committed);
  }
  if (fault.heal) fault.heal(broker);

  for (int p = 0; p < 3; ++p) producer.produce("faults", p, 100, 20);
  ASSERT_TRUE(poll_until(source, c, [&] { return commit_after() || c.total >= 360; }))
      << fault.name << ": " << c.total << " records";
  EXPECT_EQ(c.total, 360u);
  for (int p = 0; p < 3; ++p) {
    std::string stream = "faults/" + std::to_string(p);
    EXPECT_EQ(c.offsets[stream], range(0, 120)) << fault.name << " " << stream;
  }
  RecordProperty("records", static_cast<int>(c.total));
}

INSTANTIATE_TEST_SUITE_P(Faults, KafkaFaultMatrix, ::testing::ValuesIn(faults()),
                         [](const ::testing::TestParamInfo<Fault>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace sluice
