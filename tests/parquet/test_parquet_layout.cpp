// Layout of written files as DuckDB's parquet_metadata(), parquet_schema(),
// parquet_file_metadata() and parquet_kv_metadata() report it, plus the page
// headers of each column chunk (tests/parquet/page_walker.h): encodings before
// and after the dictionary fallback, row groups, pages and their sizes, codec,
// statistics, physical and logical types.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "page_walker.h"
#include "parquet_test_util.h"

namespace sluice::parquet::testing {
namespace {

struct ChunkRow {
  int64_t row_group = 0;
  std::string path;
  std::string encodings;
  std::string compression;
  std::string min_value, max_value;  // "NULL" when absent
  int64_t null_count = -1;
  int64_t num_values = 0;
  int64_t file_offset = 0;
  int64_t data_page_offset = 0;
  int64_t dictionary_page_offset = -1;
  int64_t total_compressed = 0;
  int64_t total_uncompressed = 0;
};

std::vector<ChunkRow> chunks(const std::string& path) {
  DuckDb db(1);
  DuckResult r;
  db.query(
      "SELECT row_group_id, path_in_schema, encodings, compression, coalesce(stats_min_value, "
      "'NULL'), "
      "coalesce(stats_max_value, 'NULL'), stats_null_count, num_values, file_offset, "
      "data_page_offset, "
      "coalesce(dictionary_page_offset, -1), total_compressed_size, total_uncompressed_size "
      "FROM parquet_metadata(" +
          sql_quote(path) + ") ORDER BY row_group_id, column_id",
      r);
  std::vector<ChunkRow> out;
  for (size_t i = 0; i < r.rows(); ++i) {
    ChunkRow c;
    c.row_group = r.int64_at(0, i);
    c.path = r.string_at(1, i);
    c.encodings = r.string_at(2, i);
    c.compression = r.string_at(3, i);
    c.min_value = r.string_at(4, i);
    c.max_value = r.string_at(5, i);
    c.null_count = r.int64_at(6, i);
    c.num_values = r.int64_at(7, i);
    c.file_offset = r.int64_at(8, i);
    c.data_page_offset = r.int64_at(9, i);
    c.dictionary_page_offset = r.int64_at(10, i);
    c.total_compressed = r.int64_at(11, i);
    c.total_uncompressed = r.int64_at(12, i);
    out.push_back(c);
  }
  return out;
}

bool has_dictionary(const ChunkRow& c) {
  return c.encodings.find("RLE_DICTIONARY") != std::string::npos;
}

TEST(ParquetLayout, DictionaryFallbackPagesRowGroupsAndCodec) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = test_schema();
  const RecordBatch a = make_batch(schema, 20000, 0, 4);
  const std::vector<std::vector<Slice>> groups = {{{&a, 0, 12000}}, {{&a, 12000, 20000}}};

  // Without the repeat rule (dictionary_min_repeats 1) and the default byte
  // limit, every column but the booleans and the all-null ones keeps its
  // dictionary. A 2 KB limit: only `s` (50 short strings) does. The default
  // repeat rule (4): only `s` too, as i32 (2000 values), i64, d, ts and u
  // repeat less than 4 times on average.
  const std::set<std::string> dict_all = {"s", "i32", "i64", "d", "ts", "u"};
  const std::set<std::string> dict_s = {"s"};
  for (const char* variant : {"no-repeat-rule", "small-limit", "default"}) {
    const std::string v = variant;
    const bool small = v != "no-repeat-rule";
    WriterOptions options;
    options.data_page_bytes = 4096;
    if (v != "default") options.dictionary_min_repeats = 1;
    if (v == "small-limit") options.dictionary_page_bytes = 2048;
    const std::string path = dir.path() + "/" + v + ".parquet";
    write_file(path, schema, options, groups);
    const std::string file = read_all(path);
    const std::vector<ChunkRow> rows = chunks(path);
    ASSERT_EQ(rows.size(), 2 * schema.size());
    for (const ChunkRow& c : rows) {
      SCOPED_TRACE(v + ", " + c.path + " row group " + std::to_string(c.row_group));
      const bool dict = (small ? dict_s : dict_all).count(c.path) > 0;
      EXPECT_EQ(has_dictionary(c), dict) << c.encodings;
      EXPECT_EQ(c.compression, "ZSTD");
      const int64_t group_rows = c.row_group == 0 ? 12000 : 8000;
      EXPECT_EQ(c.num_values, group_rows);

      // The pages: a dictionary page first iff dictionary-encoded, then data
      // pages whose uncompressed size respects data_page_bytes.
      const std::vector<PageInfo> pages = walk_pages(file, c.file_offset, c.total_compressed);
      ASSERT_FALSE(pages.empty());
      size_t first_data = 0;
      if (dict) {
        EXPECT_EQ(pages[0].type, 2);
        EXPECT_EQ(pages[0].encoding, 0);  // PLAIN dictionary
        EXPECT_EQ(c.dictionary_page_offset, c.file_offset);
        first_data = 1;
      } else {
        EXPECT_EQ(c.dictionary_page_offset, -1);
      }
      int64_t values = 0, uncompressed = 0;
      for (size_t p = first_data; p < pages.size(); ++p) {
        EXPECT_EQ(pages[p].type, 0);
        EXPECT_EQ(pages[p].encoding, dict ? 8 : 0);
        EXPECT_LE(pages[p].uncompressed_size, 4096) << "page " << p;
        EXPECT_GT(pages[p].num_values, 0);
        values += pages[p].num_values;
      }
      for (const PageInfo& p : pages)
        uncompressed += static_cast<int64_t>(p.header_size) + p.uncompressed_size;
      EXPECT_EQ(values, group_rows);
      EXPECT_EQ(uncompressed, c.total_uncompressed);
      EXPECT_EQ(
          c.data_page_offset,
          c.file_offset +
              (dict ? static_cast<int64_t>(pages[0].header_size) + pages[0].compressed_size : 0));
      // ~90% non-null 8-byte PLAIN values fill a 4 KB page per ~500 rows;
      // indices of 50 values (6 bits) need more than one page too.
      if (c.path == "i64" && !dict) {
        EXPECT_GE(pages.size(), static_cast<size_t>(group_rows * 0.85 * 8 / 4096));
      }
      if (c.path == "s") {
        EXPECT_GE(pages.size() - first_data, 2u);
      }
    }
  }
}

TEST(ParquetLayout, CodecNamesAndFileMetadata) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = test_schema();
  const RecordBatch a = make_batch(schema, 100, 0, 5);
  for (auto [codec, name] : {std::pair{Codec::kZstd, "ZSTD"}, std::pair{Codec::kSnappy, "SNAPPY"},
                             std::pair{Codec::kNone, "UNCOMPRESSED"}}) {
    WriterOptions options;
    options.codec = codec;
    options.created_by = "sluice test 1.0";
    options.key_value_metadata = {{"pipeline", "clickstream"}, {"empty", ""}};
    const std::string path = dir.path() + "/" + name + ".parquet";
    write_file(path, schema, options, {{{&a, 0, 40}}, {{&a, 40, 70}}, {{&a, 70, 100}}});
    for (const ChunkRow& c : chunks(path)) EXPECT_EQ(c.compression, name);

    DuckDb db(1);
    DuckResult f;
    db.query(
        "SELECT created_by, num_rows, num_row_groups, format_version FROM parquet_file_metadata(" +
            sql_quote(path) + ")",
        f);
    EXPECT_EQ(f.string_at(0, 0), "sluice test 1.0");
    EXPECT_EQ(f.int64_at(1, 0), 100);
    EXPECT_EQ(f.int64_at(2, 0), 3);
    EXPECT_EQ(f.int64_at(3, 0), 1);
    DuckResult kv;
    db.query("SELECT decode(key), decode(value) FROM parquet_kv_metadata(" + sql_quote(path) +
                 ") ORDER BY 1",
             kv);
    ASSERT_EQ(kv.rows(), 2u);
    EXPECT_EQ(kv.string_at(0, 0), "empty");
    EXPECT_EQ(kv.string_at(1, 0), "");
    EXPECT_EQ(kv.string_at(0, 1), "pipeline");
    EXPECT_EQ(kv.string_at(1, 1), "clickstream");
  }
}

TEST(ParquetLayout, PhysicalAndLogicalTypes) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = test_schema();
  const RecordBatch a = make_batch(schema, 10, 0, 6);
  const std::string path = dir.path() + "/types.parquet";
  write_file(path, schema, WriterOptions{}, {{{&a, 0, 10}}});
  DuckDb db(1);
  DuckResult r;
  db.query(
      "SELECT name, type, repetition_type, coalesce(converted_type, ''), coalesce(logical_type, "
      "''), duckdb_type "
      "FROM parquet_schema(" +
          sql_quote(path) + ") WHERE type IS NOT NULL",
      r);
  std::map<std::string, std::vector<std::string>> got;
  for (size_t i = 0; i < r.rows(); ++i) {
    got[r.string_at(0, i)] = {r.string_at(1, i), r.string_at(2, i), r.string_at(3, i),
                              r.string_at(4, i), r.string_at(5, i)};
  }
  ASSERT_EQ(got.size(), schema.size());
  for (const auto& [name, v] : got) EXPECT_EQ(v[1], "OPTIONAL") << name;
  EXPECT_EQ(got["s"][0], "BYTE_ARRAY");
  EXPECT_EQ(got["s"][2], "UTF8");
  EXPECT_EQ(got["s"][3], "StringType()");
  EXPECT_EQ(got["s"][4], "VARCHAR");
  EXPECT_EQ(got["i32"][0], "INT32");
  EXPECT_EQ(got["i64"][0], "INT64");
  EXPECT_EQ(got["d"][0], "DOUBLE");
  EXPECT_EQ(got["b"][0], "BOOLEAN");
  EXPECT_EQ(got["ts"][0], "INT64");
  EXPECT_EQ(got["ts"][2], "TIMESTAMP_MICROS");
  EXPECT_NE(got["ts"][3].find("isAdjustedToUTC=1"), std::string::npos) << got["ts"][3];
  EXPECT_NE(got["ts"][3].find("MICROS=MicroSeconds()"), std::string::npos) << got["ts"][3];
  EXPECT_EQ(got["ts"][4], "TIMESTAMP WITH TIME ZONE");
}

TEST(ParquetLayout, StatisticsEqualTheData) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = {
      {"s", ColumnType::kString},     {"i32", ColumnType::kInt32},  {"i64", ColumnType::kInt64},
      {"d", ColumnType::kDouble},     {"z", ColumnType::kDouble},   {"b", ColumnType::kBool},
      {"ts", ColumnType::kTimestamp}, {"nan", ColumnType::kDouble}, {"none", ColumnType::kString}};
  RecordBatch batch(schema);
  auto& c = batch.columns;
  const std::vector<std::optional<std::string>> s = {"b", std::nullopt, "", "ab", "zz", "é"};
  const std::vector<std::optional<int32_t>> i32 = {5, -3, std::nullopt, 7, 0, 2};
  const std::vector<std::optional<int64_t>> i64 = {-5000000000LL, 1,           2, std::nullopt,
                                                   std::nullopt,  9000000000LL};
  const std::vector<std::optional<double>> d = {1.5, std::nan(""), -2.25, std::nullopt, 0.0, 3.0};
  const std::vector<double> z = {0.0, -0.0, 0.0, -0.0, 0.0, 0.0};
  const std::vector<std::optional<bool>> b = {true, std::nullopt, true, true, true, true};
  const std::vector<std::optional<int64_t>> ts = {1735689600000000LL, 1735689600000001LL,
                                                  std::nullopt,       -86400000000LL,
                                                  1735689600123456LL, std::nullopt};
  for (size_t i = 0; i < 6; ++i) {
    s[i] ? c[0].push_string(*s[i]) : c[0].push_null();
    i32[i] ? c[1].push_int32(*i32[i]) : c[1].push_null();
    i64[i] ? c[2].push_int64(*i64[i]) : c[2].push_null();
    d[i] ? c[3].push_double(*d[i]) : c[3].push_null();
    c[4].push_double(z[i]);
    b[i] ? c[5].push_bool(*b[i]) : c[5].push_null();
    ts[i] ? c[6].push_int64(*ts[i]) : c[6].push_null();
    i % 2 ? c[7].push_double(std::nan("")) : c[7].push_null();
    c[8].push_null();
  }
  for (size_t dict_limit :
       {size_t{1} << 20, size_t{0}}) {  // statistics from the dictionary, and from PLAIN
    WriterOptions options;
    options.dictionary_page_bytes = dict_limit;
    options.dictionary_min_repeats = 1;
    const std::string path = dir.path() + "/stats" + std::to_string(dict_limit) + ".parquet";
    write_file(path, schema, options, {{{&batch, 0, 6}}});
    std::map<std::string, ChunkRow> got;
    for (const ChunkRow& row : chunks(path)) got[row.path] = row;
    SCOPED_TRACE("dictionary limit " + std::to_string(dict_limit));
    EXPECT_EQ(has_dictionary(got["s"]), dict_limit > 0);
    EXPECT_EQ(got["s"].min_value, "");
    EXPECT_EQ(got["s"].max_value, "é");  // byte-wise: 0xC3 > 'z'
    EXPECT_EQ(got["s"].null_count, 1);
    EXPECT_EQ(got["i32"].min_value, "-3");
    EXPECT_EQ(got["i32"].max_value, "7");
    EXPECT_EQ(got["i32"].null_count, 1);
    EXPECT_EQ(got["i64"].min_value, "-5000000000");
    EXPECT_EQ(got["i64"].max_value, "9000000000");
    EXPECT_EQ(got["i64"].null_count, 2);
    EXPECT_EQ(got["d"].min_value, "-2.25");  // NaN left out
    EXPECT_EQ(got["d"].max_value, "3.0");
    EXPECT_EQ(got["d"].null_count, 1);
    EXPECT_EQ(got["z"].min_value, "-0.0");
    EXPECT_EQ(got["z"].max_value, "0.0");
    EXPECT_EQ(got["b"].min_value, "true");
    EXPECT_EQ(got["b"].max_value, "true");
    EXPECT_EQ(got["b"].null_count, 1);
    EXPECT_EQ(got["nan"].min_value, "NULL") << "all values NaN: no min/max";
    EXPECT_EQ(got["nan"].max_value, "NULL");
    EXPECT_EQ(got["nan"].null_count, 3);
    EXPECT_EQ(got["none"].min_value, "NULL") << "all-null chunk: no min/max";
    EXPECT_EQ(got["none"].null_count, 6);
    DuckDb db(1);
    DuckResult r;
    db.query(
        "SELECT epoch_us(stats_min_value::TIMESTAMPTZ), epoch_us(stats_max_value::TIMESTAMPTZ), "
        "stats_null_count FROM parquet_metadata(" +
            sql_quote(path) + ") WHERE path_in_schema = 'ts'",
        r);
    EXPECT_EQ(r.int64_at(0, 0), -86400000000LL);
    EXPECT_EQ(r.int64_at(1, 0), 1735689600123456LL);
    EXPECT_EQ(r.int64_at(2, 0), 2);
  }
}

TEST(ParquetLayout, PageLimitIsCheckedPerValueForStrings) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = {{"s", ColumnType::kString}};
  RecordBatch batch(schema);
  // Mostly short values with a few far larger than the page limit between them.
  for (int i = 0; i < 3000; ++i) {
    batch.columns[0].push_string(i % 500 == 7 ? std::string(50000 + i, 'x')
                                              : "v" + std::to_string(i));
  }
  WriterOptions options;
  options.data_page_bytes = 8192;
  options.dictionary_page_bytes = 0;  // PLAIN: the values themselves fill the pages
  const std::string path = dir.path() + "/pages.parquet";
  write_file(path, schema, options, {{{&batch, 0, 3000}}});
  const ChunkRow c = chunks(path).at(0);
  EXPECT_EQ(c.encodings.find("RLE_DICTIONARY"), std::string::npos);
  const std::vector<PageInfo> pages = walk_pages(read_all(path), c.file_offset, c.total_compressed);
  int oversized = 0;
  int64_t rows = 0;
  for (const PageInfo& p : pages) {
    rows += p.num_values;
    if (p.uncompressed_size > 8192) {
      EXPECT_EQ(p.num_values, 1) << "only a single value larger than the limit may exceed it";
      ++oversized;
    }
  }
  EXPECT_EQ(oversized, 6);
  EXPECT_EQ(rows, 3000);
  EXPECT_GT(pages.size(), 10u);
}

TEST(ParquetLayout, LongStringStatisticsAreTruncatedBounds) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = {{"s", ColumnType::kString}};
  RecordBatch batch(schema);
  const std::vector<std::string> values = {
      std::string(1000, 'm') + "x", std::string(500, 'q') + "日本",
      std::string(63, 'b') + "日本語" + std::string(100, 'c'), "n"};
  for (const std::string& v : values) batch.columns[0].push_string(v);
  WriterOptions options;
  options.max_statistics_bytes = 64;
  const std::string path = dir.path() + "/long.parquet";
  write_file(path, schema, options, {{{&batch, 0, 4}}});
  const ChunkRow c = chunks(path).at(0);
  EXPECT_LE(c.min_value.size(), 64u);
  EXPECT_LE(c.max_value.size(), 64u);
  for (const std::string& v : values) {
    EXPECT_LE(c.min_value, v);
    EXPECT_GT(c.max_value, v);
  }
  // The minimum's cut falls inside "日": it backs off to the character boundary.
  EXPECT_EQ(c.min_value, std::string(63, 'b'));
  EXPECT_EQ(c.max_value, std::string(63, 'q') + "r");
  DuckDb db(1);
  DuckResult r;
  db.query("SELECT min_is_exact, max_is_exact FROM parquet_metadata(" + sql_quote(path) + ")", r);
  EXPECT_FALSE(r.bool_at(0, 0));
  EXPECT_FALSE(r.bool_at(1, 0));
}

}  // namespace
}  // namespace sluice::parquet::testing
