// Kafka producer used by `sluice generate --output kafka://...` and the Kafka
// DLQ: idempotent, batched (linger), blocking when the local queue is full.
//
// Threading contract: produce() and flush() from one thread at a time;
// delivered() and failed() from any thread. Delivery reports are served
// inside produce() and flush() on the calling thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "sources/kafka/kafka_errors.h"
#include "sources/kafka/kafka_handles.h"

namespace sluice {

class KafkaProducer {
 public:
  // Throws RuntimeError on a bad property (naming it). `properties` are
  // applied last, so they may override the defaults (linger.ms, acks, ...).
  KafkaProducer(const std::string& brokers, std::map<std::string, std::string> properties);
  // Waits up to 10 s for outstanding messages, then reports what is lost.
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // Queues one message (payload and key are copied). A payload whose data()
  // is null is sent as a null value (tombstone); an empty key as no key.
  // Blocks, serving delivery reports, while the local queue is full.
  // Throws RuntimeError on a fatal producer error or an unknown topic.
  void produce(const std::string& topic, std::string_view payload, std::string_view key = {});

  // Waits until every queued message is delivered or failed; throws
  // RuntimeError if messages are still outstanding after timeout_ms.
  void flush(int timeout_ms);

  int64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }
  int64_t failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  static void delivery_trampoline(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  static void error_trampoline(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  rd_kafka_topic_t* topic(const std::string& name);
  void check_fatal();

  KafkaHandle rk_;
  std::map<std::string, KafkaTopic> topics_;  // destroyed before rk_ (declared after)
  std::atomic<int64_t> delivered_{0};
  std::atomic<int64_t> failed_{0};
  RateLimitedLog log_{"kafka producer"};
};

}  // namespace sluice
