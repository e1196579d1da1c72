// `sluice batch` through the binary: exit codes (0, 5 on a failed quality
// check, 2 on bad dates) and messages, and `sluice generate sales-csv`.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "batch/lake_table.h"
#include "batch_test_util.h"
#include "sinks/lake/commit_log.h"

namespace sluice {
namespace {

// Runs the binary with `args` (shell words) and the environment assignments
// `env` ("NAME=value ..."); returns its wait status, output in `out`. The
// shell execs the binary, so a signal that kills it shows in the status.
int sluice_status(const std::string& args, std::string& out, const std::string& dir,
                  const std::string& env = "") {
  std::string log = dir + "/cli.log";
  int status = std::system(
      ("exec env " + env + " " + SLUICE_BINARY + " " + args + " > " + log + " 2>&1").c_str());
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return status;
}

// The same; returns the exit code (-1 if killed by a signal).
int sluice(const std::string& args, std::string& out, const std::string& dir) {
  int status = sluice_status(args, out, dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(BatchCli, RunsJobsAndExitsFiveOnFailedCheck) {
  batchtest::TempDir tmp;
  const std::string d = tmp.path();
  std::string out;
  ASSERT_EQ(sluice("generate user_events --count 3000 --output " + d + "/ue.ndjson", out, d), 0)
      << out;
  const std::string pipeline = batchtest::example("user_events");
  ASSERT_EQ(sluice("run " + pipeline + " --input " + d + "/ue.ndjson --lake " + d + "/lake --quiet",
                   out, d),
            0)
      << out;
  ASSERT_EQ(sluice("batch user_daily --pipeline " + pipeline + " --lake " + d + "/lake", out, d), 0)
      << out;
  // The generator's default live spread puts 5% of the events in the
  // previous day: one row per day.
  EXPECT_NE(out.find("user_daily: 2 day(s) 2024-12-31..2025-01-01, 2 row(s)"), std::string::npos)
      << out;
  ASSERT_EQ(sluice("batch user_daily --pipeline " + pipeline + " --lake " + d + "/lake", out, d),
            0);
  EXPECT_NE(out.find("user_daily: up to date"), std::string::npos) << out;

  // A day without data fails row_count and freshness: exit 5, both named.
  EXPECT_EQ(
      sluice("batch user_daily --pipeline " + pipeline + " --lake " + d + "/lake --date 2025-01-05",
             out, d),
      5);
  EXPECT_NE(out.find("row_count: row count outside [1, 1]: 2025-01-05: 0 rows"), std::string::npos)
      << out;
  EXPECT_NE(out.find("freshness(last_event_at)"), std::string::npos) << out;

  EXPECT_EQ(sluice("batch user_daily --pipeline " + pipeline + " --date 2025-13-01", out, d), 2);
  EXPECT_EQ(sluice("batch nope --pipeline " + pipeline + " --lake " + d + "/lake", out, d), 1);
  EXPECT_NE(out.find("jobs: user_daily"), std::string::npos) << out;
}

// The rows of `files` (relative to `table`), one string per row, sorted.
std::vector<std::string> read_rows(const std::string& table,
                                   const std::vector<std::string>& files) {
  if (files.empty()) return {};
  std::string list;
  for (const std::string& f : files) list += (list.empty() ? "'" : ", '") + table + "/" + f + "'";
  DuckDb db(1);
  DuckResult r;
  db.query("SELECT CAST(t AS VARCHAR) AS r FROM read_parquet([" + list +
               "], union_by_name = true, hive_partitioning = false) t ORDER BY r",
           r);
  std::vector<std::string> rows;
  for (size_t i = 0; i < r.rows(); ++i) rows.push_back(r.string_at(0, i));
  return rows;
}

std::vector<std::string> files_in_log(const std::string& table) {
  std::vector<std::string> files;
  for (const LiveFile& f : read_live_table(table).files) files.push_back(f.path);
  std::sort(files.begin(), files.end());
  return files;
}

// A plain glob: TABLE/**/*.parquet, skipping _ and . paths.
std::vector<std::string> files_in_glob(const std::string& table) {
  std::vector<std::string> files;
  if (!std::filesystem::exists(table)) return files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(table)) {
    const std::string rel = std::filesystem::relative(e.path(), table).string();
    bool hidden = false;
    for (const auto& part : std::filesystem::path(rel)) {
      hidden = hidden || part.string()[0] == '_' || part.string()[0] == '.';
    }
    if (!hidden && e.is_regular_file() && e.path().extension() == ".parquet") files.push_back(rel);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Issue 15: `sluice batch` SIGKILLed at each step of its publish (see
// TablePublisher::set_on_step), then rerun without the hook, publishes what
// a clean run publishes -- read through the commit log and through a glob,
// no duplicate rows, no staged file left -- both on a first run and on a
// replace of days the table already holds.
TEST(BatchCli, SigkillDuringPublishThenRerunMatchesACleanRun) {
  batchtest::TempDir tmp;
  const std::string d = tmp.path();
  const std::string pipeline = batchtest::example("user_events");
  std::string out;
  ASSERT_EQ(sluice("generate user_events --count 2000 --output " + d + "/ue.ndjson", out, d), 0)
      << out;
  ASSERT_EQ(sluice("run " + pipeline + " --input " + d + "/ue.ndjson --lake " + d + "/base --quiet",
                   out, d),
            0)
      << out;
  auto batch = [&](const std::string& lake, const std::string& extra, const std::string& env) {
    return sluice_status("batch user_daily --pipeline " + pipeline + " --lake " + lake +
                             " --warehouse none --quiet" + extra,
                         out, d, env);
  };
  auto copy_base = [&](const std::string& name) {
    std::filesystem::copy(d + "/base", d + "/" + name, std::filesystem::copy_options::recursive);
    return d + "/" + name;
  };
  const std::string clean = copy_base("clean");
  ASSERT_EQ(batch(clean, "", ""), 0) << out;
  const std::string clean_table = clean + "/user_daily";
  const std::vector<std::string> want = read_rows(clean_table, files_in_log(clean_table));
  ASSERT_FALSE(want.empty());
  ASSERT_EQ(read_rows(clean_table, files_in_glob(clean_table)), want);
  std::set<Day> days;
  for (const LiveFile& f : read_live_table(clean_table).files) days.insert(*f.day);
  ASSERT_FALSE(days.empty());
  // The replace case names the days, so that every run redoes them.
  const std::string range =
      " --from " + days.begin()->to_string() + " --to " + days.rbegin()->to_string();

  for (const std::string step : {"staged", "published", "moved"}) {
    for (const bool replace : {false, true}) {
      SCOPED_TRACE(step + (replace ? " (replace)" : " (first run)"));
      const std::string lake = copy_base(step + (replace ? "-replace" : "-first"));
      const std::string extra = replace ? range : "";
      if (replace) {
        ASSERT_EQ(batch(lake, extra, ""), 0) << out;
      }
      const std::string table = lake + "/user_daily";
      const std::vector<std::string> before = files_in_glob(table);

      const int killed = batch(lake, extra, "SLUICE_TEST_BATCH_KILL_AT=" + step);
      ASSERT_TRUE(WIFSIGNALED(killed) && WTERMSIG(killed) == SIGKILL)
          << "status " << killed << ": " << out;
      ASSERT_EQ(batch(lake, extra, ""), 0) << out;

      const std::vector<std::string> live = files_in_log(table);
      EXPECT_EQ(read_rows(table, live), want) << "through the commit log";
      EXPECT_EQ(files_in_glob(table), live) << "a glob sees exactly the live files";
      EXPECT_EQ(read_rows(table, files_in_glob(table)), want) << "through a glob";
      for (const std::string& old : before) {
        EXPECT_FALSE(std::binary_search(live.begin(), live.end(), old)) << old << " still live";
      }
      EXPECT_TRUE(std::filesystem::is_empty(table + "/" + kLakeStagingDir))
          << "staged files left behind";
    }
  }
}

TEST(BatchCli, GenerateWritesTheShippedReferenceCsvs) {
  batchtest::TempDir tmp;
  std::string out;
  for (auto [kind, file] :
       {std::pair{"sales-csv --seed 1", "sales.csv"}, {"product-master", "product_master.csv"}}) {
    ASSERT_EQ(sluice(std::string("generate ") + kind + " --output " + tmp.path() + "/x.csv", out,
                     tmp.path()),
              0);
    std::ifstream a(tmp.path() + "/x.csv"),
        b(std::string(SLUICE_SOURCE_DIR) + "/examples/data/" + file);
    std::stringstream sa, sb;
    sa << a.rdbuf();
    sb << b.rdbuf();
    EXPECT_GT(sa.str().size(), 100u);
    EXPECT_EQ(sa.str(), sb.str()) << file;
  }
}

}  // namespace
}  // namespace sluice
