// Batch jobs and the orchestrator on an s3:// lake (the RADOS Gateway of
// test_lake_s3.cpp's binary): a job over the bucket gives exactly the rows of
// the same job over a local lake, a rerun adds nothing, the input cache stays
// under its cap (and an evicted file is fetched again with the same result),
// a SIGKILL during the publish then a rerun equals a clean run, and
// `sluice orchestrate --once` runs the jobs for new days exactly once (and
// not for a compaction commit).
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "batch/lake_table.h"
#include "s3_test_util.h"
#include "sinks/lake/commit_log.h"
#include "storage/s3/s3_storage.h"
#include "support/rgw_fixture.h"
#include "test_support.h"

namespace sluice {
namespace {

using testsupport::RgwEnvironment;

const std::string kPipeline = std::string(SLUICE_SOURCE_DIR) + "/examples/clickstream.yaml";

// `events` clickstream events on product pages of examples/data (so that
// sales_gold's joins match), over `days` days from 2025-01-`first_day`.
std::string write_input(const std::string& path, int events, int first_day, int days) {
  static const char* kPages[] = {"/product/playstation5", "/product/xbox-series-x",
                                 "/product/nintendo-switch-oled", "/product/dualsense-controller"};
  std::ofstream f(path);
  for (int i = 0; i < events; ++i) {
    f << R"({"session_id":"s)" << i % 7 << R"(","page_url":")" << kPages[i % 4]
      << R"(","timestamp":"2025-01-0)" << first_day + i % days << "T1" << i % 10
      << R"(:00:00Z","TTI":)" << 100 + i % 13 << R"(,"TTAR":50})"
      << "\n";
  }
  return path;
}

// Shared by the tests (made once): a local lake with the clickstream table
// of 3000 events over three days, and sales_gold (page_metrics first) run
// over it: the reference the bucket's results must equal.
const std::string& local_lake() {
  static testsupport::TempDir* dir = new testsupport::TempDir("sluice-batch-s3");
  static const std::string lake = [] {
    const std::string input = write_input(dir->path() + "/in.ndjson", 3000, 1, 3);
    const std::string l = dir->path() + "/lake";
    std::string out;
    EXPECT_EQ(
        testing::run_sluice({"run", kPipeline, "--input", input, "--lake", l, "--quiet"}, &out), 0)
        << out;
    EXPECT_EQ(testing::run_sluice({"batch", "sales_gold", "--pipeline", kPipeline, "--lake", l,
                                   "--warehouse", "none", "--quiet"},
                                  &out),
              0)
        << out;
    return l;
  }();
  return lake;
}

// Every row of the Parquet files (sorted), each cell as text.
std::vector<std::vector<std::string>> rows_of(const std::vector<std::string>& files) {
  if (files.empty()) return {};
  std::string list;
  for (const std::string& f : files) list += (list.empty() ? "'" : ", '") + f + "'";
  testing::Duck duck;
  return duck.rows("SELECT * FROM read_parquet([" + list +
                   "], hive_partitioning = false) ORDER BY ALL");
}

// The live files of a local table, through its commit log.
std::vector<std::string> live_paths(const std::string& table) {
  std::vector<std::string> out;
  for (const LiveFile& f : read_live_table(table).files) out.push_back(table + "/" + f.path);
  return out;
}

// Parquet files outside `_`-prefixed paths: what a plain glob reader sees.
std::vector<std::string> glob_paths(const std::string& table) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(table)) {
    const std::string rel = std::filesystem::relative(e.path(), table).string();
    if (e.is_regular_file() && rel[0] != '_' && e.path().extension() == ".parquet")
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A bucket table downloaded into a fresh directory.
std::string download(const std::string& bucket, const std::string& prefix, const std::string& table,
                     const std::string& dir) {
  storage::S3Storage s3(RgwEnvironment::get().client_config(bucket), prefix, {});
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  s3test::download_table(s3, table, dir);
  return dir;
}

void upload(const std::string& table_dir, const std::string& bucket, const std::string& prefix) {
  storage::S3Storage s3(RgwEnvironment::get().client_config(bucket), prefix, {});
  ASSERT_GT(s3test::upload_table(table_dir, s3), 3);
}

int64_t parquet_bytes_in(const std::string& dir) {
  int64_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".parquet")
      n += static_cast<int64_t>(e.file_size());
  }
  return n;
}

struct CacheLine {
  int64_t downloads = -1, evictions = -1, peak = -1, cap = -1;
};

// The cache line `sluice batch` prints for `job`.
CacheLine cache_line(const std::string& out, const std::string& job) {
  static const std::regex re(
      ": cache [^:]+: [0-9]+ hit\\(s\\), ([0-9]+) download\\(s\\), ([0-9]+) eviction\\(s\\), "
      "[0-9]+ bytes held, peak ([0-9]+) of ([0-9]+) bytes");
  CacheLine c;
  std::istringstream in(out);
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(job + ": cache ", 0) == 0 && std::regex_search(line, m, re)) {
      c = {std::stoll(m[1]), std::stoll(m[2]), std::stoll(m[3]), std::stoll(m[4])};
    }
  }
  return c;
}

TEST(BatchS3, JobOverTheBucketEqualsTheLocalJobAndTheCacheStaysUnderItsCap) {
  auto& rgw = RgwEnvironment::get();
  rgw.create_bucket("lake");
  rgw.export_environment();
  testsupport::TempDir dir;
  const std::string d = dir.path();
  const std::string& lake = local_lake();
  upload(lake + "/clickstream", "lake", "batch/clickstream");
  std::string out;

  const std::string s3_lake = "s3://lake/batch";
  const std::string cache = d + "/cache";
  auto s3_batch = [&](const std::string& job, std::vector<std::string> extra,
                      const std::string& cap) {
    std::vector<std::string> args = {"batch",      job,
                                     "--pipeline", kPipeline,
                                     "--lake",     s3_lake,
                                     "--set",      "sink.lake.storage.cache_dir=" + cache,
                                     "--set",      "sink.lake.storage.cache_bytes=" + cap};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::run_sluice(args, &out);
  };
  // An s3:// lake has no default warehouse beside it.
  EXPECT_EQ(s3_batch("page_metrics", {}, "100000000"), 1) << out;
  EXPECT_NE(out.find("an s3:// lake has no default warehouse"), std::string::npos) << out;

  ASSERT_EQ(s3_batch("sales_gold", {"--warehouse", "none"}, "100000000"), 0) << out;
  EXPECT_NE(out.find("sales_gold: 3 day(s) 2025-01-01..2025-01-03"), std::string::npos) << out;
  for (const std::string table : {"page_metrics", "sales_gold"}) {
    SCOPED_TRACE(table);
    const std::string copy = download("lake", "batch", table, d + "/copy-" + table);
    const auto want = rows_of(live_paths(lake + "/" + table));
    ASSERT_FALSE(want.empty());
    EXPECT_EQ(rows_of(live_paths(copy)), want) << "through the log";
    EXPECT_EQ(rows_of(glob_paths(copy)), want) << "through a listing";
  }
  // The CSV export is an object under the lake root, equal to the local one.
  storage::S3Storage root(rgw.client_config("lake"), "batch", {});
  EXPECT_EQ(root.get("_exports/sales_gold.csv"),
            testing::file_text(lake + "/_exports/sales_gold.csv"));

  // A rerun finds nothing new and publishes nothing.
  storage::S3Storage output(rgw.client_config("lake"), "batch/page_metrics", {});
  const size_t entries = read_commit_log(output).size();
  ASSERT_EQ(s3_batch("sales_gold", {"--warehouse", "none"}, "100000000"), 0) << out;
  EXPECT_NE(out.find("page_metrics: up to date"), std::string::npos) << out;
  EXPECT_NE(out.find("sales_gold: up to date"), std::string::npos) << out;
  EXPECT_EQ(read_commit_log(output).size(), entries);

  // A cap that holds one day's input but not two: each day evicts the
  // previous one, and day 1 again (evicted) gives the same rows.
  std::map<Day, int64_t> day_bytes;
  for (const LiveFile& f : read_live_table(lake + "/clickstream").files) {
    day_bytes[*f.day] += f.bytes;
  }
  ASSERT_EQ(day_bytes.size(), 3u);
  int64_t largest = 0, smallest = INT64_MAX;
  for (const auto& [day, bytes] : day_bytes) {
    largest = std::max(largest, bytes);
    smallest = std::min(smallest, bytes);
  }
  const int64_t cap = largest + largest / 10;
  ASSERT_LT(cap, 2 * smallest);
  std::filesystem::remove_all(cache);
  int64_t evictions = 0;
  for (const std::string day : {"2025-01-01", "2025-01-02", "2025-01-01"}) {
    SCOPED_TRACE(day);
    ASSERT_EQ(s3_batch("page_metrics", {"--warehouse", "none", "--date", day}, std::to_string(cap)),
              0)
        << out;
    CacheLine c = cache_line(out, "page_metrics");
    EXPECT_GT(c.downloads, 0) << out;
    EXPECT_EQ(c.cap, cap) << out;
    EXPECT_LE(c.peak, cap) << out;
    EXPECT_LE(parquet_bytes_in(cache), cap);
    evictions += c.evictions;
  }
  EXPECT_GE(evictions, 2);
  const std::string copy = download("lake", "batch", "page_metrics", d + "/copy-again");
  EXPECT_EQ(rows_of(live_paths(copy)), rows_of(live_paths(lake + "/page_metrics")));

  // A file larger than the cap is a clear error, and publishes nothing.
  const size_t before = read_commit_log(output).size();
  EXPECT_EQ(s3_batch("page_metrics", {"--warehouse", "none", "--date", "2025-01-02"}, "100"), 1)
      << out;
  EXPECT_NE(out.find("does not fit in the file cache"), std::string::npos) << out;
  EXPECT_EQ(read_commit_log(output).size(), before);
}

// One input table for the three kills: every run names the days (so each
// killed run publishes: a first run, then replaces).
TEST(BatchS3, SigkillDuringPublishThenRerunMatchesACleanRun) {
  auto& rgw = RgwEnvironment::get();
  rgw.create_bucket("lake");
  rgw.export_environment();
  testsupport::TempDir dir;
  const std::string d = dir.path();
  const std::string& lake = local_lake();
  const auto want = rows_of(live_paths(lake + "/page_metrics"));
  ASSERT_FALSE(want.empty());
  upload(lake + "/clickstream", "lake", "kill/clickstream");
  const std::vector<std::string> args = {
      "batch",       "page_metrics",
      "--pipeline",  kPipeline,
      "--lake",      "s3://lake/kill",
      "--warehouse", "none",
      "--from",      "2025-01-01",
      "--to",        "2025-01-03",
      "--set",       "sink.lake.storage.cache_dir=" + d + "/cache"};
  std::string out;
  std::vector<std::string> before;  // live files before the killed run
  for (const std::string step : {"staged", "published", "moved"}) {
    SCOPED_TRACE(step);
    ::setenv("SLUICE_TEST_BATCH_KILL_AT", step.c_str(), 1);
    const int killed = testing::run_sluice(args, &out);
    ::unsetenv("SLUICE_TEST_BATCH_KILL_AT");
    ASSERT_EQ(killed, 128 + SIGKILL) << out;
    ASSERT_EQ(testing::run_sluice(args, &out), 0) << out;
    const std::string copy = download("lake", "kill", "page_metrics", d + "/copy-" + step);
    const std::vector<std::string> live = live_paths(copy);
    EXPECT_EQ(rows_of(live), want) << "through the log";
    EXPECT_EQ(glob_paths(copy), live) << "a listing sees exactly the live files";
    for (const std::string& old : before) {
      EXPECT_FALSE(std::count(live.begin(), live.end(), old)) << old << " still live";
    }
    EXPECT_FALSE(std::filesystem::exists(copy + "/" + kLakeStagingDir)) << "staged objects left";
    before = live;
  }
}

TEST(BatchS3, OrchestrateOnceRunsTheJobsForNewDaysExactlyOnce) {
  auto& rgw = RgwEnvironment::get();
  rgw.create_bucket("lake");
  rgw.export_environment();
  testsupport::TempDir dir;
  const std::string d = dir.path();
  // The DLQ of an s3:// lake is ./_dlq: work in the test's directory, and
  // leave it before the directory goes.
  struct Cwd {
    ~Cwd() {
      std::error_code ignored;
      std::filesystem::current_path(std::filesystem::temp_directory_path(), ignored);
    }
  } cwd;
  std::filesystem::current_path(d);
  const std::string& lake = local_lake();
  upload(lake + "/clickstream", "lake", "orch/clickstream");
  const std::string s3_lake = "s3://lake/orch";
  std::string out;
  auto once = [&](bool with_store = true) {
    std::vector<std::string> args = {"orchestrate", kPipeline,
                                     "--lake",      s3_lake,
                                     "--once",      "--quiet",
                                     "--set",       "orchestrator.warehouse=none",
                                     "--set",       "sink.lake.storage.cache_dir=" + d + "/cache"};
    if (with_store) {
      args.insert(args.end(), {"--set", "orchestrator.store=sqlite:" + d + "/orch.db"});
    }
    return testing::run_sluice(args, &out);
  };
  // No checkpoint store beside an s3:// lake: a clear error.
  EXPECT_EQ(once(false), 1) << out;
  EXPECT_NE(out.find("has no default checkpoint store"), std::string::npos) << out;

  ASSERT_EQ(once(), 0) << out;
  EXPECT_NE(out.find("page_metrics: run 1 succeeded, 1 attempt(s), 3 day(s)"), std::string::npos)
      << out;
  EXPECT_NE(out.find("sales_gold: run 2 succeeded, 1 attempt(s), 3 day(s)"), std::string::npos)
      << out;
  storage::S3Storage output(rgw.client_config("lake"), "orch/page_metrics", {});
  ASSERT_EQ(read_commit_log(output).size(), 1u);
  ASSERT_EQ(once(), 0) << out;
  EXPECT_EQ(out.find(" run "), std::string::npos) << "nothing new, nothing runs: " << out;

  // A new day streamed into the bucket (several files in its partition, for
  // the compaction below): each job runs once, for that day.
  write_input(d + "/day4.ndjson", 50, 4, 1);
  ASSERT_EQ(testing::run_sluice({"run", kPipeline, "--input", d + "/day4.ndjson", "--lake", s3_lake,
                                 "--quiet", "--set", "sink.lake.rotate.max_rows=2"},
                                &out),
            0)
      << out;
  ASSERT_EQ(once(), 0) << out;
  EXPECT_NE(out.find("page_metrics: run 3 succeeded, 1 attempt(s), 1 day(s)"), std::string::npos)
      << out;
  EXPECT_NE(out.find("sales_gold: run 4 succeeded, 1 attempt(s), 1 day(s)"), std::string::npos)
      << out;
  ASSERT_EQ(read_commit_log(output).size(), 2u);
  ASSERT_EQ(once(), 0) << out;
  EXPECT_EQ(out.find(" run "), std::string::npos) << out;

  // A compaction commit changes no row: it triggers nothing.
  storage::S3Storage input(rgw.client_config("lake"), "orch/clickstream", {});
  const size_t input_entries = read_commit_log(input).size();
  ASSERT_EQ(
      testing::run_sluice(
          {"lake", "compact", "clickstream", "--lake", s3_lake, "--closed-after", "0s"}, &out),
      0)
      << out;
  std::vector<LakeCommitEntry> log = read_commit_log(input);
  ASSERT_EQ(log.size(), input_entries + 1) << out;
  ASSERT_TRUE(is_compaction_entry(log.back()));
  ASSERT_EQ(once(), 0) << out;
  EXPECT_EQ(out.find(" run "), std::string::npos) << "a compaction fired a job: " << out;
  EXPECT_EQ(read_commit_log(output).size(), 2u);

  // The days 1-3 equal the same jobs over the same input on local disk, and
  // day 4's rows are there once.
  for (const std::string table : {"page_metrics", "sales_gold"}) {
    SCOPED_TRACE(table);
    const std::string copy = download("lake", "orch", table, d + "/copy-" + table);
    std::vector<std::string> old_days, day4;
    for (const LiveFile& f : read_live_table(copy).files) {
      (f.day->to_string() == "2025-01-04" ? day4 : old_days).push_back(copy + "/" + f.path);
    }
    EXPECT_EQ(rows_of(old_days), rows_of(live_paths(lake + "/" + table)));
    const auto rows = rows_of(day4);
    EXPECT_FALSE(rows.empty());
    EXPECT_EQ(std::set<std::vector<std::string>>(rows.begin(), rows.end()).size(), rows.size())
        << "a day-4 row twice";
  }
}

}  // namespace
}  // namespace sluice
