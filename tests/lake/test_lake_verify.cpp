// verify_table and the `sluice lake ls|log|verify` printers.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lake_test_util.h"
#include "sinks/lake/lake_writer.h"

namespace sluice {
namespace {

using namespace sluice::testing;
namespace fs = std::filesystem;

class LakeVerify : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = tmp_.path() + "/events";
    LakeWriter writer(lake_config(tmp_.path(), hourly_keys()), schema_, "ts", "w1");
    writer.open();
    RecordBatch b(schema_);
    add_row(b, "a", 1, 1, 1.0, true, ts_of("2024-03-01T13:00:00Z"));
    add_row(b, "b", 2, 2, 1.0, true, ts_of("2024-03-01T14:00:00Z"));
    add_row(b, "c", 3, 3, 1.0, true, ts_of("2024-03-01T14:10:00Z"));
    writer.append(b);
    entry_ = writer.commit({{"t/0", 0}}, {{"t/0", 3}}, {});
  }

  bool has_problem(const VerifyReport& r, const std::string& needle) {
    for (const auto& p : r.problems) {
      if (p.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  TempDir tmp_;
  OutputSchema schema_ = all_types_schema();
  std::string table_;
  LakeCommitEntry entry_;
};

TEST_F(LakeVerify, CleanTableIsOk) {
  VerifyReport r = verify_table(table_);
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_EQ(r.files, 2);
  EXPECT_EQ(r.rows, 3);
  std::ostringstream out;
  EXPECT_EQ(lake_verify(table_, out), 0);
  EXPECT_NE(out.str().find("OK"), std::string::npos);
}

TEST_F(LakeVerify, DetectsMissingFile) {
  fs::remove(table_ + "/" + entry_.files[0].path);
  VerifyReport r = verify_table(table_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(has_problem(r, "missing file " + entry_.files[0].path));
  std::ostringstream out;
  EXPECT_EQ(lake_verify(table_, out), kExitVerify);
  EXPECT_NE(out.str().find(entry_.files[0].path), std::string::npos);
}

TEST_F(LakeVerify, DetectsStrayParquetFile) {
  fs::copy_file(table_ + "/" + entry_.files[0].path,
                table_ + "/year=2024/month=03/day=01/hour=13/extra.parquet");
  VerifyReport r = verify_table(table_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(
      has_problem(r, "not in the commit log: year=2024/month=03/day=01/hour=13/extra.parquet"));
}

TEST_F(LakeVerify, DetectsWrongRowCount) {
  // Swap the two files: both exist but with the wrong row counts.
  std::string a = table_ + "/" + entry_.files[0].path;
  std::string b = table_ + "/" + entry_.files[1].path;
  ASSERT_NE(entry_.files[0].rows, entry_.files[1].rows);
  fs::rename(a, a + ".x");
  fs::rename(b, a);
  fs::rename(a + ".x", b);
  VerifyReport r = verify_table(table_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(has_problem(r, "the log says"));
}

TEST_F(LakeVerify, DetectsStagingLeftovers) {
  std::ofstream(table_ + "/_sluice_staging/w9-00000000000000000002-0.parquet.inprogress") << "x";
  std::ofstream(table_ + "/_sluice_log/.00000000000000000002.w9.tmp") << "x";
  VerifyReport r = verify_table(table_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(has_problem(r, "staging leftover"));
  EXPECT_TRUE(has_problem(r, "temporary log file"));
}

TEST_F(LakeVerify, LsAndLogPrintPartitionsAndCommits) {
  std::ostringstream ls;
  EXPECT_EQ(lake_ls(table_, ls), 0);
  EXPECT_NE(ls.str().find("year=2024/month=03/day=01/hour=13"), std::string::npos);
  EXPECT_NE(ls.str().find("year=2024/month=03/day=01/hour=14"), std::string::npos);
  EXPECT_NE(ls.str().find("TOTAL"), std::string::npos);
  std::ostringstream log;
  EXPECT_EQ(lake_log(table_, log), 0);
  EXPECT_NE(log.str().find("files=2 rows=3"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("t/0@3"), std::string::npos) << log.str();
}

}  // namespace
}  // namespace sluice
