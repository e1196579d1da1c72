// Replace commits of job output tables: live files through the log, and
// recovery after a crash between the commit point and the file moves.
#include <gtest/gtest.h>

#include <filesystem>

#include "batch/lake_table.h"
#include "batch_test_util.h"
#include "sinks/lake/commit_log.h"
#include "storage/fs_util.h"

namespace sluice {
namespace {

TEST(LakeTable, ReplaceAndRecoverAfterCrash) {
  batchtest::TempDir tmp;
  const std::string dir = tmp.path() + "/out";
  const Day d1 = *Day::parse("2025-01-01"), d2 = *Day::parse("2025-01-02");
  TablePublisher pub(dir, "batch-j");
  pub.open();
  auto stage = [&](TablePublisher& p, size_t n, Day day, int64_t rows) {
    StagedJobFile f{p.staging_path(n), "day=" + day.to_string(), day, rows};
    batchtest::write_file(dir + "/" + f.staging, "data" + std::to_string(rows));
    return f;
  };
  EXPECT_EQ(pub.replace({stage(pub, 0, d1, 10), stage(pub, 1, d2, 20)}, {d1, d2}, {}), 1);
  EXPECT_EQ(pub.replace({stage(pub, 2, d1, 11)}, {d1}, {}), 2);

  LiveTable t = read_live_table(dir);
  ASSERT_EQ(t.files.size(), 2u);
  EXPECT_EQ(t.rows(), 31);
  EXPECT_EQ(t.day_changed_seq.at(d1), 2);
  EXPECT_EQ(t.day_changed_seq.at(d2), 1);
  EXPECT_EQ(t.files_for({d2}).size(), 1u);
  // The replaced file is gone from disk; the plain LakeCommitEntry reader
  // still parses replace entries.
  EXPECT_FALSE(lakefs::exists(dir + "/day=2025-01-01/part-00000000000000000001-0-batch-j.parquet"));
  EXPECT_EQ(read_commit_log(dir).size(), 2u);

  // Crash after the commit point of seq 3 (replacing day 2): its new file is
  // still staged and the removed file still on disk; plus an uncommitted
  // staging file of this writer and one of another writer.
  auto f = stage(pub, 3, d2, 21);
  ASSERT_EQ(pub.replace({f}, {d2}, {}), 3);
  const std::string final3 = dir + "/day=2025-01-02/part-00000000000000000003-0-batch-j.parquet";
  const std::string old2 = dir + "/day=2025-01-02/part-00000000000000000001-1-batch-j.parquet";
  ASSERT_TRUE(lakefs::rename_path(final3, dir + "/" + f.staging));
  batchtest::write_file(old2, "data20");
  auto stray = stage(pub, 4, d1, 1);
  batchtest::write_file(dir + "/_sluice_staging/other-1-0.parquet.inprogress", "x");

  TablePublisher again(dir, "batch-j");
  again.open();
  EXPECT_TRUE(lakefs::exists(final3));
  EXPECT_FALSE(lakefs::exists(old2));
  EXPECT_FALSE(lakefs::exists(dir + "/" + stray.staging));
  EXPECT_TRUE(lakefs::exists(dir + "/_sluice_staging/other-1-0.parquet.inprogress"));
  // A glob sees exactly the live files.
  std::set<std::string> on_disk, live;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".parquet") {
      on_disk.insert(std::filesystem::relative(e.path(), dir).string());
    }
  }
  for (const auto& lf : read_live_table(dir).files) live.insert(lf.path);
  EXPECT_EQ(on_disk, live);
  EXPECT_EQ(read_live_table(dir).rows(), 32);
}

TEST(LakeTable, DayOfPartition) {
  EXPECT_EQ(day_of_partition("year=2025/month=02/day=28/hour=03"), Day::parse("2025-02-28"));
  EXPECT_EQ(day_of_partition("day=2024-02-29"), Day::parse("2024-02-29"));
  EXPECT_EQ(day_of_partition("device_type=x/day=2024-12-31"), Day::parse("2024-12-31"));
  EXPECT_FALSE(day_of_partition("year=2025/month=02/day=30").has_value());
  EXPECT_FALSE(day_of_partition("device_type=motion").has_value());
  EXPECT_FALSE(Day::parse("2023-02-29").has_value());
  EXPECT_EQ(Day::parse("1970-01-02")->days_since_epoch, 1);
  EXPECT_EQ(Day{20089}.to_string(), "2025-01-01");
}

}  // namespace
}  // namespace sluice
