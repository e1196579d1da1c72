// The exactly-once guarantee under SIGKILL: `sluice run` ingests IoT events
// from a Kafka topic (librdkafka's mock cluster, in this test process) and is
// killed at random moments, then restarted, at least 10 times. Afterwards
// every event must be in the lake exactly once, read back with DuckDB both
// through a plain glob and through the files the commit log lists.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "sources/generate/generator.h"
#include "sources/kafka/dev_broker.h"
#include "sources/kafka/kafka_producer.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

const std::string kIot = std::string(SLUICE_SOURCE_DIR) + "/examples/iot.yaml";

std::vector<std::string> run_args(const std::string& brokers, const std::string& lake) {
  return {"run", kIot, "--brokers", brokers, "--topic", "iot", "--group", "crash-test", "--lake", lake,
          "--quiet", "--set", "sink.lake.commit_interval_ms=150", "--set",
          "source.kafka.properties={session.timeout.ms: '6000', heartbeat.interval.ms: '500', "
          "max.poll.interval.ms: '20000'}",
          "--set", "source.kafka.max_batch_records=500"};
}

// Files listed by the commit log, as a DuckDB list literal.
std::string logged_files(const std::string& table) {
  std::string list = "[";
  for (const auto& entry : std::filesystem::directory_iterator(table + "/_sluice_log")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    nlohmann::json j = nlohmann::json::parse(in);
    for (const auto& f : j["files"]) {
      if (list.size() > 1) list += ",";
      list += "'" + table + "/" + f["path"].get<std::string>() + "'";
    }
  }
  return list + "]";
}

TEST(KafkaCrash, SigkillAtRandomMomentsLosesAndDuplicatesNothing) {
  TempDir dir;
  DevBroker broker(0);
  broker.create_topic("iot", 3);
  const int64_t kEvents = 15000;
  GeneratorOptions g;
  g.family = "iot";
  g.seed = 11;
  Generator gen(g);
  std::set<std::string> ids;
  {
    KafkaProducer producer(broker.bootstraps(), {});
    std::string line;
    for (int64_t i = 0; i < kEvents; ++i) {
      line.clear();
      gen.event(i, line);
      ids.insert(nlohmann::json::parse(line)["event_id"].get<std::string>());
      producer.produce("iot", line);
    }
    producer.flush(30000);
    ASSERT_EQ(producer.failed(), 0);
  }
  ASSERT_EQ(static_cast<int64_t>(ids.size()), kEvents);

  const std::string lake = dir.path() + "/lake";
  const std::string table = lake + "/iot";
  const std::string log = dir.path() + "/run.log";
  std::mt19937 rng(20261121);
  std::uniform_int_distribution<int> delay_ms(300, 4000);
  int kills = 0;
  for (int round = 0; round < 12; ++round) {
    Child child(run_args(broker.bootstraps(), lake), log);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    if (child.poll() == -1) {
      child.signal(SIGKILL);
      EXPECT_EQ(child.wait(), 128 + SIGKILL);
      ++kills;
    }
  }
  EXPECT_GE(kills, 10);

  // A final run to the end of the topic.
  std::vector<std::string> args = run_args(broker.bootstraps(), lake);
  args.push_back("--idle-stop-ms");
  args.push_back("8000");
  std::string out;
  ASSERT_EQ(run_sluice(args, &out), 0) << out;

  Duck duck;
  std::string glob = "read_parquet('" + table + "/**/*.parquet', hive_partitioning=true)";
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + glob), kEvents);
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT event_id) FROM " + glob), kEvents);
  std::string via_log = "read_parquet(" + logged_files(table) + ")";
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + via_log), kEvents);
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT event_id) FROM " + via_log), kEvents);
  // Same ids as produced.
  auto rows = duck.rows("SELECT event_id FROM " + glob + " ORDER BY event_id LIMIT 5");
  for (const auto& r : rows) EXPECT_TRUE(ids.count(r[0])) << r[0];
  std::string verify;
  EXPECT_EQ(run_sluice({"lake", "verify", table}, &verify), 0) << verify;
  std::ifstream l(log);
  std::stringstream ss;
  ss << l.rdbuf();
  RecordProperty("kills", kills);
  SCOPED_TRACE(ss.str().substr(0, 4000));
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
