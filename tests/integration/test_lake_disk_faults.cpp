// The lake on a full and on a read-only filesystem (a small tmpfs mounted by
// the test; skipped where mounting is not allowed): `sluice run` publishes no
// commit for what it could not write, says why and exits with code 1; once
// space (or write access) is back, a rerun resumes from the commit log and
// the table equals that of a run on a healthy disk, nothing lost or doubled.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <fstream>

#include "scale_support.h"

namespace sluice::testing {
namespace {

const std::string kPipeline = std::string(SLUICE_SOURCE_DIR) + "/examples/user_events.yaml";

// A tmpfs at `dir` for the test's lifetime.
class Tmpfs {
 public:
  Tmpfs(const std::string& dir, const std::string& size) : dir_(dir) {
    std::filesystem::create_directories(dir);
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  bool remount(const std::string& options) {
    unsigned long flags = MS_REMOUNT;
    if (options.find("ro") == 0) flags |= MS_RDONLY;
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", flags, options.c_str()) == 0;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

std::string generate(const std::string& dir, int64_t count, int64_t start) {
  const std::string path = dir + "/events-" + std::to_string(start) + ".ndjson";
  std::string out;
  EXPECT_EQ(run_sluice({"generate", "user_events", "--count", std::to_string(count), "--seed", "9",
                        "--start", std::to_string(start), "--spread", "single", "--output", path},
                       &out),
            0)
      << out;
  return path;
}

void append(const std::string& to, const std::string& from) {
  std::ofstream out(to, std::ios::app);
  out << file_text(from);
}

std::vector<std::string> run_args(const std::string& input, const std::string& lake) {
  return {"run", kPipeline, "--input", input, "--lake", lake, "--quiet"};
}

// Rows of a lake table without the ingest time, as a DuckDB subquery.
std::string rows_of(const std::string& lake) {
  return "(SELECT * EXCLUDE (ingest_timestamp) FROM read_parquet('" + lake +
         "/user_events/**/*.parquet', hive_partitioning=true))";
}

void expect_same_tables(const std::string& lake, const std::string& reference) {
  Duck duck;
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + rows_of(lake)),
            duck.scalar("SELECT count(*) FROM " + rows_of(reference)));
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM (" + rows_of(lake) + " EXCEPT ALL " +
                        rows_of(reference) + ")"),
            0);
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM (" + rows_of(reference) + " EXCEPT ALL " +
                        rows_of(lake) + ")"),
            0);
  std::string verify;
  EXPECT_EQ(run_sluice({"lake", "verify", lake + "/user_events"}, &verify), 0) << verify;
}

TEST(LakeDiskFaults, FullFilesystemFailsWithoutACommitAndResumesOnceSpaceIsBack) {
  TempDir dir;
  Tmpfs fs(dir.path() + "/mnt", "256k");
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  const std::string input = generate(dir.path(), 200000, 0);  // about 1 MB of Parquet
  const std::string lake = dir.path() + "/mnt/lake";

  std::string out;
  EXPECT_EQ(run_sluice(run_args(input, lake), &out), 1) << out;
  EXPECT_NE(out.find("No space left on device"), std::string::npos) << out;
  const size_t commits_when_full = data_commits_by(lake + "/user_events");

  ASSERT_TRUE(fs.remount("size=64m"));
  ASSERT_EQ(run_sluice(run_args(input, lake), &out), 0) << out;
  EXPECT_GT(data_commits_by(lake + "/user_events"), commits_when_full);

  const std::string reference = dir.path() + "/reference";
  ASSERT_EQ(run_sluice(run_args(input, reference), &out), 0) << out;
  expect_same_tables(lake, reference);
  RecordProperty("commits_before_full", static_cast<int>(commits_when_full));
}

TEST(LakeDiskFaults, ReadOnlyFilesystemFailsWithoutACommitAndResumesWhenWritable) {
  TempDir dir;
  Tmpfs fs(dir.path() + "/mnt", "64m");
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  const std::string input = dir.path() + "/events.ndjson";
  append(input, generate(dir.path(), 5000, 0));
  const std::string lake = dir.path() + "/mnt/lake";
  std::string out;
  ASSERT_EQ(run_sluice(run_args(input, lake), &out), 0) << out;
  const size_t commits = data_commits_by(lake + "/user_events");

  // More input arrives while the lake's filesystem is read-only.
  append(input, generate(dir.path(), 5000, 5000));
  ASSERT_TRUE(fs.remount("ro"));
  EXPECT_EQ(run_sluice(run_args(input, lake), &out), 1) << out;
  EXPECT_NE(out.find("Read-only file system"), std::string::npos) << out;
  ASSERT_TRUE(fs.remount("rw"));
  EXPECT_EQ(data_commits_by(lake + "/user_events"), commits);

  ASSERT_EQ(run_sluice(run_args(input, lake), &out), 0) << out;
  const std::string reference = dir.path() + "/reference";
  ASSERT_EQ(run_sluice(run_args(input, reference), &out), 0) << out;
  expect_same_tables(lake, reference);
}

}  // namespace
}  // namespace sluice::testing
