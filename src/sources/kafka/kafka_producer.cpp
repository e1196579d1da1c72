#include "sources/kafka/kafka_producer.h"

#include <fmt/core.h>

#include "core/error.h"

namespace sluice {

KafkaProducer::KafkaProducer(const std::string& brokers,
                             std::map<std::string, std::string> properties) {
  KafkaConf conf(rd_kafka_conf_new());
  kafka_conf_set(conf.get(), "bootstrap.servers", brokers);
  kafka_conf_set(conf.get(), "client.id", "sluice");
  // Idempotence: broker-side retries never duplicate or reorder a partition.
  kafka_conf_set(conf.get(), "enable.idempotence", "true");
  kafka_conf_set(conf.get(), "linger.ms", "20");
  kafka_conf_set_all(conf.get(), properties);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaProducer::delivery_trampoline);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaProducer::error_trampoline);
  rd_kafka_conf_set_opaque(conf.get(), this);
  rk_ = kafka_new(RD_KAFKA_PRODUCER, std::move(conf));
}

KafkaProducer::~KafkaProducer() {
  if (!rk_) return;
  rd_kafka_flush(rk_.get(), 10000);
  int left = rd_kafka_outq_len(rk_.get());
  if (left > 0) {
    fmt::print(stderr, "kafka producer: {} messages not delivered at shutdown\n", left);
  }
  topics_.clear();
}

void KafkaProducer::delivery_trampoline(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* self = static_cast<KafkaProducer*>(opaque);
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    self->delivered_.fetch_add(1, std::memory_order_relaxed);
  } else {
    self->failed_.fetch_add(1, std::memory_order_relaxed);
    self->log_.log(msg->err, fmt::format("delivery to {} failed: {}",
                                         msg->rkt ? rd_kafka_topic_name(msg->rkt) : "?",
                                         describe_error(msg->err)));
  }
}

void KafkaProducer::error_trampoline(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaProducer*>(opaque);
  // Fatal errors are picked up by check_fatal(); the rest are transient.
  auto code = static_cast<rd_kafka_resp_err_t>(err);
  self->log_.log(code, fmt::format("{}: {}", rd_kafka_err2name(code), reason));
}

void KafkaProducer::check_fatal() {
  char buf[512];
  rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk_.get(), buf, sizeof(buf));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw RuntimeError(fmt::format("kafka producer fatal error: {}: {}", describe_error(err), buf));
  }
}

rd_kafka_topic_t* KafkaProducer::topic(const std::string& name) {
  auto it = topics_.find(name);
  if (it != topics_.end()) return it->second.get();
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_.get(), name.c_str(), nullptr);
  if (rkt == nullptr) {
    throw RuntimeError(fmt::format("kafka producer: cannot use topic '{}': {}", name,
                                   describe_error(rd_kafka_last_error())));
  }
  return topics_.emplace(name, KafkaTopic(rkt)).first->second.get();
}

void KafkaProducer::produce(const std::string& topic_name, std::string_view payload,
                            std::string_view key) {
  rd_kafka_topic_t* rkt = topic(topic_name);
  for (;;) {
    // librdkafka copies payload and key (RD_KAFKA_MSG_F_COPY).
    int rc = rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                              const_cast<char*>(payload.data()), payload.size(),
                              key.empty() ? nullptr : key.data(), key.size(), nullptr);
    if (rc == 0) break;
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk_.get(), 100);  // serve delivery reports until there is room
      check_fatal();
      continue;
    }
    check_fatal();
    throw RuntimeError(
        fmt::format("kafka produce to '{}' failed: {}", topic_name, describe_error(err)));
  }
  rd_kafka_poll(rk_.get(), 0);
}

void KafkaProducer::flush(int timeout_ms) {
  rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), timeout_ms);
  check_fatal();
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw RuntimeError(
        fmt::format("kafka producer flush: {} messages still outstanding after {} ms",
                    rd_kafka_outq_len(rk_.get()), timeout_ms));
  }
}

}  // namespace sluice
