// LakeWriter's streaming encoders: files are encoded while rows arrive,
// partitions may encode in parallel, open files are capped, and failures or
// discards leave no staged files behind.
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "lake_test_util.h"
#include "sinks/lake/commit_log.h"
#include "sinks/lake/lake_writer.h"

namespace sluice {
namespace {

using namespace sluice::testing;
namespace fs = std::filesystem;

// Longer than DuckDB's 12 inlined bytes: these strings reach the encoder as
// pointers into the batch, which must stay alive until DuckDB copied them.
const std::string kLong = "a-string-longer-than-twelve-bytes-";

// `n` rows with i64 = first .. first + n - 1; every 5th row has NULL s and d.
RecordBatch numbered_rows(const OutputSchema& schema, int64_t first, int n) {
  RecordBatch b(schema);
  for (int i = 0; i < n; ++i) {
    int64_t v = first + i;
    bool null = v % 5 == 0;
    add_row(b, null ? std::nullopt : std::optional<std::string>(kLong + std::to_string(v)),
            static_cast<int32_t>(v % 1000), v, null ? std::nullopt : std::optional<double>(v * 0.5),
            v % 2 == 0, ts_of("2024-01-01T00:00:00Z"));
  }
  return b;
}

// Checks that the table holds i64 = 0 .. n - 1 exactly once, with the values
// and NULLs numbered_rows() gave them.
void expect_numbered_table(const std::string& table, int64_t n) {
  DuckDb db(1);
  const std::string src = "read_parquet(" + glob_of(table) + ")";
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM " + src), n);
  EXPECT_EQ(query_int(db, "SELECT count(DISTINCT i64) FROM " + src), n);
  EXPECT_EQ(query_int(db, "SELECT max(i64) FROM " + src), n - 1);
  EXPECT_EQ(
      query_int(db, "SELECT count(*) FROM " + src +
                        " WHERE (s IS NULL) <> (i64 % 5 = 0) OR (d IS NULL) <> (i64 % 5 = 0)"),
      0);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM " + src + " WHERE s <> '" + kLong +
                              "' || i64 OR d * 2 <> i64"),
            0);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM " + src + " WHERE b <> (i64 % 2 = 0)"), 0);
}

size_t file_size_or_zero(const std::string& dir) {
  size_t total = 0;
  if (!fs::exists(dir)) return 0;
  for (const auto& e : fs::directory_iterator(dir)) total += fs::file_size(e.path());
  return total;
}

TEST(LakeStreaming, EncodingStartsBeforeTheCommit) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), {});
  config.row_group_size = 1024;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  const int kBatches = 40, kRows = 1000;  // not a multiple of DuckDB's 2048-row vectors
  for (int i = 0; i < kBatches; ++i)
    writer.append(numbered_rows(schema, int64_t{i} * kRows, kRows));
  // Row groups are written to the staged file while the rows arrive: bytes
  // appear in staging without any commit.
  const std::string staging = tmp.path() + "/events/_sluice_staging";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (file_size_or_zero(staging) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(file_size_or_zero(staging), 0u);
  EXPECT_TRUE(read_commit_log(tmp.path() + "/events").empty());
  LakeCommitEntry e = writer.commit({}, {{"t/0", 1}}, {});
  int64_t rows = 0;
  for (const auto& f : e.files) rows += f.rows;
  EXPECT_EQ(rows, kBatches * kRows);
  expect_numbered_table(tmp.path() + "/events", kBatches * kRows);
  EXPECT_EQ(count_files(staging), 0u);
}

TEST(LakeStreaming, OneEncoderKeepsOneFilePerPartition) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), {});
  config.row_group_size = 1024;
  config.encoders = 1;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  for (int i = 0; i < 100; ++i) writer.append(numbered_rows(schema, int64_t{i} * 999, 999));
  EXPECT_EQ(writer.pending_files(), 1u);
  LakeCommitEntry e = writer.commit({}, {}, {});
  ASSERT_EQ(e.files.size(), 1u);
  EXPECT_EQ(e.files[0].rows, 99900);
  expect_numbered_table(tmp.path() + "/events", 99900);
}

TEST(LakeStreaming, ParallelEncodersWriteEveryRowOnce) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), {});
  config.row_group_size = 1024;
  config.encoders = 2;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  // Several commits, each with up to two files of the one partition.
  int64_t next = 0;
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 60; ++i) {
      writer.append(numbered_rows(schema, next, 1500));
      next += 1500;
    }
    EXPECT_LE(writer.pending_files(), 2u);
    LakeCommitEntry e = writer.commit({}, {{"t/0", c + 1}}, {});
    int64_t rows = 0;
    for (const auto& f : e.files) rows += f.rows;
    EXPECT_EQ(rows, 60 * 1500);
  }
  expect_numbered_table(tmp.path() + "/events", next);
  EXPECT_TRUE(verify_table(tmp.path() + "/events").ok);
}

// `n` rows of numbered_rows() whose string column (the partition key
// below) is `partition`.
RecordBatch partition_rows(const OutputSchema& schema, const std::string& partition, int64_t first,
                           int n) {
  RecordBatch b(schema);
  for (int i = 0; i < n; ++i) add_row(b, partition, 1, first + i, 1.0, true, 0);
  return b;
}

TEST(LakeStreaming, OpenFilesAreCappedLeastRecentlyUsedFirst) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), {{"s", "s", PartitionKey::kField}});
  config.max_open_files = 2;
  config.row_group_size = 1024;
  config.encoders = 1;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  // a, b, c, a, b, c in runs of 1500 rows: each run fills a row group of its
  // partition, and with two open files at most, each new file closes the
  // least recently used one, so no partition keeps a file across the round.
  int64_t v = 0;
  for (int round = 0; round < 2; ++round) {
    for (const char* p : {"a", "b", "c"}) {
      writer.append(partition_rows(schema, p, v, 1500));
      v += 1500;
      EXPECT_LE(writer.open_files(), 2u);
    }
  }
  EXPECT_EQ(writer.open_files(), 2u);
  EXPECT_EQ(writer.pending_files(), 6u);  // a1 b1 c1 a2 b2 c2
  LakeCommitEntry e = writer.commit({}, {}, {});
  // The commit's last row groups (952 rows each) open a third file each.
  ASSERT_EQ(e.files.size(), 9u);
  std::map<std::string, int> files_per_partition;
  std::map<std::string, int64_t> rows_per_partition;
  for (const auto& f : e.files) {
    files_per_partition[f.partition]++;
    rows_per_partition[f.partition] += f.rows;
    EXPECT_TRUE(f.rows == 1024 || f.rows == 952) << f.rows;
  }
  EXPECT_EQ(files_per_partition, (std::map<std::string, int>{{"s=a", 3}, {"s=b", 3}, {"s=c", 3}}));
  EXPECT_EQ(rows_per_partition,
            (std::map<std::string, int64_t>{{"s=a", 3000}, {"s=b", 3000}, {"s=c", 3000}}));
  EXPECT_EQ(glob_rows(tmp.path() + "/events"), v);
}

TEST(LakeStreaming, InterleavedPartitionsGetOneFileEach) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), {{"s", "s", PartitionKey::kField}});
  config.max_open_files = 4;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  // 50 partitions, rows interleaved one by one (a backfill out of order):
  // runs of one row are held per partition, not given a file each.
  RecordBatch b(schema);
  for (int i = 0; i < 5000; ++i) add_row(b, "p" + std::to_string(i % 50), 1, i, 1.0, true, 0);
  writer.append(b);
  writer.append(b);
  EXPECT_EQ(writer.pending_files(), 0u);
  LakeCommitEntry e = writer.commit({}, {}, {});
  ASSERT_EQ(e.files.size(), 50u);
  for (const auto& f : e.files) EXPECT_EQ(f.rows, 200);
  DuckDb db(1);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM read_parquet(" + glob_of(tmp.path() + "/events") +
                              ", hive_partitioning = false) WHERE s = 'p7' AND i64 % 50 = 7"),
            200);
  EXPECT_EQ(glob_rows(tmp.path() + "/events"), 10000);
}

TEST(LakeStreaming, EncoderFailureFailsTheCommitAndPublishesNothing) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), {});
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  // The encoder cannot create its file.
  fs::remove_all(tmp.path() + "/events/_sluice_staging");
  bool threw = false;
  try {
    writer.append(numbered_rows(schema, 0, 100));
    writer.commit({}, {{"t/0", 1}}, {});
  } catch (const RuntimeError& e) {
    threw = true;
    EXPECT_NE(std::string(e.what()).find("parquet: encoding failed"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(threw);
  EXPECT_TRUE(read_commit_log(tmp.path() + "/events").empty());
  EXPECT_EQ(writer.buffered_rows(), 0u);
}

TEST(LakeStreaming, DestroyedWriterLeavesNoStagedFiles) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), {});
  config.row_group_size = 1024;
  {
    LakeWriter writer(config, schema, "ts", "w1");
    writer.open();
    for (int i = 0; i < 10; ++i) writer.append(numbered_rows(schema, int64_t{i} * 5000, 5000));
    EXPECT_GE(writer.pending_files(), 1u);  // encoding, not committed
  }
  EXPECT_EQ(count_files(tmp.path() + "/events/_sluice_staging"), 0u);
  EXPECT_TRUE(read_commit_log(tmp.path() + "/events").empty());
}

}  // namespace
}  // namespace sluice
