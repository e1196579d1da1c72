// LakeWriter's partition buffers and encoder pool: interleaved and
// high-cardinality partitions give files near their target size, parallel
// encoders write every row once, the memory caps hold (the largest buffers
// flush first), the DuckDB encoder stays selectable, and the written table
// does not depend on how the rows were cut into batches.
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "lake_test_util.h"
#include "sinks/lake/commit_log.h"
#include "sinks/lake/lake_writer.h"

namespace sluice {
namespace {

using namespace sluice::testing;
namespace fs = std::filesystem;

// Partition key: the string column s.
std::vector<PartitionKey> by_s() {
  return {{"s", "s", PartitionKey::kField}};
}

// One row of all_types_schema() in partition `p` with i64 = v.
void add_numbered(RecordBatch& b, const std::string& p, int64_t v) {
  add_row(b, p, static_cast<int32_t>(v % 1000), v, v * 0.5, v % 2 == 0,
          ts_of("2024-01-01T00:00:00Z") + v);
}

// Checks that the table holds i64 = 0 .. n - 1 exactly once, each row in the
// partition `partition_of(i64)` with the values add_numbered() gave it.
template <typename PartitionOf>
void expect_rows_once(const std::string& table, int64_t n, PartitionOf partition_of) {
  DuckDb db(1);
  const std::string src = "read_parquet(" + glob_of(table) + ", hive_partitioning = false)";
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM " + src), n);
  EXPECT_EQ(query_int(db, "SELECT count(DISTINCT i64) FROM " + src), n);
  EXPECT_EQ(query_int(db, "SELECT max(i64) FROM " + src), n - 1);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM " + src +
                              " WHERE i32 <> i64 % 1000 OR d * 2 <> i64 OR b <> (i64 % 2 = 0)"
                              " OR epoch_us(ts) - epoch_us(TIMESTAMP '2024-01-01') <> i64"),
            0);
  // Every row is in the directory of its partition value.
  DuckResult r;
  db.query("SELECT s, i64, filename FROM read_parquet(" + glob_of(table) +
               ", hive_partitioning = false, filename = true) ORDER BY i64 LIMIT 5000",
           r);
  for (size_t i = 0; i < r.rows(); ++i) {
    const std::string s = r.string_at(0, i);
    EXPECT_EQ(s, partition_of(r.int64_at(1, i)));
    EXPECT_NE(r.string_at(2, i).find("/s=" + s + "/"), std::string::npos) << r.string_at(2, i);
  }
}

TEST(LakeBuffers, InterleavedPartitionsOverManyBatchesGiveOneFileEach) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), by_s());
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  // 50 partitions, rows interleaved one by one, in 100 batches of 100 rows:
  // no batch may cost a file (or a row group) per partition.
  int64_t v = 0;
  for (int batch = 0; batch < 100; ++batch) {
    RecordBatch b(schema);
    for (int i = 0; i < 100; ++i, ++v) add_numbered(b, "p" + std::to_string(v % 50), v);
    writer.append(b);
  }
  EXPECT_EQ(writer.pending_files(), 0u);  // all below a row group: buffered
  LakeCommitEntry e = writer.commit({}, {{"t/0", 1}}, {});
  ASSERT_EQ(e.files.size(), 50u);
  for (const auto& f : e.files) EXPECT_EQ(f.rows, 200);
  // One row group per file.
  DuckDb db(1);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM parquet_metadata(" +
                              glob_of(tmp.path() + "/events") + ") WHERE column_id = 0"),
            50);
  expect_rows_once(tmp.path() + "/events", v,
                   [](int64_t i) { return "p" + std::to_string(i % 50); });
}

TEST(LakeBuffers, ParallelEncodersWriteEveryRowOfManyPartitionsOnce) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), by_s());
  config.row_group_size = 500;
  config.rotate_max_rows = 2000;
  config.encoders = 2;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  std::mt19937 rng(7);
  int64_t v = 0;
  for (int commit = 0; commit < 3; ++commit) {
    for (int batch = 0; batch < 40; ++batch) {
      RecordBatch b(schema);
      for (int i = 0; i < 997; ++i, ++v) add_numbered(b, "p" + std::to_string(v % 8), v);
      writer.append(std::make_shared<const RecordBatch>(std::move(b)));
    }
    LakeCommitEntry e = writer.commit({}, {{"t/0", commit + 1}}, {});
    int64_t rows = 0;
    for (const auto& f : e.files) {
      rows += f.rows;
      EXPECT_LE(f.rows, 2000);
    }
    EXPECT_EQ(rows, 40 * 997);
  }
  expect_rows_once(tmp.path() + "/events", v,
                   [](int64_t i) { return "p" + std::to_string(i % 8); });
  EXPECT_TRUE(verify_table(tmp.path() + "/events").ok);
  // Row groups follow row_group_size.
  DuckDb db(1);
  EXPECT_EQ(query_int(db, "SELECT max(row_group_num_rows) FROM parquet_metadata(" +
                              glob_of(tmp.path() + "/events") + ")"),
            500);
}

TEST(LakeBuffers, TotalBufferCapFlushesTheLargestPartitionFirst) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), by_s());
  config.max_buffer_bytes = 64 << 10;
  config.encoders = 1;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  // "big" gets 48 of every 50 rows, "s1" and "s2" one each (so that their
  // buffers, which grow by doubling chunks, never outgrow big's).
  int64_t v = 0;
  size_t most = 0;
  for (int batch = 0; batch < 50; ++batch) {
    RecordBatch b(schema);
    for (int i = 0; i < 100; ++i, ++v) {
      add_numbered(b, i % 50 == 0 ? "s1" : i % 50 == 1 ? "s2" : "big", v);
    }
    writer.append(b);
    EXPECT_LE(writer.buffer_bytes(), size_t{64} << 10);
    most = std::max(most, writer.buffer_bytes());
  }
  EXPECT_GT(most, size_t{32} << 10);  // the cap was approached, so it acted
  // Only the largest buffer was flushed: "big" has files, the small ones
  // still hold all their rows in memory.
  EXPECT_GE(writer.pending_files(), 1u);
  EXPECT_GT(writer.partition_buffer_bytes("s=s1"), 0u);
  EXPECT_GT(writer.partition_buffer_bytes("s=s2"), 0u);
  LakeCommitEntry e = writer.commit({}, {}, {});
  std::map<std::string, int> files;
  for (const auto& f : e.files) files[f.partition]++;
  EXPECT_EQ(files["s=s1"], 1);
  EXPECT_EQ(files["s=s2"], 1);
  EXPECT_GE(files["s=big"], 1);
  // "big" was flushed several times: its file has several row groups.
  DuckDb db(1);
  EXPECT_GT(query_int(db, "SELECT count(DISTINCT row_group_id) FROM parquet_metadata(" +
                              glob_of(tmp.path() + "/events/s=big") + ")"),
            1);
  expect_rows_once(tmp.path() + "/events", v, [](int64_t i) {
    return i % 50 == 0 ? std::string("s1") : i % 50 == 1 ? std::string("s2") : std::string("big");
  });
}

TEST(LakeBuffers, PartitionBufferCapCutsRowGroupsBySize) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), {});
  config.max_partition_buffer_bytes = 16 << 10;
  config.encoders = 1;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  int64_t v = 0;
  for (int batch = 0; batch < 40; ++batch) {
    RecordBatch b(schema);
    for (int i = 0; i < 100; ++i, ++v) add_numbered(b, std::string(100, 'x'), v);
    writer.append(b);
    EXPECT_LT(writer.buffer_bytes(), size_t{16} << 10);
  }
  LakeCommitEntry e = writer.commit({}, {}, {});
  ASSERT_EQ(e.files.size(), 1u);
  EXPECT_EQ(e.files[0].rows, v);
  // ~135 bytes a row in memory: row groups of at most ~16 KiB, not one group.
  DuckDb db(1);
  EXPECT_GT(query_int(db, "SELECT count(DISTINCT row_group_id) FROM parquet_metadata(" +
                              glob_of(tmp.path() + "/events") + ")"),
            10);
}

TEST(LakeBuffers, QueuedBytesCapMakesAppendWait) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), by_s());
  config.row_group_size = 1024;
  config.max_queued_bytes = 1024;  // at most about one row group waits
  config.encoders = 1;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  int64_t v = 0;
  for (int batch = 0; batch < 30; ++batch) {
    RecordBatch b(schema);
    for (int i = 0; i < 4096; ++i, ++v) add_numbered(b, "p" + std::to_string(v % 4), v);
    writer.append(b);
    EXPECT_LE(writer.queued_bytes(), size_t{1024});
  }
  writer.commit({}, {}, {});
  expect_rows_once(tmp.path() + "/events", v,
                   [](int64_t i) { return "p" + std::to_string(i % 4); });
}

TEST(LakeBuffers, HighCardinalityKeyStaysBounded) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), by_s());
  config.max_open_files = 16;
  config.max_buffer_bytes = 512 << 10;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  // 500 partitions (like page_url x day), each row in a random one, more
  // rows than the buffers may hold: the largest buffers go to files, at
  // most 16 files accept rows at once.
  std::mt19937 rng(11);
  std::vector<int> partition_of;
  int64_t v = 0;
  for (int batch = 0; batch < 10; ++batch) {
    RecordBatch b(schema);
    for (int i = 0; i < 2000; ++i, ++v) {
      partition_of.push_back(static_cast<int>(rng() % 500));
      add_numbered(b, "url" + std::to_string(partition_of.back()), v);
    }
    writer.append(std::make_shared<const RecordBatch>(std::move(b)));
    EXPECT_LE(writer.buffer_bytes(), size_t{512} << 10);
    EXPECT_LE(writer.open_files(), 16u);
  }
  EXPECT_GT(writer.pending_files(), 16u);
  LakeCommitEntry e = writer.commit({}, {}, {});
  std::set<std::string> partitions;
  int64_t rows = 0;
  for (const auto& f : e.files) {
    partitions.insert(f.partition);
    rows += f.rows;
  }
  EXPECT_EQ(rows, v);
  std::set<int> distinct(partition_of.begin(), partition_of.end());
  EXPECT_EQ(partitions.size(), distinct.size());
  expect_rows_once(tmp.path() + "/events", v,
                   [&](int64_t i) { return "url" + std::to_string(partition_of[i]); });
}

TEST(LakeBuffers, EncoderFailureWhileAppendingPublishesNothing) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), by_s());
  config.row_group_size = 1024;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  fs::remove_all(tmp.path() + "/events/_sluice_staging");  // files cannot be created
  bool threw = false;
  try {
    int64_t v = 0;
    for (int batch = 0; batch < 50; ++batch) {
      RecordBatch b(schema);
      for (int i = 0; i < 2048; ++i, ++v) add_numbered(b, "p" + std::to_string(v % 3), v);
      writer.append(b);
    }
    writer.commit({}, {{"t/0", 1}}, {});
  } catch (const RuntimeError& e) {
    threw = true;
    EXPECT_NE(std::string(e.what()).find("parquet: encoding failed"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(threw);
  EXPECT_TRUE(read_commit_log(tmp.path() + "/events").empty());
  EXPECT_EQ(writer.buffered_rows(), 0u);
  EXPECT_EQ(writer.pending_files(), 0u);
  // The writer goes on once the cause is gone.
  fs::create_directories(tmp.path() + "/events/_sluice_staging");
  RecordBatch b(schema);
  add_numbered(b, "p0", 0);
  writer.append(b);
  EXPECT_EQ(writer.commit({}, {{"t/0", 1}}, {}).files.size(), 1u);
}

TEST(LakeBuffers, DuckDbEncoderStaysSelectable) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), by_s());
  config.encoder = LakeEncoder::kDuckDb;
  config.row_group_size = 2048;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  int64_t v = 0;
  for (int batch = 0; batch < 10; ++batch) {
    RecordBatch b(schema);
    for (int i = 0; i < 1000; ++i, ++v) add_numbered(b, "p" + std::to_string(v % 3), v);
    writer.append(b);
  }
  writer.commit({}, {}, {});
  expect_rows_once(tmp.path() + "/events", v,
                   [](int64_t i) { return "p" + std::to_string(i % 3); });
  DuckDb db(1);
  DuckResult r;
  db.query("SELECT DISTINCT created_by FROM parquet_file_metadata(" +
               glob_of(tmp.path() + "/events") + ")",
           r);
  ASSERT_EQ(r.rows(), 1u);
  EXPECT_NE(r.string_at(0, 0).find("DuckDB"), std::string::npos) << r.string_at(0, 0);
}

// The files of a table (partition, rows) and the i64 sequence of each, in
// file order: what batch sizes must not change.
struct TableShape {
  std::vector<std::pair<std::string, int64_t>> files;
  std::vector<std::vector<int64_t>> values;
  bool operator==(const TableShape&) const = default;
};

TableShape write_in_batches(const std::string& root, const std::vector<std::string>& partitions,
                            size_t batch_rows) {
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(root, by_s());
  config.row_group_size = 500;
  config.rotate_max_rows = 1200;
  config.encoders = 1;  // no second file of a lagging partition (timing)
  // No LRU closes: which file closes first would follow the order in which
  // partitions fill up within one batch.
  config.max_open_files = 100;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  for (size_t at = 0; at < partitions.size(); at += batch_rows) {
    RecordBatch b(schema);
    for (size_t i = at; i < std::min(partitions.size(), at + batch_rows); ++i) {
      add_numbered(b, partitions[i], static_cast<int64_t>(i));
    }
    writer.append(std::make_shared<const RecordBatch>(std::move(b)));
  }
  LakeCommitEntry e = writer.commit({}, {}, {});
  TableShape shape;
  DuckDb db(1);
  for (const auto& f : e.files) {
    shape.files.emplace_back(f.partition, f.rows);
    DuckResult r;
    db.query("SELECT i64 FROM read_parquet(" + sql_quote(root + "/events/" + f.path) +
                 ", file_row_number = true) ORDER BY file_row_number",
             r);
    std::vector<int64_t> values;
    for (size_t i = 0; i < r.rows(); ++i) values.push_back(r.int64_at(0, i));
    shape.values.push_back(std::move(values));
  }
  return shape;
}

TEST(LakeBuffers, BatchSizeDoesNotChangeTheTable) {
  // 20,000 rows over 12 partitions: runs of random length (a live-like mix).
  std::mt19937 rng(3);
  std::vector<std::string> partitions;
  while (partitions.size() < 20000) {
    std::string p = "p" + std::to_string(rng() % 12);
    const size_t run = 1 + rng() % 40;
    for (size_t i = 0; i < run && partitions.size() < 20000; ++i) partitions.push_back(p);
  }
  TempDir a, b, c;
  TableShape one = write_in_batches(a.path(), partitions, 1);
  TableShape seven = write_in_batches(b.path(), partitions, 7);
  TableShape big = write_in_batches(c.path(), partitions, 8192);
  EXPECT_GT(one.files.size(), 12u);  // rotation at 1,200 rows made more files
  EXPECT_TRUE(one == seven);
  EXPECT_TRUE(one == big);
  // Within each file the rows keep their arrival order.
  for (const auto& values : one.values) {
    EXPECT_TRUE(std::is_sorted(values.begin(), values.end()));
  }
  int64_t total = 0;
  for (const auto& f : one.files) total += f.second;
  EXPECT_EQ(total, 20000);
}

}  // namespace
}  // namespace sluice
