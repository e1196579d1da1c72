// LakeWriter: Parquet contents read back with DuckDB, partition layout,
// compression, commit log entries and offsets, rotation thresholds.
#include <filesystem>

#include "lake_test_util.h"
#include "sinks/lake/lake_writer.h"

namespace sluice {
namespace {

using namespace sluice::testing;
namespace fs = std::filesystem;

TEST(LakeWriter, WritesAllTypesWithNullsIntoHourlyPartitions) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeWriter writer(lake_config(tmp.path(), hourly_keys()), schema, "ts", "w1");
  LakeState state = writer.open();
  EXPECT_EQ(state.last_seq, 0);
  EXPECT_TRUE(state.offsets.empty());

  RecordBatch b(schema);
  add_row(b, "alpha", 1, 10, 1.5, true, ts_of("2024-03-01T13:05:00.123456Z"));
  add_row(b, std::nullopt, std::nullopt, 11, std::nullopt, std::nullopt,
          ts_of("2024-03-01T13:59:00Z"));
  add_row(b, "gamma \xC3\xA9", -3, 12, -2.25, false, ts_of("2024-03-01T14:00:00Z"));
  add_row(b, "no-time", 4, 13, 0.0, true, std::nullopt);
  writer.append(b);
  EXPECT_EQ(writer.buffered_rows(), 4u);
  LakeCommitEntry entry = writer.commit({}, {{"t/0", 4}}, {});
  EXPECT_EQ(writer.buffered_rows(), 0u);
  EXPECT_EQ(entry.seq, 1);
  ASSERT_EQ(entry.files.size(), 3u);  // hour 13, hour 14, default partition

  const std::string table = tmp.path() + "/events";
  EXPECT_TRUE(fs::is_directory(table + "/year=2024/month=03/day=01/hour=13"));
  EXPECT_TRUE(fs::is_directory(table + "/year=2024/month=03/day=01/hour=14"));
  EXPECT_TRUE(fs::is_directory(table +
                               "/year=__HIVE_DEFAULT_PARTITION__/month=__HIVE_DEFAULT_PARTITION__/"
                               "day=__HIVE_DEFAULT_PARTITION__/hour=__HIVE_DEFAULT_PARTITION__"));

  DuckDb db(1);
  DuckResult r;
  db.query("SELECT s, i32, i64, d, b, epoch_us(ts), year, month, hour FROM read_parquet(" +
               glob_of(table) + ", hive_partitioning=true) ORDER BY i64",
           r);
  ASSERT_EQ(r.rows(), 4u);
  EXPECT_EQ(r.string_at(0, 0), "alpha");
  EXPECT_EQ(r.int64_at(1, 0), 1);
  EXPECT_EQ(r.int64_at(2, 0), 10);
  EXPECT_DOUBLE_EQ(r.double_at(3, 0), 1.5);
  EXPECT_TRUE(r.bool_at(4, 0));
  EXPECT_EQ(r.int64_at(5, 0), ts_of("2024-03-01T13:05:00.123456Z"));
  EXPECT_EQ(r.int64_at(6, 0), 2024);
  EXPECT_EQ(r.int64_at(7, 0), 3);
  EXPECT_EQ(r.int64_at(8, 0), 13);
  for (size_t col = 0; col < 5; ++col) {
    if (col == 2) continue;
    EXPECT_TRUE(r.is_null(col, 1)) << col;
  }
  EXPECT_FALSE(r.is_null(5, 1));
  EXPECT_EQ(r.string_at(0, 2), "gamma \xC3\xA9");
  EXPECT_EQ(r.int64_at(1, 2), -3);
  EXPECT_DOUBLE_EQ(r.double_at(3, 2), -2.25);
  EXPECT_FALSE(r.bool_at(4, 2));
  EXPECT_EQ(r.int64_at(8, 2), 14);
  EXPECT_TRUE(r.is_null(5, 3));  // NULL timestamp went to the default partition

  // Column names and types in the file follow the OutputSchema.
  DuckResult types;
  db.query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(" +
               glob_of(table) + ", hive_partitioning=false))",
           types);
  ASSERT_EQ(types.rows(), schema.size());
  for (size_t i = 0; i < schema.size(); ++i) {
    EXPECT_EQ(types.string_at(0, i), schema[i].name);
    // Timestamps are written as TIMESTAMP(MICROS, isAdjustedToUTC=true): UTC
    // instants, which DuckDB reads as TIMESTAMPTZ.
    EXPECT_EQ(types.string_at(1, i), schema[i].type == ColumnType::kTimestamp
                                         ? std::string("TIMESTAMP WITH TIME ZONE")
                                         : std::string(column_sql_type(schema[i].type)));
  }
  // zstd by default.
  DuckResult codecs;
  db.query("SELECT DISTINCT compression FROM parquet_metadata(" + glob_of(table) + ")", codecs);
  ASSERT_EQ(codecs.rows(), 1u);
  EXPECT_EQ(codecs.string_at(0, 0), "ZSTD");
}

// More rows than one DuckDB vector, with NULLs spread over chunk borders.
TEST(LakeWriter, LargeBatchReadsBackExactly) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), {});
  config.row_group_size = 3000;
  config.encoders = 1;  // one file: row order is checked across the table
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  RecordBatch b(schema);
  const int n = 10000;
  int64_t expect_sum = 0, expect_nulls = 0, expect_len = 0;
  for (int i = 0; i < n; ++i) {
    bool null = i % 7 == 3;
    std::string s = "row-" + std::to_string(i);
    add_row(b, null ? std::nullopt : std::optional<std::string>(s),
            null ? std::nullopt : std::optional<int32_t>(i), i, i * 0.5, i % 2 == 0,
            ts_of("2024-01-01T00:00:00Z") + i);
    if (null) {
      ++expect_nulls;
    } else {
      expect_sum += i;
      expect_len += static_cast<int64_t>(s.size());
    }
  }
  writer.append(b);
  writer.commit({}, {}, {});
  const std::string table = tmp.path() + "/events";
  DuckDb db(1);
  const std::string src = "read_parquet(" + glob_of(table) + ")";
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM " + src), n);
  EXPECT_EQ(query_int(db, "SELECT sum(i32) FROM " + src), expect_sum);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM " + src + " WHERE s IS NULL"), expect_nulls);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM " + src + " WHERE i32 IS NULL"), expect_nulls);
  EXPECT_EQ(query_int(db, "SELECT sum(length(s)) FROM " + src), expect_len);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM " + src + " WHERE s <> 'row-' || i64"), 0);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM " + src + " WHERE b <> (i64 % 2 = 0)"), 0);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM " + src +
                              " WHERE epoch_us(ts) - epoch_us(TIMESTAMP '2024-01-01') <> i64"),
            0);
  EXPECT_EQ(query_int(db, "SELECT sum(CAST(d * 2 AS BIGINT)) FROM " + src),
            int64_t{n} * (n - 1) / 2);
  // Row order is kept within the file, and row groups follow the config.
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM (SELECT i64, row_number() OVER () - 1 AS rn FROM " +
                              src + ") WHERE i64 <> rn"),
            0);
  // 10000 rows at 3000 per group: 3000, 3000, 3000, 1000.
  EXPECT_EQ(query_int(db, "SELECT count(DISTINCT row_group_id) FROM parquet_metadata(" +
                              glob_of(table) + ")"),
            4);
  EXPECT_EQ(
      query_int(db, "SELECT max(row_group_num_rows) FROM parquet_metadata(" + glob_of(table) + ")"),
      3000);
}

TEST(LakeWriter, SnappyAndUncompressedAreConfigurable) {
  for (auto [compression, name] : {std::pair{Compression::kSnappy, "SNAPPY"},
                                   std::pair{Compression::kUncompressed, "UNCOMPRESSED"}}) {
    TempDir tmp;
    OutputSchema schema = all_types_schema();
    LakeSinkConfig config = lake_config(tmp.path(), {});
    config.compression = compression;
    LakeWriter writer(config, schema, "ts", "w1");
    writer.open();
    RecordBatch b(schema);
    add_row(b, "a", 1, 1, 1.0, true, 1);
    writer.append(b);
    writer.commit({}, {}, {});
    DuckDb db(1);
    DuckResult codecs;
    db.query("SELECT DISTINCT compression FROM parquet_metadata(" +
                 glob_of(tmp.path() + "/events") + ")",
             codecs);
    ASSERT_EQ(codecs.rows(), 1u);
    EXPECT_EQ(codecs.string_at(0, 0), name);
  }
}

TEST(LakeWriter, CommitLogAndOffsetsRoundTripThroughOpen) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), hourly_keys());
  const std::string table = tmp.path() + "/events";
  {
    LakeWriter writer(config, schema, "ts", "w1");
    writer.open();
    RecordBatch b(schema);
    add_row(b, "a", 1, 1, 1.0, true, ts_of("2024-03-01T13:00:00Z"));
    add_row(b, "b", 2, 2, 2.0, true, ts_of("2024-03-01T13:10:00Z"));
    writer.append(b);
    LakeCommitEntry e1 =
        writer.commit({{"t/0", 0}, {"t/1", 5}}, {{"t/0", 2}, {"t/1", 5}}, {{"dlq_bytes", "0"}});
    EXPECT_EQ(e1.seq, 1);
    // Nothing buffered: only the offsets advance.
    LakeCommitEntry e2 = writer.commit({{"t/0", 2}}, {{"t/0", 9}}, {{"dlq_bytes", "120"}});
    EXPECT_EQ(e2.seq, 2);
    EXPECT_TRUE(e2.files.empty());
  }
  EXPECT_TRUE(fs::exists(table + "/_sluice_log/00000000000000000001.json"));
  EXPECT_TRUE(fs::exists(table + "/_sluice_log/00000000000000000002.json"));

  std::vector<LakeCommitEntry> log = read_commit_log(table);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].seq, 1);
  EXPECT_EQ(log[0].writer_id, "w1");
  EXPECT_GT(log[0].timestamp_ms, 0);
  ASSERT_EQ(log[0].files.size(), 1u);
  EXPECT_EQ(log[0].files[0].rows, 2);
  EXPECT_EQ(log[0].files[0].partition, "year=2024/month=03/day=01/hour=13");
  EXPECT_EQ(log[0].files[0].path,
            "year=2024/month=03/day=01/hour=13/part-00000000000000000001-0-w1.parquet");
  EXPECT_EQ(log[0].files[0].bytes,
            static_cast<int64_t>(fs::file_size(table + "/" + log[0].files[0].path)));
  EXPECT_EQ(log[0].start_offsets, (SourceOffsets{{"t/0", 0}, {"t/1", 5}}));
  EXPECT_EQ(log[0].end_offsets, (SourceOffsets{{"t/0", 2}, {"t/1", 5}}));
  EXPECT_EQ(log[1].end_offsets, (SourceOffsets{{"t/0", 9}}));

  LakeWriter reopened(config, schema, "ts", "w1");
  LakeState state = reopened.open();
  EXPECT_EQ(state.last_seq, 2);
  EXPECT_EQ(state.offsets, (SourceOffsets{{"t/0", 9}, {"t/1", 5}}));
  EXPECT_EQ(state.meta.at("dlq_bytes"), "120");
  // The next commit continues the sequence.
  LakeCommitEntry e3 = reopened.commit({{"t/0", 9}}, {{"t/0", 10}}, {});
  EXPECT_EQ(e3.seq, 3);

  // Another writer id sees the last entry's meta.
  LakeWriter other(config, schema, "ts", "w2");
  EXPECT_TRUE(other.open().meta.empty());
}

TEST(LakeWriter, ShouldCommitByIntervalOrRotatedFiles) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), {});
  config.rotate_max_rows = 10;
  config.max_open_files = 2;  // also: commit once 2 rotated files wait
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  const int64_t now = monotonic_millis();
  EXPECT_FALSE(writer.should_commit(now + 10'000'000));  // nothing pending
  RecordBatch b(schema);
  for (int i = 0; i < 9; ++i) add_row(b, "v", i, i, 1.0, true, 0);
  writer.append(b);
  EXPECT_FALSE(writer.should_commit(now));
  EXPECT_TRUE(writer.should_commit(now + config.commit_interval_ms + 1));  // interval
  RecordBatch one(schema);
  add_row(one, "v", 9, 9, 1.0, true, 0);
  writer.append(one);  // the file reaches 10 rows: rotated, one file waits
  EXPECT_FALSE(writer.should_commit(now));
  writer.append(b);
  writer.append(one);  // a second rotated file
  EXPECT_TRUE(writer.should_commit(now));
  EXPECT_EQ(writer.pending_files(), 2u);
  writer.discard_buffer();
  EXPECT_EQ(writer.buffered_rows(), 0u);
  EXPECT_EQ(writer.pending_files(), 0u);
  EXPECT_FALSE(writer.should_commit(now + 10'000'000));
  EXPECT_EQ(count_files(tmp.path() + "/events/_sluice_staging"), 0u);

  LakeSinkConfig by_bytes = lake_config(tmp.path() + "/b", {});
  by_bytes.rotate_max_bytes = 200;
  by_bytes.max_open_files = 1;
  LakeWriter small(by_bytes, schema, "ts", "w1");
  small.open();
  RecordBatch wide(schema);
  add_row(wide, std::string(100, 'x'), 1, 1, 1.0, true, 0);
  small.append(wide);
  EXPECT_FALSE(small.should_commit(monotonic_millis()));
  small.append(wide);
  EXPECT_TRUE(small.should_commit(monotonic_millis()));  // bytes
  LakeCommitEntry e = small.commit({}, {}, {});
  ASSERT_EQ(e.files.size(), 1u);
  EXPECT_EQ(e.files[0].rows, 2);
}

TEST(LakeWriter, LargePartitionBufferIsSplitIntoRotatedFiles) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), {{"flag", "b", PartitionKey::kField}});
  config.rotate_max_rows = 10;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  RecordBatch b(schema);
  for (int i = 0; i < 25; ++i) add_row(b, "v", i, i, 1.0, true, 0);
  for (int i = 0; i < 3; ++i) add_row(b, "v", i, 100 + i, 1.0, false, 0);
  writer.append(b);
  LakeCommitEntry e = writer.commit({}, {}, {});
  std::vector<int64_t> rows;
  for (const auto& f : e.files) rows.push_back(f.rows);
  EXPECT_EQ(rows, (std::vector<int64_t>{3, 10, 10, 5}));  // flag=false first (sorted)
  EXPECT_EQ(glob_rows(tmp.path() + "/events"), 28);
  DuckDb db(1);
  EXPECT_EQ(query_int(db, "SELECT count(DISTINCT i64) FROM read_parquet(" +
                              glob_of(tmp.path() + "/events") + ")"),
            28);
}

TEST(LakeWriter, RejectsBatchOfAnotherSchema) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeWriter writer(lake_config(tmp.path(), {}), schema, "ts", "w1");
  writer.open();
  OutputSchema other = {{"s", ColumnType::kString}};
  RecordBatch b(other);
  b.columns[0].push_string("x");
  EXPECT_THROW(writer.append(b), RuntimeError);
}

}  // namespace
}  // namespace sluice
