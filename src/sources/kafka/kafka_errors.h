// Classification of librdkafka error codes (retriable vs fatal) and a
// rate-limited logger for the transient ones, shared by the Kafka source and producer.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <string>

namespace sluice {

// True when `err` is transient (broker down, timeouts, leader moves, group
// rebalancing): the client retries by itself and the caller keeps polling.
// False for errors that polling again will not fix (authentication,
// authorization, bad configuration, fatal idempotence errors, ...).
// One exhaustive switch over every code librdkafka knows, so a code added by a
// newer librdkafka shows up as a -Wswitch warning to be classified here.
bool is_retriable(rd_kafka_resp_err_t err);

// "CODE_NAME (description)" for messages.
std::string describe_error(rd_kafka_resp_err_t err);

// Logs at most one line per error code per `interval`, counting what it
// suppressed. Not thread-safe: each owner uses its own from one thread.
class RateLimitedLog {
 public:
  explicit RateLimitedLog(std::string prefix,
                          std::chrono::milliseconds interval = std::chrono::seconds(5))
      : prefix_(std::move(prefix)), interval_(interval) {}
  // Returns true if the line was written.
  bool log(rd_kafka_resp_err_t err, const std::string& message);

 private:
  struct Entry {
    std::chrono::steady_clock::time_point last;
    int64_t suppressed = 0;
  };
  std::string prefix_;
  std::chrono::milliseconds interval_;
  std::map<int, Entry> entries_;
};

}  // namespace sluice
