// Helpers for the Kafka tests: producing to explicit partitions of a mock
// cluster and polling sources until a condition holds (bounded by a deadline).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/record.h"
#include "sources/kafka/dev_broker.h"
#include "sources/kafka/kafka_handles.h"
#include "sources/kafka/kafka_source.h"

namespace sluice::kafka_test {

// Generous bound for group joins and rebalances on the mock cluster.
inline constexpr auto kDeadline = std::chrono::seconds(30);

// Makes librdkafka's threads exit at once on rd_kafka_destroy() instead of
// after their next poll timeout (about a second per client), to keep tests fast.
inline constexpr const char* kTerminationSignal = "29";  // SIGIO, unused by the tests

// Properties that make group membership changes quick on the mock cluster.
inline std::map<std::string, std::string> fast_group_properties() {
  return {{"session.timeout.ms", "6000"},
          {"heartbeat.interval.ms", "100"},
          {"fetch.wait.max.ms", "50"},
          {"reconnect.backoff.ms", "50"},
          {"reconnect.backoff.max.ms", "500"},
          {"topic.metadata.refresh.interval.ms", "1000"},
          {"internal.termination.signal", kTerminationSignal}};
}

inline KafkaSourceConfig source_config(const DevBroker& broker, const std::string& topic,
                                       const std::string& group) {
  KafkaSourceConfig c;
  c.brokers = broker.bootstraps();
  c.topics = {topic};
  c.group = group;
  c.properties = fast_group_properties();
  c.max_batch_records = 64;
  return c;
}

// Produces payloads "<topic>/<partition>:<i>" to explicit partitions and waits for delivery.
class PartitionProducer {
 public:
  explicit PartitionProducer(const std::string& bootstraps) {
    KafkaConf conf(rd_kafka_conf_new());
    kafka_conf_set(conf.get(), "bootstrap.servers", bootstraps);
    kafka_conf_set(conf.get(), "linger.ms", "5");
    kafka_conf_set(conf.get(), "internal.termination.signal", kTerminationSignal);
    rk_ = kafka_new(RD_KAFKA_PRODUCER, std::move(conf));
  }
  void produce(const std::string& topic, int32_t partition, int first, int count) {
    for (int i = first; i < first + count; ++i) {
      std::string payload = kafka_stream_name(topic, partition) + ":" + std::to_string(i);
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_VALUE(payload.data(), payload.size()), RD_KAFKA_V_END);
      ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
    }
    ASSERT_EQ(rd_kafka_flush(rk_.get(), 20000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  rd_kafka_t* handle() { return rk_.get(); }

 private:
  KafkaHandle rk_;
};

// What a runner does with polled batches: remembers every (stream, offset)
// and payload, and "commits" next_offsets to a position map that a
// PositionLookup can read (standing in for the lake commit log).
struct Collector {
  std::map<std::string, std::vector<int64_t>> offsets;  // per stream, in delivery order
  std::map<std::string, std::vector<std::string>> payloads;
  SourceOffsets committed;
  size_t total = 0;

  // Checks the batch's invariants, then records it.
  void take(const RawBatch& batch) {
    std::map<std::string, int64_t> last;
    for (const RawRecord& r : batch.records) {
      const std::string& stream = batch.streams.at(r.position.stream);
      offsets[stream].push_back(r.position.offset);
      payloads[stream].emplace_back(batch.bytes(r));
      last[stream] = r.position.offset;
      ++total;
    }
    EXPECT_EQ(last.size(), batch.next_offsets.size());
    for (const auto& [stream, offset] : last) {
      auto it = batch.next_offsets.find(stream);
      ASSERT_NE(it, batch.next_offsets.end()) << stream;
      EXPECT_EQ(it->second, offset + 1) << stream;
      committed[stream] = offset + 1;
    }
  }

  PositionLookup lookup() {
    return [this](const std::string& topic, int32_t partition) -> std::optional<int64_t> {
      auto it = committed.find(kafka_stream_name(topic, partition));
      if (it == committed.end()) return std::nullopt;
      return it->second;
    };
  }
};

// Polls `source` into `collector` until `done()` or the deadline; returns done().
inline bool poll_until(KafkaSource& source, Collector& collector, const std::function<bool()>& done,
                       int poll_ms = 100) {
  auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    RawBatch batch;
    size_t n = source.poll(batch, poll_ms);
    EXPECT_EQ(n, batch.records.size());
    collector.take(batch);
  }
  return done();
}

// Offsets first..last-1 in order.
inline std::vector<int64_t> range(int64_t first, int64_t last) {
  std::vector<int64_t> v;
  for (int64_t i = first; i < last; ++i) v.push_back(i);
  return v;
}

}  // namespace sluice::kafka_test
