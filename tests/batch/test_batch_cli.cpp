// `sluice batch` through the binary: exit codes (0, 5 on a failed quality
// check, 2 on bad dates) and messages, and `sluice generate sales-csv`.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "batch_test_util.h"

namespace sluice {
namespace {

// Runs the binary with `args` (shell words); returns the exit code, output in `out`.
int sluice(const std::string& args, std::string& out, const std::string& dir) {
  std::string log = dir + "/cli.log";
  int status =
      std::system((std::string(SLUICE_BINARY) + " " + args + " > " + log + " 2>&1").c_str());
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
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
