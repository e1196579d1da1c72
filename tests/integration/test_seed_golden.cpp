// Golden tests: each seed's sample record, verbatim, through its example
// pipeline (examples/<family>.yaml, loaded by `sluice run` with a file input
// and a temporary lake), with the exact rows read back from the lake with
// DuckDB; the batch jobs over them; and, per strict rule, a record that
// breaks it and lands in the DLQ with its reason.
//
// The samples are quoted from the seed documents (/work/shared/seeds): 000
// (clickstream, its "JSON Log Structure"), 003 (user events, "Sample Event
// Format") and 004 (IoT, "Input: IoT Event"). Seeds 001 and 002 have no
// sample records. The samples are pretty-printed JSON; NDJSON needs one line,
// so each line break and its indentation become one space (insignificant
// whitespace in JSON).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "test_support.h"

namespace sluice::testing {
namespace {

using Rows = std::vector<std::vector<std::string>>;

// Seed 000, "1. JSON Log Structure".
const std::string kSeed000Clickstream = R"seed({
  "session_id": "abc123",
  "page_url": "/product/playstation5",
  "timestamp": "2024-04-20T14:35:21Z",
  "TTI": 1500,
  "TTAR": 800,
  "user_actions": [
    {"action": "click", "target": "buy_now", "time": 1650},
    {"action": "scroll", "target": "reviews", "time": 1400}
  ]
})seed";

// Seed 003, "Sample Event Format".
const std::string kSeed003UserEvent = R"seed({
  "user_id": 42,
  "event_type": "click",
  "timestamp": "2025-01-10T10:00:00",
  "page_id": 15,
  "session_id": "sess_12345"
})seed";

// Seed 004, "Input: IoT Event".
const std::string kSeed004IotEvent = R"seed({
  "event_id": "a3d4f891-23bc-4d67-9a12-8f3e4a7b5c9d",
  "device_id": "device-042",
  "device_type": "temperature",
  "timestamp": "2025-11-08T18:23:45.123Z",
  "event_duration": 127.34,
  "value": 22.5,
  "status": "normal",
  "metadata": {
    "location": "zone-C",
    "firmware": "v2.3.1"
  }
})seed";

// A line break and the indentation after it become one space.
std::string one_line(const std::string& json) {
  std::string out;
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] != '\n') {
      out.push_back(json[i]);
      continue;
    }
    out.push_back(' ');
    while (i + 1 < json.size() && json[i + 1] == ' ') ++i;
  }
  return out;
}

// The sample with the first occurrence of `from` replaced by `to`.
std::string with(const std::string& sample, const std::string& from, const std::string& to) {
  std::string s = one_line(sample);
  size_t at = s.find(from);
  if (at == std::string::npos) throw std::runtime_error("not in the sample: " + from);
  return s.replace(at, from.size(), to);
}

// The sample without its user_actions list.
std::string without_actions(const std::string& sample) {
  std::string s = one_line(sample);
  return s.substr(0, s.find(", \"user_actions\"")) + " }";
}

std::string example(const std::string& family) {
  return std::string(SLUICE_SOURCE_DIR) + "/examples/" + family + ".yaml";
}

int64_t now_epoch_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Runs examples/<family>.yaml over `lines` into a fresh lake under `dir`.
// Returns the lake root.
std::string run_example(const TempDir& dir, const std::string& family,
                        const std::vector<std::string>& lines) {
  const std::string input = dir.path() + "/" + family + ".ndjson";
  {
    std::ofstream f(input, std::ios::binary);
    for (const auto& l : lines) f << l << "\n";
  }
  const std::string lake = dir.path() + "/lake";
  std::string out;
  EXPECT_EQ(run_sluice({"run", example(family), "--input", input, "--lake", lake, "--quiet"}, &out),
            0)
      << out;
  return lake;
}

std::string table(const std::string& lake, const std::string& name) {
  return "read_parquet('" + lake + "/" + name + "/**/*.parquet', hive_partitioning = false)";
}

// Column names and DuckDB types of a lake table, "name TYPE".
std::vector<std::string> columns(Duck& duck, const std::string& lake, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& r : duck.rows("DESCRIBE SELECT * FROM " + table(lake, name))) {
    out.push_back(r.at(0) + " " + r.at(1));
  }
  return out;
}

// ingest_timestamp: set by the pipeline while the test ran.
void expect_ingested_during(Duck& duck, const std::string& lake, const std::string& name,
                            int64_t from_us, int64_t to_us) {
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + table(lake, name) +
                        " WHERE ingest_timestamp IS NULL OR epoch_us(ingest_timestamp) < " +
                        std::to_string(from_us) + " OR epoch_us(ingest_timestamp) > " +
                        std::to_string(to_us)),
            0);
}

struct Rejected {
  std::string line;
  std::string rule, field, reason;
};

// The DLQ holds exactly `expected`, in input order, each with its rule,
// field, reason and the original bytes.
void expect_dlq(const std::string& lake, const std::string& family,
                const std::vector<Rejected>& expected) {
  auto dlq = read_lines(lake + "/_dlq/" + family + ".ndjson");
  ASSERT_EQ(dlq.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    nlohmann::json j = nlohmann::json::parse(dlq[i]);
    EXPECT_EQ(j.value("rule", ""), expected[i].rule) << dlq[i];
    EXPECT_EQ(j.value("field", ""), expected[i].field) << dlq[i];
    EXPECT_EQ(j.value("reason", ""), expected[i].reason) << dlq[i];
    EXPECT_EQ(j.value("original", ""), expected[i].line) << dlq[i];
  }
}

// --- seed 000: clickstream ----------------------------------------------------

TEST(SeedGolden, Seed000ClickstreamSampleFlattensToOneRowPerAction) {
  TempDir dir;
  const int64_t before = now_epoch_us();
  const std::string lake =
      run_example(dir, "clickstream",
                  {
                      one_line(kSeed000Clickstream),
                      // Missing TTI becomes 0 (seed 000: "Set default TTI = 0 if missing").
                      with(kSeed000Clickstream, "\"TTI\": 1500, ", ""),
                      // No actions: one row with NULL action fields.
                      without_actions(with(kSeed000Clickstream, "\"abc123\"", "\"abc124\"")),
                      // A full URL is a page_url too (DESIGN.md); decimal TTI/TTAR are accepted.
                      with(with(with(kSeed000Clickstream, "\"abc123\"", "\"abc125\""),
                                "\"/product/playstation5\"",
                                "\"https://shop.example.com/product/playstation5\""),
                           "\"TTI\": 1500, \"TTAR\": 800", "\"TTI\": 1500.5, \"TTAR\": 800.25"),
                  });
  const int64_t after = now_epoch_us();
  Duck duck;
  EXPECT_EQ(columns(duck, lake, "clickstream"),
            (std::vector<std::string>{
                "session_id VARCHAR", "page_url VARCHAR", "timestamp TIMESTAMP WITH TIME ZONE",
                "TTI DOUBLE", "TTAR DOUBLE", "action_action VARCHAR", "action_target VARCHAR",
                "action_time BIGINT", "action_index INTEGER",
                "ingest_timestamp TIMESTAMP WITH TIME ZONE", "source_type VARCHAR"}));
  EXPECT_EQ(
      duck.rows("SELECT * EXCLUDE (ingest_timestamp) REPLACE (strftime(\"timestamp\", "
                "'%Y-%m-%dT%H:%M:%S.%fZ') AS \"timestamp\") FROM " +
                table(lake, "clickstream") + " ORDER BY session_id, TTI, action_index"),
      (Rows{
          {"abc123", "/product/playstation5", "2024-04-20T14:35:21.000000Z", "0.0", "800.0",
           "click", "buy_now", "1650", "0", "clickstream"},
          {"abc123", "/product/playstation5", "2024-04-20T14:35:21.000000Z", "0.0", "800.0",
           "scroll", "reviews", "1400", "1", "clickstream"},
          {"abc123", "/product/playstation5", "2024-04-20T14:35:21.000000Z", "1500.0", "800.0",
           "click", "buy_now", "1650", "0", "clickstream"},
          {"abc123", "/product/playstation5", "2024-04-20T14:35:21.000000Z", "1500.0", "800.0",
           "scroll", "reviews", "1400", "1", "clickstream"},
          {"abc124", "/product/playstation5", "2024-04-20T14:35:21.000000Z", "1500.0", "800.0",
           "NULL", "NULL", "NULL", "0", "clickstream"},
          {"abc125", "https://shop.example.com/product/playstation5", "2024-04-20T14:35:21.000000Z",
           "1500.5", "800.25", "click", "buy_now", "1650", "0", "clickstream"},
          {"abc125", "https://shop.example.com/product/playstation5", "2024-04-20T14:35:21.000000Z",
           "1500.5", "800.25", "scroll", "reviews", "1400", "1", "clickstream"},
      }));
  expect_ingested_during(duck, lake, "clickstream", before, after);
  // Partitioned by the event's UTC hour.
  EXPECT_EQ(duck.rows("SELECT DISTINCT regexp_extract(filename, 'clickstream/(.*)/part-', 1) FROM "
                      "read_parquet('" +
                      lake + "/clickstream/**/*.parquet', filename = true)"),
            (Rows{{"year=2024/month=04/day=20/hour=14"}}));
  expect_dlq(lake, "clickstream", {});
}

TEST(SeedGolden, Seed000ClickstreamBatchJobsOverTheSample) {
  TempDir dir;
  const std::string lake = run_example(dir, "clickstream", {one_line(kSeed000Clickstream)});
  std::string out;
  ASSERT_EQ(run_sluice({"batch", "sales_gold", "--pipeline", example("clickstream"), "--lake", lake,
                        "--warehouse", "none", "--quiet"},
                       &out),
            0)
      << out;
  Duck duck;
  // Averages over the event, not over its two action rows.
  EXPECT_EQ(duck.rows("SELECT page_url, day::VARCHAR, events, avg_tti, avg_ttar FROM " +
                      table(lake, "page_metrics")),
            (Rows{{"/product/playstation5", "2024-04-20", "1", "1500.0", "800.0"}}));
  // The page path joins the product master (examples/data): P100, gaming,
  // one row per region of examples/data/sales.csv.
  EXPECT_EQ(
      duck.rows(
          "SELECT page_url, region, day::VARCHAR, product_id, product_name, category, events, "
          "avg_tti, avg_ttar, revenue, units FROM " +
          table(lake, "sales_gold") + " ORDER BY region"),
      (Rows{
          {"/product/playstation5", "APAC", "2024-04-20", "P100", "PlayStation 5 Console", "gaming",
           "1", "1500.0", "800.0", "55229.6", "262"},
          {"/product/playstation5", "EU", "2024-04-20", "P100", "PlayStation 5 Console", "gaming",
           "1", "1500.0", "800.0", "161472.8", "766"},
          {"/product/playstation5", "LATAM", "2024-04-20", "P100", "PlayStation 5 Console",
           "gaming", "1", "1500.0", "800.0", "28668.8", "136"},
          {"/product/playstation5", "US", "2024-04-20", "P100", "PlayStation 5 Console", "gaming",
           "1", "1500.0", "800.0", "246214.4", "1168"},
      }));
}

TEST(SeedGolden, Seed000ClickstreamStrictRulesRejectToTheDlq) {
  TempDir dir;
  const std::vector<Rejected> bad = {
      // page_url: nullable=False in seed 000's schema; required and never empty.
      {with(kSeed000Clickstream, "\"/product/playstation5\"", "\"\""), "regex", "page_url",
       R"(page_url: regex: "" does not match //\S*|https?://\S+/)"},
      {with(kSeed000Clickstream, "\"/product/playstation5\"", "null"), "required", "page_url",
       "page_url: required: null for a required field"},
      {with(kSeed000Clickstream, "\"page_url\": \"/product/playstation5\", ", ""), "required",
       "page_url", "page_url: required: missing required field"},
      {with(kSeed000Clickstream, "\"/product/playstation5\"", "\"product/playstation5\""), "regex",
       "page_url", R"(page_url: regex: "product/playstation5" does not match //\S*|https?://\S+/)"},
      // TTI and action times are numbers (IntegerType in seed 000).
      {with(kSeed000Clickstream, "\"TTI\": 1500", "\"TTI\": \"1500\""), "type", "TTI",
       R"(TTI: type: expected a number, got "1500")"},
      {with(kSeed000Clickstream, "\"TTI\": 1500", "\"TTI\": -1"), "range", "TTI",
       "TTI: range: value -1 is below the minimum 0"},
      {with(kSeed000Clickstream, "\"time\": 1650", "\"time\": \"2024-04-20T14:35:22Z\""), "type",
       "user_actions[0].time",
       R"(user_actions[0].time: type: expected an int64, got "2024-04-20T14:35:22Z")"},
      {with(kSeed000Clickstream, "\"2024-04-20T14:35:21Z\"", "\"20/04/2024 14:35\""), "type",
       "timestamp", R"(timestamp: type: expected an ISO-8601 timestamp, got "20/04/2024 14:35")"},
  };
  std::vector<std::string> lines = {one_line(kSeed000Clickstream)};
  for (const auto& b : bad) lines.push_back(b.line);
  const std::string lake = run_example(dir, "clickstream", lines);
  expect_dlq(lake, "clickstream", bad);
  Duck duck;
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + table(lake, "clickstream")), 2);  // the sample
}

// --- seed 003: user events -------------------------------------------------------

TEST(SeedGolden, Seed003UserEventSampleWithoutZoneIsUtc) {
  TempDir dir;
  const int64_t before = now_epoch_us();
  const std::string lake = run_example(
      dir, "user_events",
      {
          one_line(kSeed003UserEvent),
          // An explicit offset is converted to UTC: 10:00+02:00 is 08:00Z.
          with(with(kSeed003UserEvent, "\"2025-01-10T10:00:00\"", "\"2025-01-10T10:00:00+02:00\""),
               "\"user_id\": 42", "\"user_id\": 43"),
          // A purchase by the same user, with Z; no page.
          with(with(kSeed003UserEvent, "\"click\"", "\"purchase\""), ", \"page_id\": 15", ""),
      });
  const int64_t after = now_epoch_us();
  Duck duck;
  EXPECT_EQ(columns(duck, lake, "user_events"),
            (std::vector<std::string>{
                "user_id BIGINT", "event_type VARCHAR", "timestamp TIMESTAMP WITH TIME ZONE",
                "page_id BIGINT", "session_id VARCHAR", "ingest_timestamp TIMESTAMP WITH TIME ZONE",
                "source_type VARCHAR"}));
  EXPECT_EQ(
      duck.rows("SELECT * EXCLUDE (ingest_timestamp) REPLACE (strftime(\"timestamp\", "
                "'%Y-%m-%dT%H:%M:%S.%fZ') AS \"timestamp\") FROM " +
                table(lake, "user_events") + " ORDER BY user_id, event_type"),
      (Rows{
          {"42", "click", "2025-01-10T10:00:00.000000Z", "15", "sess_12345", "user_events"},
          {"42", "purchase", "2025-01-10T10:00:00.000000Z", "NULL", "sess_12345", "user_events"},
          {"43", "click", "2025-01-10T08:00:00.000000Z", "15", "sess_12345", "user_events"},
      }));
  expect_ingested_during(duck, lake, "user_events", before, after);
  EXPECT_EQ(duck.rows("SELECT DISTINCT regexp_extract(filename, 'user_events/(.*)/part-', 1) "
                      "FROM read_parquet('" +
                      lake + "/user_events/**/*.parquet', filename = true) ORDER BY 1"),
            (Rows{{"year=2025/month=01/day=10/hour=08"}, {"year=2025/month=01/day=10/hour=10"}}));

  // The daily job over them: counts, distinct users and sessions, conversion, top pages.
  std::string out;
  ASSERT_EQ(run_sluice({"batch", "user_daily", "--pipeline", example("user_events"), "--lake", lake,
                        "--warehouse", "none", "--quiet"},
                       &out),
            0)
      << out;
  EXPECT_EQ(duck.rows("SELECT day::VARCHAR, events, clicks, views, purchases, logins, logouts, "
                      "users, sessions, purchase_view_conversion, top_pages, "
                      "strftime(last_event_at, '%Y-%m-%dT%H:%M:%SZ') FROM " +
                      table(lake, "user_daily")),
            (Rows{{"2025-01-10", "3", "2", "0", "1", "0", "0", "2", "1", "NULL", "15:2",
                   "2025-01-10T10:00:00Z"}}));
}

TEST(SeedGolden, Seed003UserEventStrictRulesRejectToTheDlq) {
  TempDir dir;
  const std::vector<Rejected> bad = {
      {with(kSeed003UserEvent, "\"click\"", "\"scroll\""), "enum", "event_type",
       R"(event_type: enum: "scroll" is not one of [click, view, purchase, login, logout])"},
      {with(kSeed003UserEvent, "\"user_id\": 42", "\"user_id\": \"42\""), "type", "user_id",
       R"(user_id: type: expected an int64, got "42")"},
      {with(kSeed003UserEvent, "\"user_id\": 42, ", ""), "required", "user_id",
       "user_id: required: missing required field"},
      {with(kSeed003UserEvent, "\"page_id\": 15", "\"page_id\": 15.5"), "type", "page_id",
       "page_id: type: expected an int64, got 15.5"},
      {with(kSeed003UserEvent, ", \"session_id\": \"sess_12345\"", ""), "required", "session_id",
       "session_id: required: missing required field"},
  };
  std::vector<std::string> lines;
  for (const auto& b : bad) lines.push_back(b.line);
  const std::string lake = run_example(dir, "user_events", lines);
  expect_dlq(lake, "user_events", bad);
}

// --- seed 004: IoT -------------------------------------------------------------

TEST(SeedGolden, Seed004IotSampleAndItsRetry) {
  TempDir dir;
  const int64_t before = now_epoch_us();
  // A producer retry sends the same event again: one row (seed 004: ~2% duplicates).
  const std::string lake =
      run_example(dir, "iot", {one_line(kSeed004IotEvent), one_line(kSeed004IotEvent)});
  const int64_t after = now_epoch_us();
  Duck duck;
  EXPECT_EQ(columns(duck, lake, "iot"),
            (std::vector<std::string>{
                "event_id VARCHAR", "device_id VARCHAR", "device_type VARCHAR",
                "timestamp TIMESTAMP WITH TIME ZONE", "event_duration DOUBLE", "value DOUBLE",
                "status VARCHAR", "metadata_location VARCHAR", "metadata_firmware VARCHAR",
                "ingest_timestamp TIMESTAMP WITH TIME ZONE", "source_type VARCHAR"}));
  EXPECT_EQ(duck.rows("SELECT * EXCLUDE (ingest_timestamp) REPLACE (strftime(\"timestamp\", "
                      "'%Y-%m-%dT%H:%M:%S.%fZ') AS \"timestamp\") FROM " +
                      table(lake, "iot")),
            (Rows{{"a3d4f891-23bc-4d67-9a12-8f3e4a7b5c9d", "device-042", "temperature",
                   "2025-11-08T18:23:45.123000Z", "127.34", "22.5", "normal", "zone-C", "v2.3.1",
                   "iot"}}));
  expect_ingested_during(duck, lake, "iot", before, after);
  EXPECT_EQ(duck.rows("SELECT DISTINCT regexp_extract(filename, 'iot/(.*)/part-', 1) FROM "
                      "read_parquet('" +
                      lake + "/iot/**/*.parquet', filename = true)"),
            (Rows{{"year=2025/month=11/day=08/hour=18"}}));
  expect_dlq(lake, "iot", {});
}

TEST(SeedGolden, Seed004IotStrictRulesRejectToTheDlq) {
  TempDir dir;
  const std::vector<Rejected> bad = {
      // Seed 004: "Filter invalid records (negative duration, null values)".
      {with(kSeed004IotEvent, "127.34", "-127.34"), "range", "event_duration",
       "event_duration: range: value -127.34 is below the minimum 0"},
      {with(kSeed004IotEvent, "\"value\": 22.5", "\"value\": null"), "required", "value",
       "value: required: null for a required field"},
      {with(kSeed004IotEvent, "\"2025-11-08T18:23:45.123Z\"", "null"), "required", "timestamp",
       "timestamp: required: null for a required field"},
      // Enums: the five device types and three statuses of seed 004.
      {with(kSeed004IotEvent, "\"temperature\"", "\"sensor_a\""), "enum", "device_type",
       R"(device_type: enum: "sensor_a" is not one of [temperature, pressure, humidity, motion, light])"},
      {with(kSeed004IotEvent, "\"normal\"", "\"ok\""), "enum", "status",
       R"(status: enum: "ok" is not one of [normal, warning, critical])"},
      // Shapes: uuid, device-NNN, zone-A..E, vX.Y.Z.
      {with(kSeed004IotEvent, "\"a3d4f891-23bc-4d67-9a12-8f3e4a7b5c9d\"", "\"UUID v4\""), "regex",
       "event_id",
       R"(event_id: regex: "UUID v4" does not match /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/)"},
      {with(kSeed004IotEvent, "\"device-042\"", "\"device-42\""), "regex", "device_id",
       R"(device_id: regex: "device-42" does not match /device-[0-9]{3}/)"},
      {with(kSeed004IotEvent, "\"zone-C\"", "\"zone-F\""), "regex", "metadata.location",
       R"(metadata.location: regex: "zone-F" does not match /zone-[A-E]/)"},
      {with(kSeed004IotEvent, "\"v2.3.1\"", "\"2.3.1\""), "regex", "metadata.firmware",
       R"(metadata.firmware: regex: "2.3.1" does not match /v[0-9]+\.[0-9]+\.[0-9]+/)"},
      {with(kSeed004IotEvent, "127.34", "1000.5"), "range", "event_duration",
       "event_duration: range: value 1000.5 is above the maximum 1000"},
  };
  std::vector<std::string> lines;
  for (const auto& b : bad) lines.push_back(b.line);
  const std::string lake = run_example(dir, "iot", lines);
  expect_dlq(lake, "iot", bad);
}

}  // namespace
}  // namespace sluice::testing
