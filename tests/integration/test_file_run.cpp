// End to end through the binary: NDJSON file in, lake + DLQ out. The
// expected rows are computed here from the input we wrote, independently of
// sluice, and the Parquet files are read back with DuckDB.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "test_support.h"

namespace sluice::testing {
namespace {

const std::string kPipeline = std::string(SLUICE_SOURCE_DIR) + "/examples/clickstream.yaml";

struct Input {
  std::vector<std::string> good;
  std::vector<std::pair<std::string, std::string>> bad;  // line, expected rule
  int64_t expected_rows = 0;
  int64_t missing_tti = 0;
};

Input make_input(int events) {
  Input in;
  for (int i = 0; i < events; ++i) {
    nlohmann::json e;
    e["session_id"] = "s-" + std::to_string(i % 97);
    // Paths (as in seed 000's sample) and full URLs are both page_urls.
    e["page_url"] = (i % 2 ? "/product/p" : "https://shop.example.com/p/") + std::to_string(i % 13);
    e["timestamp"] =
        "2025-01-0" + std::to_string(1 + i % 3) + "T1" + std::to_string(i % 10) + ":00:00.000Z";
    if (i % 7 != 0) {
      e["TTI"] = 100.0 + i;
    } else {
      in.missing_tti++;
    }
    e["TTAR"] = 50.0 + i;
    int actions = i % 5;  // 0..4; 0 keeps one row
    nlohmann::json list = nlohmann::json::array();
    for (int a = 0; a < actions; ++a) {
      list.push_back(
          {{"action", "click"}, {"target", "#b" + std::to_string(a)}, {"time", 1650 + 100 * a}});
    }
    if (actions > 0 || i % 2 == 0) e["user_actions"] = list;
    in.expected_rows += std::max(1, actions);
    in.good.push_back(e.dump());
  }
  in.bad = {
      {R"({"session_id":"x","page_url":"https://a/b","timestamp":"2025-01-01T00:00:00Z","TTI":"fast"})",
       "type"},
      {R"({"session_id":"x","timestamp":"2025-01-01T00:00:00Z"})", "required"},
      {R"({"session_id":"x","page_url":"https://a/b","timestamp":"yesterday"})", "type"},
      {R"({"session_id":"x","page_url":"https://a/b","timestamp":"2025-01-01T00:00:00Z","TTI":-5})",
       "range"},
      {R"({"session_id":"x","page_url":"ftp://a/b","timestamp":"2025-01-01T00:00:00Z"})", "regex"},
      {R"({"session_id":"x","page_url":"https://a/b","timestamp":)", "json"},
      {R"([1,2,3])", "json"},
      {"{\"session_id\":\"\xff\xfe\",\"page_url\":\"https://a/"
       "b\",\"timestamp\":\"2025-01-01T00:00:00Z\"}",
       "utf8"},
      {std::string(200, '[') + std::string(200, ']'), "depth"},
  };
  return in;
}

TEST(FileRun, GoodRowsInLakeBadRecordsInDlqWithReasons) {
  TempDir dir;
  Input in = make_input(3000);
  std::string input = dir.path() + "/in.ndjson";
  {
    std::ofstream f(input, std::ios::binary);
    size_t b = 0;
    for (size_t i = 0; i < in.good.size(); ++i) {
      f << in.good[i] << "\n";
      if (i % 300 == 0 && b < in.bad.size()) f << in.bad[b++].first << "\n";
    }
    for (; b < in.bad.size(); ++b) f << in.bad[b].first << "\n";
  }
  std::string lake = dir.path() + "/lake";
  std::string out;
  ASSERT_EQ(run_sluice({"run", kPipeline, "--input", input, "--lake", lake, "--quiet"}, &out), 0)
      << out;
  EXPECT_NE(out.find("events read:     " + std::to_string(in.good.size() + in.bad.size())),
            std::string::npos)
      << out;

  Duck duck;
  std::string glob =
      "read_parquet('" + lake + "/clickstream/**/*.parquet', hive_partitioning=true)";
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + glob), in.expected_rows);
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + glob + " WHERE action_index = 0"),
            static_cast<int64_t>(in.good.size()));
  // Missing TTI became 0; counted once per event.
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + glob + " WHERE action_index = 0 AND \"TTI\" = 0"),
            in.missing_tti);
  // Events without actions keep one row with NULL action columns.
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + glob + " WHERE action_action IS NULL"),
            static_cast<int64_t>(in.good.size() / 5 + (in.good.size() % 5 ? 1 : 0)));
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + glob +
                        " WHERE source_type <> 'clickstream' OR ingest_timestamp IS NULL"),
            0);
  // Hive partitions from the event timestamp.
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT day) FROM " + glob), 3);
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM parquet_metadata('" + lake +
                        "/clickstream/**/*.parquet') WHERE compression <> 'ZSTD'"),
            0);

  auto dlq = read_lines(lake + "/_dlq/clickstream.ndjson");
  ASSERT_EQ(dlq.size(), in.bad.size());
  for (size_t i = 0; i < in.bad.size(); ++i) {
    nlohmann::json line = nlohmann::json::parse(dlq[i]);
    EXPECT_EQ(line["rule"], in.bad[i].second) << dlq[i];
    EXPECT_FALSE(line["reason"].get<std::string>().empty());
    EXPECT_TRUE(line.contains("offset"));
    if (line.contains("original")) {
      EXPECT_EQ(line["original"].get<std::string>(), in.bad[i].first);
    } else {
      EXPECT_TRUE(line.contains("original_base64")) << dlq[i];
    }
  }
  std::string verify;
  EXPECT_EQ(run_sluice({"lake", "verify", lake + "/clickstream"}, &verify), 0) << verify;
}

TEST(FileRun, RerunOfTheSameInputAddsNothing) {
  TempDir dir;
  Input in = make_input(500);
  std::string input = dir.path() + "/in.ndjson";
  {
    std::ofstream f(input);
    for (const auto& g : in.good) f << g << "\n";
  }
  std::string lake = dir.path() + "/lake";
  ASSERT_EQ(run_sluice({"run", kPipeline, "--input", input, "--lake", lake, "--quiet"}), 0);
  ASSERT_EQ(run_sluice({"run", kPipeline, "--input", input, "--lake", lake, "--quiet"}), 0);
  Duck duck;
  EXPECT_EQ(
      duck.scalar("SELECT count(*) FROM read_parquet('" + lake + "/clickstream/**/*.parquet')"),
      in.expected_rows);
  // Appending to the file and running again takes only the new lines.
  {
    std::ofstream f(input, std::ios::app);
    f << in.good[1] << "\n";
  }
  ASSERT_EQ(run_sluice({"run", kPipeline, "--input", input, "--lake", lake, "--quiet"}), 0);
  EXPECT_EQ(
      duck.scalar("SELECT count(*) FROM read_parquet('" + lake + "/clickstream/**/*.parquet')"),
      in.expected_rows + 1);
}

TEST(Cli, ValidateAndExitCodes) {
  TempDir dir;
  std::string out;
  EXPECT_EQ(run_sluice({"validate", kPipeline}, &out), 0) << out;
  std::string bad = dir.path() + "/bad.yaml";
  {
    std::ofstream f(bad);
    f << "name: x\nsource:\n  type: file\n  file: {path: a}\n  colour: blue\n";
  }
  EXPECT_EQ(run_sluice({"validate", bad}, &out), 3);
  EXPECT_NE(out.find(bad + ":5: source.colour"), std::string::npos) << out;
  EXPECT_EQ(run_sluice({"run"}, &out), 2) << out;
  EXPECT_EQ(run_sluice({"frobnicate"}, &out), 2) << out;
  EXPECT_EQ(run_sluice({"--help"}, &out), 0);
  EXPECT_NE(out.find("demo"), std::string::npos);
  EXPECT_EQ(run_sluice(
                {"run", kPipeline, "--input", dir.path() + "/missing.ndjson", "--lake", dir.path()},
                &out),
            1)
      << out;
}

TEST(Cli, GenerateIsReproducible) {
  TempDir dir;
  std::string a = dir.path() + "/a.ndjson", b = dir.path() + "/b.ndjson";
  ASSERT_EQ(run_sluice({"generate", "iot", "--count", "1000", "--seed", "7", "--output", a}), 0);
  ASSERT_EQ(run_sluice({"generate", "iot", "--count", "1000", "--seed", "7", "--output", b}), 0);
  auto la = read_lines(a), lb = read_lines(b);
  ASSERT_EQ(la.size(), 1000u);
  EXPECT_EQ(la, lb);
  EXPECT_EQ(run_sluice({"generate", "weather", "--count", "1"}), 2);

  // --spread: a backfill over 72 hours, reproducible too.
  for (const std::string& path : {a, b}) {
    ASSERT_EQ(run_sluice({"generate", "clickstream", "--count", "3000", "--seed", "7", "--spread",
                          "backfill:72", "--output", path}),
              0);
  }
  EXPECT_EQ(read_lines(a), read_lines(b));
  Duck duck;
  const std::string events = "read_json('" + a + "', columns = {\"timestamp\": 'TIMESTAMP'})";
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT date_trunc('hour', \"timestamp\")) FROM " + events),
            72);
  EXPECT_EQ(run_sluice({"generate", "iot", "--count", "1", "--spread", "hourly"}), 2);

  // IoT producers retry: 2% duplicate events unless --duplicates says otherwise.
  auto duplicate_ids = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"generate", "iot", "--count", "5000", "--output", a};
    args.insert(args.end(), extra.begin(), extra.end());
    EXPECT_EQ(run_sluice(args), 0);
    return duck.scalar("SELECT count(*) - count(DISTINCT event_id) FROM read_json('" + a +
                       "', columns = {event_id: 'VARCHAR'})");
  };
  int64_t by_default = duplicate_ids({});
  EXPECT_GT(by_default, 50);  // ~100
  EXPECT_LT(by_default, 150);
  EXPECT_EQ(duplicate_ids({"--duplicates", "0"}), 0);
}

}  // namespace
}  // namespace sluice::testing

namespace sluice::testing {
namespace {

TEST(Demo, LandsDataAndRunsTheBatchJobs) {
  TempDir dir;
  const std::string lake = dir.path() + "/lake";
  std::string out;
  ASSERT_EQ(run_sluice({"demo", "--events", "20000", "--lake", lake}, &out), 0) << out;
  EXPECT_NE(out.find("events read:     20000"), std::string::npos) << out;
  Duck duck;
  int64_t events = duck.scalar("SELECT count(*) FROM read_parquet('" + lake +
                               "/clickstream/**/*.parquet') WHERE action_index = 0");
  int64_t rejected = static_cast<int64_t>(read_lines(lake + "/_dlq/clickstream.ndjson").size());
  EXPECT_GT(rejected, 0);
  EXPECT_EQ(events + rejected, 20000);
  // The batch job ran on what landed: its per-page counts add up to the events.
  EXPECT_EQ(
      duck.scalar("SELECT sum(events) FROM read_parquet('" + lake + "/page_metrics/**/*.parquet')"),
      events);
  EXPECT_NE(out.find("page_metrics   succeeded"), std::string::npos) << out;
  // Seed-shaped pages: paths, and the product pages join the product master.
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM read_parquet('" + lake +
                        "/page_metrics/**/*.parquet') WHERE NOT starts_with(page_url, '/')"),
            0);
  EXPECT_GT(duck.scalar("SELECT count(*) FROM read_parquet('" + lake +
                        "/sales_gold/**/*.parquet') WHERE page_url = '/product/playstation5' AND "
                        "product_id = 'P100'"),
            0);
  EXPECT_NE(out.find("/product/playstation5"), std::string::npos) << out;  // a top page
  std::string verify;
  EXPECT_EQ(run_sluice({"lake", "verify", lake + "/clickstream"}, &verify), 0) << verify;

  // A second demo into the same lake adds its events (a fresh broker, so the
  // old positions must not hold it back).
  ASSERT_EQ(run_sluice({"demo", "--events", "5000", "--lake", lake, "--seed", "7"}, &out), 0)
      << out;
  EXPECT_NE(out.find("events read:     5000"), std::string::npos) << out;
  int64_t after = duck.scalar("SELECT count(*) FROM read_parquet('" + lake +
                              "/clickstream/**/*.parquet') WHERE action_index = 0");
  int64_t rejected_after =
      static_cast<int64_t>(read_lines(lake + "/_dlq/clickstream.ndjson").size());
  EXPECT_EQ(after + rejected_after, 25000);
}

}  // namespace
}  // namespace sluice::testing
