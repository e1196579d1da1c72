// End to end through the binary with examples/access_logs.yaml: combined-format
// lines in, an hourly lake and the DLQ out (with file, line number, format and
// reason), then the path_hourly batch job. Expected values are computed here
// from the lines this test writes; the lake is read back with DuckDB.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "test_support.h"

namespace sluice::testing {
namespace {

const std::string kPipeline = std::string(SLUICE_SOURCE_DIR) + "/examples/access_logs.yaml";

struct Written {
  int64_t good = 0;
  int64_t bytes = 0;
  std::map<int64_t, std::string> bad;  // line number -> rule
};

// 3 hours x 100 requests over 3 paths, with the corners of real files: CRLF,
// a blank line, IPv6 clients, "-" byte counts, a multi-GB download, an
// offset that is not UTC, and no newline after the last line.
Written write_log(const std::string& path) {
  Written w;
  std::ofstream f(path, std::ios::binary);
  int64_t line = 0;
  auto put = [&](const std::string& text, const char* ending = "\n") {
    f << text << ending;
    ++line;
  };
  static const char* kPaths[] = {"/", "/product/a", "/api/items"};
  for (int hour = 0; hour < 3; ++hour) {
    for (int i = 0; i < 100; ++i) {
      const std::string client =
          i % 10 == 0 ? "2001:db8::" + std::to_string(i % 7) : "192.0.2." + std::to_string(i % 7);
      const int status = i % 20 == 0 ? 503 : i % 10 == 0 ? 404 : 200;
      // Written at +0200: hour h of the 10th of March UTC is h+2 local.
      char stamp[64];
      std::snprintf(stamp, sizeof stamp, "10/Mar/2025:%02d:%02d:00 +0200", hour + 2, i % 60);
      const bool huge = hour == 1 && i == 50;
      const int64_t bytes = huge ? 4294967296LL + i : status == 200 ? 1000 + i : -1;
      std::string text =
          client + " - - [" + stamp + "] \"GET " + kPaths[i % 3] + " HTTP/1.1\" " +
          std::to_string(status) + " " + (bytes < 0 ? std::string("-") : std::to_string(bytes)) +
          " \"-\" \"agent-" + std::to_string(i % 4) + "\" 0." + std::to_string(100 + i);
      if (bytes > 0) w.bytes += bytes;
      ++w.good;
      const bool last = hour == 2 && i == 99;
      put(text, last ? "" : i % 17 == 0 ? "\r\n" : "\n");
      if (hour == 0 && i == 10) {
        put("");  // blank: skipped, still counted as a line
        put("192.0.2.9 - - [10/Mar/2025:02:00:00 +0200] \"GET /x HTTP/1.1\" 200 5 \"-\" \"cut");
        w.bad[line] = "format";
      }
      if (hour == 1 && i == 20) {
        put("garbage that is no access log");
        w.bad[line] = "format";
        put("192.0.2.9 - - [10/Mar/2025:03:00:00 +0200] \"GET /x HTTP/1.1\" 700 5 \"-\" \"a\"");
        w.bad[line] = "range";
      }
    }
  }
  return w;
}

TEST(AccessLogRun, LakeByHourDlqWithLinesAndPathHourlyMetrics) {
  TempDir dir;
  const std::string input = dir.path() + "/access.log";
  const Written w = write_log(input);
  const std::string lake = dir.path() + "/lake";
  std::string out;
  ASSERT_EQ(run_sluice({"run", kPipeline, "--input", input, "--lake", lake, "--quiet"}, &out), 0)
      << out;
  EXPECT_NE(out.find("rejected (DLQ):  " + std::to_string(w.bad.size())), std::string::npos) << out;

  Duck duck;
  const std::string table =
      "read_parquet('" + lake + "/access_logs/**/*.parquet', hive_partitioning=true)";
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + table), w.good);
  EXPECT_EQ(duck.scalar("SELECT sum(bytes) FROM " + table), w.bytes);
  EXPECT_EQ(duck.scalar("SELECT max(bytes) FROM " + table), 4294967346LL);
  // +0200 stamps land in UTC hours 0..2 of the 10th.
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT hour) FROM " + table), 3);
  EXPECT_EQ(
      duck.scalar("SELECT count(*) FROM " + table +
                  " WHERE \"timestamp\" < TIMESTAMP '2025-03-10 00:00:00' OR \"timestamp\" >= "
                  "TIMESTAMP '2025-03-10 03:00:00'"),
      0);
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + table + " WHERE client LIKE '2001:db8::%'"), 30);
  // "-" for every non-200 answer but the download (a 404 here, on purpose).
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + table + " WHERE bytes IS NULL"), 29);
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + table + " WHERE user_agent LIKE '%\r%'"), 0);

  const auto dlq = read_lines(lake + "/_dlq/access_logs.ndjson");
  ASSERT_EQ(dlq.size(), w.bad.size());
  auto expected = w.bad.begin();
  for (const std::string& text : dlq) {
    const nlohmann::json j = nlohmann::json::parse(text);
    EXPECT_EQ(j["line"], expected->first) << text;
    EXPECT_EQ(j["rule"], expected->second) << text;
    EXPECT_EQ(j["format"], "apache_combined") << text;
    EXPECT_EQ(j["source"], "file:" + input) << text;
    EXPECT_NE(j["position"].get<std::string>().find(" line " + std::to_string(expected->first)),
              std::string::npos)
        << text;
    ++expected;
  }

  ASSERT_EQ(run_sluice({"batch", "path_hourly", "--pipeline", kPipeline, "--lake", lake,
                        "--warehouse", "none", "--quiet"},
                       &out),
            0)
      << out;
  const std::string metrics = "read_parquet('" + lake + "/path_hourly/**/*.parquet')";
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + metrics), 9);  // 3 paths x 3 hours
  EXPECT_EQ(duck.scalar("SELECT sum(requests) FROM " + metrics), w.good);
  // Path "/" in hour 0: i = 0, 3, ..., 99 (34 requests); 404s at i % 10 == 0
  // and not % 20 (i = 30, 90), 503s at i % 20 == 0 (i = 0, 60).
  const auto rows =
      duck.rows("SELECT requests, clients, rate_4xx, rate_5xx, top_user_agents FROM " + metrics +
                " WHERE path = '/' AND hour = 0");
  ASSERT_EQ(rows.size(), 1u);
  const auto& row = rows[0];
  std::set<std::string> clients;
  for (int i = 0; i < 100; i += 3) {
    clients.insert((i % 10 == 0 ? "v6-" : "v4-") + std::to_string(i % 7));
  }
  EXPECT_EQ(row[0], "34");
  EXPECT_EQ(row[1], std::to_string(clients.size()));
  EXPECT_NEAR(std::stod(row[2]), 2.0 / 34, 1e-9);
  EXPECT_NEAR(std::stod(row[3]), 2.0 / 34, 1e-9);
  EXPECT_EQ(row[4].substr(0, 8), "agent-0:");
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + metrics + " WHERE p95_request_time IS NULL"), 0);
}

TEST(AccessLogRun, GeneratedLogWithMalformedLines) {
  TempDir dir;
  const std::string input = dir.path() + "/access.log";
  std::string out;
  ASSERT_EQ(run_sluice({"generate", "access-log", "--count", "4000", "--malformed", "2", "--seed",
                        "7", "--spread", "single", "--output", input},
                       &out),
            0)
      << out;
  const std::string lake = dir.path() + "/lake";
  ASSERT_EQ(run_sluice({"run", kPipeline, "--input", input, "--lake", lake, "--quiet"}, &out), 0)
      << out;
  const auto dlq = read_lines(lake + "/_dlq/access_logs.ndjson");
  EXPECT_GT(dlq.size(), 40u);  // about 2% of 4000
  EXPECT_LT(dlq.size(), 140u);
  std::set<std::string> rules;
  for (const std::string& text : dlq) {
    const nlohmann::json j = nlohmann::json::parse(text);
    rules.insert(j["rule"].get<std::string>());
    EXPECT_GT(j["line"].get<int64_t>(), 0);
  }
  EXPECT_EQ(rules, (std::set<std::string>{"format", "utf8"}));
  Duck duck;
  EXPECT_EQ(
      duck.scalar("SELECT count(*) FROM read_parquet('" + lake + "/access_logs/**/*.parquet')"),
      4000 - static_cast<int64_t>(dlq.size()));
  // Bots, IPv6 clients, empty and TLS request lines are valid lines.
  const std::string table = "read_parquet('" + lake + "/access_logs/**/*.parquet')";
  EXPECT_GT(duck.scalar("SELECT count(*) FROM " + table + " WHERE client LIKE '%:%'"), 100);
  EXPECT_GT(duck.scalar("SELECT count(*) FROM " + table + " WHERE user_agent LIKE '%bot%'"), 50);
  EXPECT_GT(duck.scalar("SELECT count(*) FROM " + table + " WHERE method IS NULL"), 0);
  ASSERT_EQ(run_sluice({"batch", "path_hourly", "--pipeline", kPipeline, "--lake", lake,
                        "--warehouse", "none", "--quiet"},
                       &out),
            0)
      << out;
}

}  // namespace
}  // namespace sluice::testing
