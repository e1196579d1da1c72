// Helpers of the scale-out tests: `sluice run` workers of one consumer group
// on the in-process mock cluster, and what their commit logs say.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "sources/generate/generator.h"
#include "sources/kafka/kafka_producer.h"
#include "test_support.h"

namespace sluice::testing {

// Every published log entry of a table, parsed.
inline std::vector<nlohmann::json> log_entries_json(const std::string& table) {
  std::vector<std::pair<std::string, nlohmann::json>> named;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(table + "/_sluice_log", ec)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() != ".json" || name[0] == '.') continue;
    std::ifstream in(e.path());
    try {
      named.emplace_back(name, nlohmann::json::parse(in));
    } catch (const nlohmann::json::exception&) {
      // Published entries are complete (written to a temp file, then linked).
      throw;
    }
  }
  std::sort(named.begin(), named.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<nlohmann::json> out;
  for (auto& [_, j] : named) out.push_back(std::move(j));
  return out;
}

inline bool is_claim(const nlohmann::json& entry) {
  return entry.contains("meta") && entry["meta"].contains("claim");
}

// Claim entries published by `writer`.
inline size_t claims_by(const std::string& table, const std::string& writer) {
  size_t n = 0;
  for (const auto& e : log_entries_json(table)) n += is_claim(e) && e["writer_id"] == writer;
  return n;
}

// Entries with data or positions (not claims) published by `writer` ("" = any).
inline size_t data_commits_by(const std::string& table, const std::string& writer = "") {
  size_t n = 0;
  for (const auto& e : log_entries_json(table)) {
    n += !is_claim(e) && (writer.empty() || e["writer_id"] == writer);
  }
  return n;
}

// Sum over streams of the latest committed end offset: with offsets from 0,
// the number of messages the table covers.
inline int64_t committed_messages(const std::string& table) {
  std::map<std::string, int64_t> end;
  for (const auto& e : log_entries_json(table)) {
    for (const auto& [s, off] : e["end_offsets"].items()) end[s] = off.get<int64_t>();
  }
  int64_t n = 0;
  for (const auto& [_, off] : end) n += off;
  return n;
}

// The window table's position of the finalizer's stream: every window that
// closes at this table watermark is committed (-1: nothing finalized yet).
inline int64_t finalized_up_to(const std::string& window_table) {
  int64_t up_to = -1;
  for (const auto& e : log_entries_json(window_table)) {
    if (e["end_offsets"].contains("finalize")) up_to = e["end_offsets"]["finalize"].get<int64_t>();
  }
  return up_to;
}

// Waits up to `seconds` for `done`; false on timeout.
template <typename F>
bool wait_for(F done, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Produces events [from, to) of `family` (seed `seed`) keyed by their index's
// key field, so that a duplicate (a producer retry) goes to the partition of
// its original, as Kafka producers' retries do. `event_rate`: events per
// second of event time; `late_pct`: events stamped minutes in the past.
inline void produce_events(KafkaProducer& producer, const std::string& topic,
                           const std::string& family, uint64_t seed, double duplicates_pct,
                           int64_t from, int64_t to, const std::string& key_field,
                           double event_rate = 1000, double late_pct = 0) {
  GeneratorOptions g;
  g.family = family;
  g.seed = seed;
  g.duplicates_pct = duplicates_pct;
  g.events_per_second_of_event_time = event_rate;
  g.late_pct = late_pct;
  Generator gen(g);
  std::string line;
  for (int64_t i = from; i < to; ++i) {
    line.clear();
    gen.event(i, line);
    std::string key;
    if (!key_field.empty()) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.contains(key_field)) key = j[key_field].dump();
    }
    producer.produce(topic, line, key);
  }
}

}  // namespace sluice::testing
