// Crash recovery and fencing: open() turns any state a killed commit can
// leave behind into exactly the table the log describes; a second writer on
// the same stream positions is fenced with StaleWriterError.
#include <filesystem>
#include <fstream>

#include "lake_test_util.h"
#include "sinks/lake/lake_writer.h"

namespace sluice {
namespace {

using namespace sluice::testing;
namespace fs = std::filesystem;

class LakeRecovery : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = lake_config(tmp_.path(), hourly_keys());
    table_ = tmp_.path() + "/events";
  }

  // Commits `rows` rows in hour 13 and returns the entry.
  LakeCommitEntry commit_rows(LakeWriter& writer, int rows, int64_t start) {
    RecordBatch b(schema_);
    for (int i = 0; i < rows; ++i) {
      add_row(b, "v", i, start + i, 1.0, true, ts_of("2024-03-01T13:00:00Z") + i);
    }
    writer.append(b);
    return writer.commit({{"t/0", start}}, {{"t/0", start + rows}}, {});
  }

  int64_t logged_rows() {
    int64_t n = 0;
    for (const auto& e : read_commit_log(table_)) n += e.rows();
    return n;
  }

  TempDir tmp_;
  OutputSchema schema_ = all_types_schema();
  LakeSinkConfig config_;
  std::string table_;
};

// Killed after staging, before the log entry was published: roll back.
TEST_F(LakeRecovery, UnreferencedStagingFilesOfThisWriterAreRemoved) {
  {
    LakeWriter writer(config_, schema_, "ts", "w1");
    writer.open();
    LakeCommitEntry e = commit_rows(writer, 5, 0);
    // Leave behind what a killed second commit would: a staged file and a tmp
    // log entry, neither published.
    fs::copy_file(table_ + "/" + e.files[0].path,
                  table_ + "/_sluice_staging/w1-00000000000000000002-0.parquet.inprogress");
    std::ofstream(table_ + "/_sluice_log/.00000000000000000002.w1.tmp") << "{\"seq\": 2";
  }
  // Another writer's staging file is not ours to delete.
  std::ofstream(table_ + "/_sluice_staging/w2-00000000000000000007-0.parquet.inprogress") << "x";
  EXPECT_EQ(glob_rows(table_), 5);  // staging files are invisible to a glob

  LakeWriter writer(config_, schema_, "ts", "w1");
  LakeState state = writer.open();
  EXPECT_EQ(state.last_seq, 1);
  EXPECT_EQ(state.offsets.at("t/0"), 5);
  EXPECT_FALSE(
      fs::exists(table_ + "/_sluice_staging/w1-00000000000000000002-0.parquet.inprogress"));
  EXPECT_FALSE(fs::exists(table_ + "/_sluice_log/.00000000000000000002.w1.tmp"));
  EXPECT_TRUE(fs::exists(table_ + "/_sluice_staging/w2-00000000000000000007-0.parquet.inprogress"));
  EXPECT_EQ(glob_rows(table_), logged_rows());
  // The writer resumes from the committed positions.
  EXPECT_EQ(commit_rows(writer, 3, 5).seq, 2);
  EXPECT_EQ(glob_rows(table_), 8);
  EXPECT_EQ(logged_rows(), 8);
}

// Killed after the commit point, before the files were moved: roll forward.
TEST_F(LakeRecovery, PublishedEntryWithUnmovedFilesIsRolledForward) {
  LakeCommitEntry e;
  {
    LakeWriter writer(config_, schema_, "ts", "w1");
    writer.open();
    commit_rows(writer, 4, 0);
    RecordBatch b(schema_);
    add_row(b, "x", 1, 100, 1.0, true, ts_of("2024-03-01T15:00:00Z"));  // new partition
    add_row(b, "y", 2, 101, 1.0, true, ts_of("2024-03-01T13:30:00Z"));
    writer.append(b);
    e = writer.commit({{"t/0", 4}}, {{"t/0", 6}}, {});
  }
  ASSERT_EQ(e.files.size(), 2u);
  // Undo step 3 of the commit: files back to staging, new partition dir gone.
  for (const auto& f : e.files) fs::rename(table_ + "/" + f.path, table_ + "/" + f.staging);
  fs::remove_all(table_ + "/year=2024/month=03/day=01/hour=15");
  EXPECT_EQ(glob_rows(table_), 4);
  EXPECT_EQ(logged_rows(), 6);

  LakeWriter writer(config_, schema_, "ts", "w1");
  LakeState state = writer.open();
  EXPECT_EQ(state.last_seq, 2);
  EXPECT_EQ(state.offsets.at("t/0"), 6);
  for (const auto& f : e.files) {
    EXPECT_TRUE(fs::exists(table_ + "/" + f.path)) << f.path;
    EXPECT_FALSE(fs::exists(table_ + "/" + f.staging)) << f.staging;
  }
  EXPECT_EQ(glob_rows(table_), 6);
  EXPECT_TRUE(verify_table(table_).ok);
}

// A parquet file of this writer at a final path that the log does not list
// is removed, so the glob equals the log.
TEST_F(LakeRecovery, UnloggedFinalFileOfThisWriterIsRemoved) {
  std::string stray;
  {
    LakeWriter writer(config_, schema_, "ts", "w1");
    writer.open();
    LakeCommitEntry e = commit_rows(writer, 4, 0);
    stray = table_ + "/year=2024/month=03/day=01/hour=13/part-00000000000000000009-0-w1.parquet";
    fs::copy_file(table_ + "/" + e.files[0].path, stray);
  }
  EXPECT_EQ(glob_rows(table_), 8);
  LakeWriter writer(config_, schema_, "ts", "w1");
  writer.open();
  EXPECT_FALSE(fs::exists(stray));
  EXPECT_EQ(glob_rows(table_), 4);
}

// Repeated open() after each simulated crash state keeps exactly-once.
TEST_F(LakeRecovery, RecoveryIsIdempotent) {
  {
    LakeWriter writer(config_, schema_, "ts", "w1");
    writer.open();
    LakeCommitEntry e = commit_rows(writer, 4, 0);
    fs::rename(table_ + "/" + e.files[0].path, table_ + "/" + e.files[0].staging);
  }
  for (int i = 0; i < 3; ++i) {
    LakeWriter writer(config_, schema_, "ts", "w1");
    EXPECT_EQ(writer.open().offsets.at("t/0"), 4);
    EXPECT_EQ(glob_rows(table_), 4);
    EXPECT_EQ(logged_rows(), 4);
  }
  EXPECT_EQ(count_files(table_ + "/_sluice_staging"), 0u);
}

TEST_F(LakeRecovery, SecondWriterOnSameStreamIsFenced) {
  LakeWriter a(config_, schema_, "ts", "a");
  LakeWriter b(config_, schema_, "ts", "b");
  EXPECT_TRUE(a.open().offsets.empty());
  EXPECT_TRUE(b.open().offsets.empty());
  commit_rows(a, 10, 0);  // a: t/0 0 -> 10

  // b read t/0 from 0 as well: it must not commit those rows again.
  RecordBatch batch(schema_);
  add_row(batch, "dup", 1, 1, 1.0, true, ts_of("2024-03-01T13:00:00Z"));
  b.append(batch);
  EXPECT_THROW(b.commit({{"t/0", 0}}, {{"t/0", 1}}, {}), StaleWriterError);
  EXPECT_EQ(b.buffered_rows(), 1u);  // kept until the caller discards it
  b.discard_buffer();
  EXPECT_EQ(b.buffered_rows(), 0u);
  EXPECT_EQ(count_files(table_ + "/_sluice_staging"), 0u);
  EXPECT_EQ(read_commit_log(table_).size(), 1u);
  EXPECT_EQ(glob_rows(table_), 10);

  // Resuming from the committed position works, also for a fresh stream.
  b.append(batch);
  LakeCommitEntry e = b.commit({{"t/0", 10}, {"t/1", 0}}, {{"t/0", 11}, {"t/1", 3}}, {});
  EXPECT_EQ(e.seq, 2);
  // Now a is the stale one.
  EXPECT_THROW(commit_rows(a, 5, 10), StaleWriterError);
  a.discard_buffer();
  EXPECT_EQ(glob_rows(table_), 11);
  EXPECT_EQ(logged_rows(), 11);
  EXPECT_TRUE(verify_table(table_).ok);
}

TEST_F(LakeRecovery, WritersOnDisjointStreamsInterleave) {
  LakeWriter a(config_, schema_, "ts", "a");
  LakeWriter b(config_, schema_, "ts", "b");
  a.open();
  b.open();
  RecordBatch batch(schema_);
  add_row(batch, "x", 1, 1, 1.0, true, ts_of("2024-03-01T13:00:00Z"));
  for (int i = 0; i < 3; ++i) {
    a.append(batch);
    EXPECT_EQ(a.commit({{"t/0", i}}, {{"t/0", i + 1}}, {}).seq, 2 * i + 1);
    b.append(batch);
    EXPECT_EQ(b.commit({{"t/1", i}}, {{"t/1", i + 1}}, {}).seq, 2 * i + 2);
  }
  LakeWriter c(config_, schema_, "ts", "c");
  LakeState state = c.open();
  EXPECT_EQ(state.last_seq, 6);
  EXPECT_EQ(state.offsets, (SourceOffsets{{"t/0", 3}, {"t/1", 3}}));
  EXPECT_EQ(glob_rows(table_), 6);
}

TEST_F(LakeRecovery, CommitBeforeOpenIsAnError) {
  LakeWriter writer(config_, schema_, "ts", "w1");
  EXPECT_THROW(writer.commit({}, {}, {}), RuntimeError);
}

}  // namespace
}  // namespace sluice
