#include "sources/kafka/kafka_handles.h"

#include <fmt/core.h>

#include <charconv>

#include "core/error.h"

namespace sluice {

void kafka_conf_set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    throw RuntimeError(fmt::format("kafka property '{}': {}", key, errstr));
  }
}

void kafka_conf_set_all(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& props) {
  for (const auto& [key, value] : props) kafka_conf_set(conf, key, value);
}

KafkaHandle kafka_new(rd_kafka_type_t type, KafkaConf conf) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof(errstr));
  if (rk == nullptr) {
    throw RuntimeError(fmt::format("cannot create kafka {}: {}",
                                   type == RD_KAFKA_PRODUCER ? "producer" : "consumer", errstr));
  }
  conf.release();  // owned by rk now
  return KafkaHandle(rk);
}

std::string kafka_stream_name(std::string_view topic, int32_t partition) {
  return fmt::format("{}/{}", topic, partition);
}

bool parse_kafka_stream(std::string_view stream, std::string* topic, int32_t* partition) {
  size_t slash = stream.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == stream.size()) return false;
  int32_t p = 0;
  const char* first = stream.data() + slash + 1;
  const char* last = stream.data() + stream.size();
  auto [ptr, ec] = std::from_chars(first, last, p);
  if (ec != std::errc() || ptr != last || p < 0) return false;
  *topic = std::string(stream.substr(0, slash));
  *partition = p;
  return true;
}

}  // namespace sluice
