// RAII owners for librdkafka C handles, and helpers shared by the Kafka
// source, producer and dev broker (configuration, stream names).
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace sluice {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
  void operator()(rd_kafka_topic_t* rkt) const { rd_kafka_topic_destroy(rkt); }
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};

using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using KafkaTopic = std::unique_ptr<rd_kafka_topic_t, KafkaDeleter>;
using KafkaPartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using KafkaMessage = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using KafkaError = std::unique_ptr<rd_kafka_error_t, KafkaDeleter>;

// Sets one property; throws RuntimeError naming `key` if librdkafka rejects it.
void kafka_conf_set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value);

// Applies every entry in order (later entries override earlier ones).
void kafka_conf_set_all(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& props);

// Creates a client from `conf` (takes ownership of it); throws RuntimeError.
KafkaHandle kafka_new(rd_kafka_type_t type, KafkaConf conf);

// "topic/partition", the stream name used in RawBatch and SourceOffsets.
std::string kafka_stream_name(std::string_view topic, int32_t partition);

// Splits "topic/partition"; returns false if `stream` is not of that form.
bool parse_kafka_stream(std::string_view stream, std::string* topic, int32_t* partition);

}  // namespace sluice
