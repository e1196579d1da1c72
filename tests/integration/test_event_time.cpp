// The IoT pipeline end to end with event time: dedupe, 1-minute windows and
// late data, checked against an independent computation in DuckDB SQL over
// the raw table, and across SIGKILLs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "test_support.h"

namespace sluice::testing {
namespace {

const std::string kIot = std::string(SLUICE_SOURCE_DIR) + "/examples/iot.yaml";

std::string raw_glob(const std::string& lake) {
  return "read_parquet('" + lake + "/iot/**/*.parquet', hive_partitioning=false)";
}
std::string window_glob(const std::string& lake) {
  return "read_parquet('" + lake + "/iot_windows/**/*.parquet', hive_partitioning=false)";
}

TEST(EventTime, DuplicatesDroppedAndWindowsMatchSqlOverTheRawTable) {
  TempDir dir;
  const std::string input = dir.path() + "/iot.ndjson";
  ASSERT_EQ(run_sluice({"generate", "iot", "--count", "120000", "--duplicates", "2", "--late", "2",
                        "--malformed", "1", "--seed", "21", "--output", input}),
            0);
  const std::string lake = dir.path() + "/lake";
  std::string out;
  ASSERT_EQ(run_sluice({"run", kIot, "--input", input, "--lake", lake, "--quiet", "--set",
                        "sink.lake.commit_interval_ms=100"},
                       &out),
            0)
      << out;

  // No event_id twice in the raw table, and every accepted event present:
  // the ids of input lines the DLQ did not take for a parse error.
  Duck duck;
  EXPECT_EQ(duck.scalar("SELECT count(*) - count(DISTINCT event_id) FROM " + raw_glob(lake)), 0);
  std::set<std::string> rejected;
  for (const auto& l : read_lines(lake + "/_dlq/iot.ndjson")) {
    auto j = nlohmann::json::parse(l);
    if (j["rule"] != "late" && j.contains("original"))
      rejected.insert(j["original"].get<std::string>());
  }
  std::set<std::string> expected_ids;
  for (const auto& line : read_lines(input)) {
    if (rejected.count(line)) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("event_id") && j["event_id"].is_string()) {
      expected_ids.insert(j["event_id"].get<std::string>());
    }
  }
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + raw_glob(lake)),
            static_cast<int64_t>(expected_ids.size()));
  EXPECT_GT(duck.scalar("SELECT count(*) FROM read_json_auto('" + lake +
                        "/_dlq/iot.ndjson') WHERE rule = 'late'"),
            0);

  // Windows against SQL over the raw rows that were not late.
  duck.rows(
      "CREATE TABLE late AS SELECT json_extract_string(original, '$.event_id') AS event_id FROM "
      "read_json_auto('" +
      lake + "/_dlq/iot.ndjson') WHERE rule = 'late'");
  duck.rows(
      "CREATE TABLE expected AS SELECT time_bucket(INTERVAL 1 minute, \"timestamp\") AS "
      "window_start, "
      "device_type, count(*) AS events, avg(event_duration) AS avg_duration, min(event_duration) "
      "AS "
      "min_duration, max(event_duration) AS max_duration, avg(value) AS avg_value, "
      "quantile_cont(event_duration, 0.95) AS p95_duration FROM " +
      raw_glob(lake) + " WHERE event_id NOT IN (SELECT event_id FROM late) GROUP BY ALL");
  duck.rows("CREATE TABLE got AS SELECT * FROM " + window_glob(lake));
  int64_t windows = duck.scalar("SELECT count(*) FROM got");
  EXPECT_GT(windows, 5);
  EXPECT_EQ(duck.scalar("SELECT count(*) - count(DISTINCT (window_start, device_type)) FROM got"),
            0);
  EXPECT_EQ(
      duck.scalar("SELECT count(*) FROM got WHERE window_end <> window_start + INTERVAL 1 minute"),
      0);
  auto mismatches = duck.rows(
      "SELECT g.window_start, g.device_type, g.events, e.events FROM got g LEFT JOIN expected e "
      "USING "
      "(window_start, device_type) WHERE e.events IS NULL OR g.events <> e.events OR "
      "abs(g.avg_duration - e.avg_duration) > 1e-9 OR g.min_duration <> e.min_duration OR "
      "g.max_duration <> e.max_duration OR abs(g.avg_value - e.avg_value) > 1e-9 OR "
      "abs(g.p95_duration - e.p95_duration) > 1e-9");
  EXPECT_TRUE(mismatches.empty()) << mismatches.size()
                                  << " windows differ, first: " << mismatches[0][0] << " "
                                  << mismatches[0][1] << " " << mismatches[0][2] << " vs "
                                  << mismatches[0][3];
  // Every window whose end the watermark passed was emitted, none still open.
  int64_t max_ts = duck.scalar("SELECT epoch_us(max(\"timestamp\")) FROM " + raw_glob(lake));
  int64_t closable =
      duck.scalar("SELECT count(*) FROM expected WHERE epoch_us(window_start) + 60000000 <= " +
                  std::to_string(max_ts - 30000000));
  EXPECT_EQ(windows, closable);
}

std::vector<std::string> generate_args(const std::string& lake) {
  return {"run",
          kIot,
          "--lake",
          lake,
          "--quiet",
          "--set",
          "source.type=generate",
          "--set",
          "source.generate={family: iot, count: 400000, duplicates: 2, seed: 9}",
          "--set",
          "sink.lake.commit_interval_ms=150",
          "--set",
          "source.kafka.max_batch_records=2000"};
}

TEST(EventTime, SigkillInTheMiddleOfOpenWindowsGivesTheSameTables) {
  TempDir dir;
  const std::string clean = dir.path() + "/clean", crashed = dir.path() + "/crashed";
  std::string out;
  ASSERT_EQ(run_sluice(generate_args(clean), &out), 0) << out;

  // Kill each process at a random moment after its first commit of the
  // round, so kills land while windows are open and commits are in flight.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> delay(0, 400);
  auto log_entries = [&](const std::string& table) {
    size_t n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(table + "/_sluice_log", ec)) {
      n += e.path().extension() == ".json";
    }
    return n;
  };
  int kills = 0;
  for (int round = 0; round < 15 && kills < 4; ++round) {
    size_t before = log_entries(crashed + "/iot");
    Child child(generate_args(crashed), dir.path() + "/crash.log");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (log_entries(crashed + "/iot") <= before && child.poll() == -1 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay(rng)));
    if (child.poll() == -1) {
      child.signal(SIGKILL);
      child.wait();
      ++kills;
    }
  }
  EXPECT_GE(kills, 3);
  ASSERT_EQ(run_sluice(generate_args(crashed), &out), 0) << out;

  Duck duck;
  const std::string cols =
      "window_start, window_end, device_type, events, avg_duration, min_duration, "
      "max_duration, avg_value, p95_duration";
  EXPECT_GT(duck.scalar("SELECT count(*) FROM " + window_glob(clean)), 10);
  for (const auto& [a, b] : {std::pair{clean, crashed}, std::pair{crashed, clean}}) {
    EXPECT_EQ(duck.scalar("SELECT count(*) FROM (SELECT " + cols + " FROM " + window_glob(a) +
                          " EXCEPT ALL SELECT " + cols + " FROM " + window_glob(b) + ")"),
              0);
    EXPECT_EQ(duck.scalar("SELECT count(*) FROM (SELECT * EXCLUDE (ingest_timestamp) FROM " +
                          raw_glob(a) + " EXCEPT ALL SELECT * EXCLUDE (ingest_timestamp) FROM " +
                          raw_glob(b) + ")"),
              0);
  }
  EXPECT_EQ(duck.scalar("SELECT count(*) - count(DISTINCT event_id) FROM " + raw_glob(crashed)), 0);
  std::string verify;
  EXPECT_EQ(run_sluice({"lake", "verify", crashed + "/iot_windows"}, &verify), 0) << verify;
  EXPECT_EQ(run_sluice({"lake", "verify", crashed + "/iot"}, &verify), 0) << verify;
}

TEST(EventTime, LateRowsCanGoToASideTable) {
  TempDir dir;
  std::string yaml;
  {
    std::ifstream in(kIot);
    std::stringstream ss;
    ss << in.rdbuf();
    yaml = ss.str();
  }
  size_t at = yaml.find("late_policy: dlq");
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, 16, "late_policy: side_table\n    late_table: iot_late");
  const std::string pipeline = dir.path() + "/iot_side.yaml";
  {
    std::ofstream out(pipeline);
    out << yaml;
  }
  const std::string input = dir.path() + "/iot.ndjson";
  ASSERT_EQ(run_sluice({"generate", "iot", "--count", "60000", "--late", "3", "--seed", "5",
                        "--output", input}),
            0);
  const std::string lake = dir.path() + "/lake";
  std::string out;
  ASSERT_EQ(run_sluice({"run", pipeline, "--input", input, "--lake", lake, "--quiet"}, &out), 0)
      << out;
  size_t p = out.find("late rows:");
  ASSERT_NE(p, std::string::npos) << out;
  int64_t late = std::stoll(out.substr(p + 10));
  EXPECT_GT(late, 0);
  Duck duck;
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM read_parquet('" + lake + "/iot_late/**/*.parquet')"),
            late);
  // Late rows are still raw events: every one is in the raw table too.
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM read_parquet('" + lake +
                        "/iot_late/**/*.parquet') WHERE event_id "
                        "NOT IN (SELECT event_id FROM " +
                        raw_glob(lake) + ")"),
            0);
  for (const auto& l : read_lines(lake + "/_dlq/iot.ndjson")) {
    EXPECT_EQ(l.find("\"rule\":\"late\""), std::string::npos) << l;
  }
}

}  // namespace
}  // namespace sluice::testing
