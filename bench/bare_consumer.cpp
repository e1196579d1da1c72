// A bare librdkafka consumer (C API): joins a group, reads a topic from the
// beginning until it has COUNT messages (or 10 s pass without one), touches every payload byte, and
// prints the time. The baseline for sluice's Kafka path. Single-threaded.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

struct ConsumerDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};

bool set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "bare_consumer: %s: %s\n", key, err);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: bare_consumer BROKERS TOPIC GROUP COUNT\n");
    return 2;
  }
  const auto t_start = std::chrono::steady_clock::now();
  const long long want = std::atoll(argv[4]);
  std::unique_ptr<rd_kafka_conf_t, ConfDeleter> conf(rd_kafka_conf_new());
  if (!set(conf.get(), "bootstrap.servers", argv[1]) || !set(conf.get(), "group.id", argv[3]) ||
      !set(conf.get(), "auto.offset.reset", "earliest") ||
      !set(conf.get(), "enable.auto.commit", "false") ||
      !set(conf.get(), "session.timeout.ms", "10000")) {
    return 2;
  }
  char err[512];
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err);
  if (raw == nullptr) {
    std::fprintf(stderr, "bare_consumer: %s\n", err);
    return 1;
  }
  conf.release();  // owned by the handle now
  std::unique_ptr<rd_kafka_t, ConsumerDeleter> rk(raw);
  rd_kafka_poll_set_consumer(rk.get());
  std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter> topics(
      rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), argv[2], RD_KAFKA_PARTITION_UA);
  if (auto e = rd_kafka_subscribe(rk.get(), topics.get())) {
    std::fprintf(stderr, "bare_consumer: subscribe: %s\n", rd_kafka_err2str(e));
    return 1;
  }
  long long got = 0;
  unsigned long long bytes = 0, checksum = 0;
  std::chrono::steady_clock::time_point t_first{}, t_last{};
  int idle_polls = 0;  // stop after 10 s without a message (or 30 s before the first)
  while (got < want) {
    std::unique_ptr<rd_kafka_message_t, MessageDeleter> msg(rd_kafka_consumer_poll(rk.get(), 1000));
    if (!msg) {
      if (++idle_polls >= (got == 0 ? 30 : 10)) break;
      continue;
    }
    idle_polls = 0;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    if (msg->err) {
      std::fprintf(stderr, "bare_consumer: %s\n", rd_kafka_message_errstr(msg.get()));
      continue;
    }
    if (got == 0) t_first = std::chrono::steady_clock::now();
    const auto* p = static_cast<const unsigned char*>(msg->payload);
    for (size_t i = 0; i < msg->len; ++i) checksum += p[i];
    bytes += msg->len;
    ++got;
    t_last = std::chrono::steady_clock::now();
  }
  const auto t_end = got > 0 ? t_last : std::chrono::steady_clock::now();
  std::printf(
      "bare_seconds=%.4f first_to_last_seconds=%.4f messages=%lld bytes=%llu checksum=%llu\n",
      std::chrono::duration<double>(t_end - t_start).count(),
      std::chrono::duration<double>(t_end - t_first).count(), got, bytes, checksum);
  return 0;
}
