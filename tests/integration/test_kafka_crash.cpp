// The exactly-once guarantee under SIGKILL: `sluice run` ingests IoT events
// from a Kafka topic (librdkafka's mock cluster, in this test process) and is
// killed at random moments, then restarted, at least 10 times. Afterwards
// every event must be in the lake exactly once, read back with DuckDB both
// through a plain glob and through the files the commit log lists.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "sources/generate/generator.h"
#include "sources/kafka/dev_broker.h"
#include "sources/kafka/kafka_producer.h"
#include "sources/kafka/kafka_source.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

const std::string kIot = std::string(SLUICE_SOURCE_DIR) + "/examples/iot.yaml";

std::vector<std::string> run_args(const std::string& brokers, const std::string& lake) {
  return {"run",
          kIot,
          "--brokers",
          brokers,
          "--topic",
          "iot",
          "--group",
          "crash-test",
          "--lake",
          lake,
          "--quiet",
          "--set",
          "sink.lake.commit_interval_ms=150",
          "--set",
          "source.kafka.properties={session.timeout.ms: '6000', heartbeat.interval.ms: '500', "
          "max.poll.interval.ms: '20000'}",
          "--set",
          "source.kafka.max_batch_records=500"};
}

// Data commits (ownership claims, which every assignment publishes, left out).
size_t log_entries(const std::string& table) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(table + "/_sluice_log", ec)) {
    if (e.path().extension() != ".json" || e.path().filename().string()[0] == '.') continue;
    n += file_text(e.path().string()).find("\"claim\"") == std::string::npos;
  }
  return n;
}

TEST(KafkaCrash, SigkillAtRandomMomentsLosesAndDuplicatesNothing) {
  TempDir dir;
  const std::string lake = dir.path() + "/lake";
  const std::string table = lake + "/iot";
  const std::string log = dir.path() + "/run.log";

  // The broker and the producer run as their own processes (`sluice
  // dev-broker`, `sluice generate --rate`), like a user's setup. Events keep
  // arriving for the whole kill phase, so every `sluice run` is killed while
  // it consumes, encodes and commits.
  const std::string broker_out = dir.path() + "/broker.out";
  Child broker({"dev-broker", "--topic", "iot", "--partitions", "3"}, broker_out);
  const std::string brokers = wait_for_broker_address(broker_out, 5000);
  ASSERT_FALSE(brokers.empty()) << file_text(broker_out);
  const std::string gen_out = dir.path() + "/generate.out";
  // --duplicates 0: every produced event is distinct (IoT defaults to 2%
  // producer retries, which the pipeline's dedupe would drop).
  Child generator({"generate", "iot", "--count", "200000", "--rate", "1000", "--seed", "11",
                   "--duplicates", "0", "--output", "kafka://" + brokers + "/iot"},
                  gen_out);

  std::mt19937 rng(20261121);
  std::uniform_int_distribution<int> delay_ms(0, 1200);
  int kills = 0;
  for (int round = 0; round < 12; ++round) {
    size_t before = log_entries(table);
    Child child(run_args(brokers, lake), log);
    // Wait for this process to commit at least once, then kill it at a random
    // moment of its commit cycle.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (log_entries(table) <= before && std::chrono::steady_clock::now() < deadline &&
           child.poll() == -1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_GT(log_entries(table), before) << "round " << round << ": no commit within 60 s\n"
                                          << file_text(log);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    ASSERT_EQ(child.poll(), -1) << "sluice run exited on its own in round " << round;
    child.signal(SIGKILL);
    EXPECT_EQ(child.wait(), 128 + SIGKILL);
    ++kills;
  }
  EXPECT_GE(kills, 10);
  generator.signal(SIGTERM);
  ASSERT_EQ(generator.wait(), 0) << file_text(gen_out);
  // The generator reports how many events it delivered: events 0..total-1 of
  // seed 11, which the test regenerates on its own.
  std::string gen_text = file_text(gen_out);
  size_t at = gen_text.rfind("generated ");
  ASSERT_NE(at, std::string::npos) << gen_text;
  const int64_t total = std::stoll(gen_text.substr(at + 10));
  ASSERT_GT(total, 1000);
  std::set<std::string> ids;
  {
    GeneratorOptions g;
    g.family = "iot";
    g.seed = 11;
    g.events_per_second_of_event_time = 1000;
    Generator gen(g);
    std::string line;
    for (int64_t i = 0; i < total; ++i) {
      line.clear();
      gen.event(i, line);
      ids.insert(nlohmann::json::parse(line)["event_id"].get<std::string>());
    }
  }
  ASSERT_EQ(static_cast<int64_t>(ids.size()), total);

  Duck duck;
  std::string glob = "read_parquet('" + table + "/**/*.parquet', hive_partitioning=true)";
  {
    // A last run until everything produced is in, stopped with SIGTERM.
    Child child(run_args(brokers, lake), log);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline && child.poll() == -1 &&
           duck.scalar("SELECT count(*) FROM " + glob) < total) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    child.signal(SIGTERM);
    EXPECT_EQ(child.wait(), 0);
  }

  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + glob), total);
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT event_id) FROM " + glob), total);
  std::string via_log = "read_parquet(" + logged_files(table) + ")";
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + via_log), total);
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT event_id) FROM " + via_log), total);
  // The same ids as produced, none invented.
  int64_t unknown = 0;
  for (const auto& r : duck.rows("SELECT event_id FROM " + glob)) unknown += ids.count(r[0]) == 0;
  EXPECT_EQ(unknown, 0);
  std::string verify;
  EXPECT_EQ(run_sluice({"lake", "verify", table}, &verify), 0) << verify;
  RecordProperty("kills", kills);
  RecordProperty("events", std::to_string(total));
}

TEST(KafkaRun, SigtermDrainsCommitsAndResumesExactlyWhereTheLogSays) {
  TempDir dir;
  DevBroker broker(0);
  broker.create_topic("iot", 2);
  GeneratorOptions g;
  g.family = "iot";
  g.seed = 5;
  Generator gen(g);
  KafkaProducer producer(broker.bootstraps(), {});
  std::string line;
  for (int64_t i = 0; i < 2000; ++i) {
    line.clear();
    gen.event(i, line);
    producer.produce("iot", line);
  }
  producer.flush(30000);
  const std::string lake = dir.path() + "/lake";
  std::vector<std::string> args = run_args(broker.bootstraps(), lake);
  args.push_back("--idle-stop-ms");
  args.push_back("6000");
  std::string out;
  ASSERT_EQ(run_sluice(args, &out), 0) << out;
  Duck duck;
  std::string glob = "read_parquet('" + lake + "/iot/**/*.parquet')";
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + glob), 2000);

  // More events, then a run stopped by SIGTERM: it drains and exits 0.
  for (int64_t i = 2000; i < 3000; ++i) {
    line.clear();
    gen.event(i, line);
    producer.produce("iot", line);
  }
  producer.flush(30000);
  {
    Child child(run_args(broker.bootstraps(), lake), dir.path() + "/term.log");
    for (int i = 0; i < 300 && duck.scalar("SELECT count(*) FROM " + glob) < 3000; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    child.signal(SIGTERM);
    EXPECT_EQ(child.wait(), 0);
  }
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + glob), 3000);
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT event_id) FROM " + glob), 3000);
}

}  // namespace
}  // namespace sluice::testing

namespace sluice::testing {
namespace {

TEST(KafkaRun, RejectsGoToADlqTopicWithReasons) {
  TempDir dir;
  DevBroker broker(0);
  broker.create_topic("iot", 2);
  broker.create_topic("iot-dlq", 1);
  GeneratorOptions g;
  g.family = "iot";
  g.seed = 3;
  Generator gen(g);
  KafkaProducer producer(broker.bootstraps(), {});
  std::string line;
  for (int64_t i = 0; i < 300; ++i) {
    line.clear();
    gen.event(i, line);
    producer.produce("iot", line);
  }
  const std::vector<std::string> bad = {"not json", R"({"event_id":"x"})", "[1]"};
  for (const auto& b : bad) producer.produce("iot", b);
  producer.flush(30000);

  const std::string lake = dir.path() + "/lake";
  std::vector<std::string> args = run_args(broker.bootstraps(), lake);
  args.insert(args.end(), {"--set", "sink.dlq.kafka_topic=iot-dlq", "--idle-stop-ms", "6000"});
  std::string out;
  ASSERT_EQ(run_sluice(args, &out), 0) << out;
  Duck duck;
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM read_parquet('" + lake + "/iot/**/*.parquet')"), 300);

  KafkaSourceConfig c;
  c.brokers = broker.bootstraps();
  c.topics = {"iot-dlq"};
  c.group = "dlq-check";
  KafkaSource dlq(c, [](const std::string&, int32_t) { return std::optional<int64_t>(); });
  std::vector<nlohmann::json> lines;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (lines.size() < bad.size() && std::chrono::steady_clock::now() < deadline) {
    RawBatch batch;
    dlq.poll(batch, 200);
    for (const auto& r : batch.records) lines.push_back(nlohmann::json::parse(batch.bytes(r)));
  }
  dlq.close();
  ASSERT_EQ(lines.size(), bad.size());
  std::set<std::string> originals;
  for (const auto& l : lines) {
    originals.insert(l["original"].get<std::string>());
    EXPECT_FALSE(l["reason"].get<std::string>().empty());
    EXPECT_EQ(l["source"].get<std::string>().rfind("iot/", 0), 0u) << l.dump();
  }
  EXPECT_EQ(originals, std::set<std::string>(bad.begin(), bad.end()));
}

}  // namespace
}  // namespace sluice::testing
