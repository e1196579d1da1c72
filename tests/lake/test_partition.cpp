// Partition path computation and sanitizing of data-derived values.
#include <filesystem>
#include <set>

#include "lake_test_util.h"
#include "sinks/lake/commit_log.h"
#include "sinks/lake/lake_writer.h"
#include "sinks/lake/partition.h"

namespace sluice {
namespace {

using namespace sluice::testing;
namespace fs = std::filesystem;

TEST(SanitizePartitionValue, KeepsSafeCharacters) {
  EXPECT_EQ(sanitize_partition_value("device-001_A.b"), "device-001_A.b");
}

TEST(SanitizePartitionValue, EncodesPathSeparatorsAndSpecials) {
  EXPECT_EQ(sanitize_partition_value("../"), "..%2F");
  EXPECT_EQ(sanitize_partition_value("/etc"), "%2Fetc");
  // A page path (seed 000's page_url) stays one directory level.
  EXPECT_EQ(sanitize_partition_value("/product/playstation5"), "%2Fproduct%2Fplaystation5");
  EXPECT_EQ(sanitize_partition_value("a\\b"), "a%5Cb");
  EXPECT_EQ(sanitize_partition_value("k=v"), "k%3Dv");
  EXPECT_EQ(sanitize_partition_value("100%"), "100%25");
  EXPECT_EQ(sanitize_partition_value(std::string_view("a\0b", 3)), "a%00b");
  EXPECT_EQ(sanitize_partition_value("a b"), "a%20b");
  EXPECT_EQ(sanitize_partition_value("'"), "%27");
}

TEST(SanitizePartitionValue, NeverDotOrDotDot) {
  EXPECT_EQ(sanitize_partition_value("."), "%2E");
  EXPECT_EQ(sanitize_partition_value(".."), "%2E%2E");
  EXPECT_EQ(sanitize_partition_value("..."), "...");  // a plain name, not special
}

TEST(SanitizePartitionValue, EmptyIsDefaultPartition) {
  EXPECT_EQ(sanitize_partition_value(""), std::string(kHiveDefaultPartition));
}

TEST(SanitizePartitionValue, EncodesUnicodeBytes) {
  EXPECT_EQ(sanitize_partition_value("caf\xC3\xA9"), "caf%C3%A9");
}

TEST(SanitizePartitionValue, CapsLengthWithDistinctHashSuffix) {
  std::string a(1000, 'x');
  std::string b = a;
  b.back() = 'y';
  std::string sa = sanitize_partition_value(a);
  std::string sb = sanitize_partition_value(b);
  EXPECT_LE(sa.size(), kMaxPartitionValueBytes);
  EXPECT_LE(sb.size(), kMaxPartitionValueBytes);
  EXPECT_NE(sa, sb);
  EXPECT_EQ(sa, sanitize_partition_value(a));  // stable
  // A long value of encoded bytes is never cut inside a "%XX" escape.
  std::string slashes(500, '/');
  std::string ss = sanitize_partition_value(slashes);
  EXPECT_LE(ss.size(), kMaxPartitionValueBytes);
  size_t cut = ss.rfind('_');
  ASSERT_NE(cut, std::string::npos);
  EXPECT_EQ(cut % 3, 0u) << ss;
  EXPECT_EQ(ss.find('/'), std::string::npos);
}

TEST(Partitioner, CalendarKeysAreZeroPaddedUtc) {
  OutputSchema schema = all_types_schema();
  Partitioner p(hourly_keys(), schema, "ts");
  RecordBatch b(schema);
  add_row(b, "x", 1, 1, 1.0, true, ts_of("2024-03-01T13:59:59.999Z"));
  add_row(b, "x", 1, 2, 1.0, true, ts_of("2024-12-31T23:30:00+05:00"));
  add_row(b, "x", 1, 3, 1.0, true, std::nullopt);
  std::string path;
  p.path_of(b, 0, path);
  EXPECT_EQ(path, "year=2024/month=03/day=01/hour=13");
  p.path_of(b, 1, path);
  EXPECT_EQ(path, "year=2024/month=12/day=31/hour=18");
  p.path_of(b, 2, path);
  EXPECT_EQ(path,
            "year=__HIVE_DEFAULT_PARTITION__/month=__HIVE_DEFAULT_PARTITION__/"
            "day=__HIVE_DEFAULT_PARTITION__/hour=__HIVE_DEFAULT_PARTITION__");
}

TEST(Partitioner, FieldKeysUseStringForm) {
  OutputSchema schema = all_types_schema();
  Partitioner p({{"n", "i32", PartitionKey::kField}, {"flag", "b", PartitionKey::kField}}, schema,
                "ts");
  RecordBatch b(schema);
  add_row(b, "x", -7, 1, 1.0, false, 0);
  add_row(b, "x", std::nullopt, 1, 1.0, true, 0);
  std::string path;
  p.path_of(b, 0, path);
  EXPECT_EQ(path, "n=-7/flag=false");
  p.path_of(b, 1, path);
  EXPECT_EQ(path, "n=__HIVE_DEFAULT_PARTITION__/flag=true");
}

TEST(Partitioner, SamePartitionMatchesPathEquality) {
  OutputSchema schema = all_types_schema();
  Partitioner p({{"hour", "ts", PartitionKey::kHour}, {"d", "d", PartitionKey::kField}}, schema,
                "ts");
  RecordBatch b(schema);
  add_row(b, "x", 1, 0, 1.5, true, ts_of("2024-03-01T13:00:00Z"));
  add_row(b, "x", 1, 1, 1.5, true, ts_of("2024-03-01T13:59:59Z"));
  add_row(b, "x", 1, 2, 1.5, true, ts_of("2024-03-01T14:00:00Z"));
  add_row(b, "x", 1, 3, 2.5, true, ts_of("2024-03-01T13:10:00Z"));
  add_row(b, "x", 1, 4, std::nullopt, true, ts_of("2024-03-01T13:10:00Z"));
  add_row(b, "x", 1, 5, 1.5, true, std::nullopt);
  add_row(b, "x", 1, 6, 1.5, true, ts_of("1969-12-31T23:59:59Z"));
  add_row(b, "x", 1, 7, 1.5, true, ts_of("1969-12-31T23:00:00Z"));
  for (size_t i = 0; i < b.rows(); ++i) {
    for (size_t j = 0; j < b.rows(); ++j) {
      std::string pi, pj;
      p.path_of(b, i, pi);
      p.path_of(b, j, pj);
      EXPECT_EQ(p.same_partition(b, i, j), pi == pj) << pi << " vs " << pj;
    }
  }
  EXPECT_TRUE(p.same_partition(b, 0, 1));
  EXPECT_TRUE(p.same_partition(b, 6, 7));
}

// Rows of interleaved partitions land in the right buffers.
TEST(Partitioner, InterleavedPartitionsAreGathered) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeWriter writer(lake_config(tmp.path(), {{"s", "s", PartitionKey::kField}}), schema, "ts",
                    "w1");
  writer.open();
  RecordBatch b(schema);
  for (int i = 0; i < 30; ++i) add_row(b, i % 3 == 0 ? "a" : "b", i, i, 1.0, true, 0);
  writer.append(b);
  writer.append(b);  // second batch: buffers are no longer empty
  LakeCommitEntry e = writer.commit({}, {}, {});
  ASSERT_EQ(e.files.size(), 2u);
  EXPECT_EQ(e.files[0].partition, "s=a");
  EXPECT_EQ(e.files[0].rows, 20);
  EXPECT_EQ(e.files[1].rows, 40);
  DuckDb db(1);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM read_parquet(" +
                              sql_quote(tmp.path() + "/events/s=a/*.parquet") +
                              ", hive_partitioning=false) WHERE s = 'a' AND i64 % 3 = 0"),
            20);
}

TEST(Partitioner, RejectsUnknownColumns) {
  OutputSchema schema = all_types_schema();
  EXPECT_THROW(Partitioner({{"k", "nope", PartitionKey::kField}}, schema, "ts"), RuntimeError);
  EXPECT_THROW(Partitioner(hourly_keys(), schema, "s"), RuntimeError);  // not a timestamp
}

// Values crafted to escape the table directory end up as single, encoded
// directories below it, and the data reads back from them.
TEST(Partitioner, EscapeAttemptsStayInsideTheTable) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), {{"s", "s", PartitionKey::kField}});
  const std::vector<std::string> evil = {"../../escape",
                                         "/etc/passwd",
                                         "..",
                                         ".",
                                         std::string("nul\0byte", 8),
                                         std::string(4000, 'L'),
                                         "\xE2\x98\x83 snow/man",
                                         "a\\..\\..\\b",
                                         "x=y/z=w",
                                         "%2e%2e"};
  {
    LakeWriter writer(config, schema, "ts", "w1");
    writer.open();
    RecordBatch b(schema);
    for (size_t i = 0; i < evil.size(); ++i) {
      add_row(b, evil[i], 1, static_cast<int64_t>(i), 1.0, true, 0);
    }
    writer.append(b);
    writer.commit({}, {{"s/0", 10}}, {});
  }
  const std::string table = tmp.path() + "/events";
  // Nothing but the table directory was created in the lake root.
  std::vector<std::string> top;
  for (const auto& e : fs::directory_iterator(tmp.path())) top.push_back(e.path().filename());
  EXPECT_EQ(top, std::vector<std::string>{"events"});

  std::set<std::string> partitions;
  const std::string canonical_table = fs::canonical(table).string() + "/";
  for (const auto& e : fs::recursive_directory_iterator(table)) {
    std::string path = fs::canonical(e.path()).string();
    EXPECT_EQ(path.rfind(canonical_table, 0), 0u) << path;
    if (e.path().extension() == ".parquet") {
      // Exactly one directory level (s=...) between the table and the file.
      fs::path rel = fs::relative(e.path(), table);
      EXPECT_EQ(std::distance(rel.begin(), rel.end()), 2) << rel;
      partitions.insert(rel.begin()->string());
    }
  }
  EXPECT_EQ(partitions.size(), evil.size());
  for (const auto& p : partitions) {
    EXPECT_LE(p.size(), 2 + kMaxPartitionValueBytes) << p;
    EXPECT_NE(p, "s=..");
    EXPECT_NE(p, "s=.");
  }
  EXPECT_EQ(glob_rows(table), static_cast<int64_t>(evil.size()));
  // Values themselves are stored unchanged in the files.
  DuckDb db(1);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM read_parquet(" + glob_of(table) +
                              ", hive_partitioning=false) WHERE s = '../../escape' OR s = "
                              "'/etc/passwd'"),
            2);
}

}  // namespace
}  // namespace sluice
