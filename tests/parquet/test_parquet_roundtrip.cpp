// Round trips through DuckDB's Parquet reader, value by value: every column
// type, NULLs, all-null columns, empty/long/unicode strings, dictionary
// fallback, many pages, many row groups, each codec, slices of several batches.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "parquet_test_util.h"

namespace sluice::parquet::testing {
namespace {

struct CodecCase {
  Codec codec;
  const char* name;
};

class ParquetRoundTrip : public ::testing::TestWithParam<CodecCase> {};

TEST_P(ParquetRoundTrip, EveryTypeAcrossSlicesAndRowGroups) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = test_schema();
  const RecordBatch a = make_batch(schema, 3000, 0, 1);
  const RecordBatch b = make_batch(schema, 2500, 3000, 2);
  const RecordBatch c = make_batch(schema, 10, 5500, 3);
  WriterOptions options;
  options.codec = GetParam().codec;
  options.dictionary_min_repeats = 1;  // dictionaries for every type that has one
  // Row group 1: three slices of two batches; row group 2: the rest of b and c.
  const std::vector<std::vector<Slice>> groups = {{{&a, 0, 1000}, {&b, 0, 700}, {&a, 1000, 3000}},
                                                  {{&b, 700, 2500}, {&c, 0, 10}, {&c, 5, 5}}};
  const std::string path = dir.path() + "/t.parquet";
  write_file(path, schema, options, groups);
  expect_same_rows(expected_rows(groups), duckdb_rows(path, schema), schema, "duckdb");
}

TEST_P(ParquetRoundTrip, SmallPagesAndSmallDictionaryFallBackToPlain) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = test_schema();
  const RecordBatch a = make_batch(schema, 20000, 0, 4);
  WriterOptions options;
  options.codec = GetParam().codec;
  options.data_page_bytes = 4096;        // many pages per chunk
  options.dictionary_page_bytes = 2048;  // unique strings and int64s spill over
  const std::vector<std::vector<Slice>> groups = {{{&a, 0, 12000}}, {{&a, 12000, 20000}}};
  const std::string path = dir.path() + "/t.parquet";
  write_file(path, schema, options, groups);
  expect_same_rows(expected_rows(groups), duckdb_rows(path, schema), schema, "duckdb");
}

INSTANTIATE_TEST_SUITE_P(Codecs, ParquetRoundTrip,
                         ::testing::Values(CodecCase{Codec::kZstd, "zstd"},
                                           CodecCase{Codec::kSnappy, "snappy"},
                                           CodecCase{Codec::kNone, "none"}),
                         [](const ::testing::TestParamInfo<CodecCase>& info) {
                           return info.param.name;
                         });

TEST(ParquetRoundTripStrings, LongStringsOwnPagesAndStatisticsStayBounds) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = {{"s", ColumnType::kString}, {"n", ColumnType::kInt32}};
  RecordBatch batch(schema);
  for (int i = 0; i < 40; ++i) {
    std::string s;
    if (i % 4 == 0) {
      s = std::string(70000 + i, static_cast<char>('a' + i % 26)) +
          "ü";  // > 64 KB, > the page limit
    } else if (i % 4 == 1) {
      s = "";
    } else {
      s = "short-" + std::to_string(i) + "-日本";
    }
    batch.columns[0].push_string(s);
    batch.columns[1].push_int32(i);
  }
  for (size_t dict_limit : {size_t{1} << 20, size_t{1000}, size_t{0}}) {
    if (dict_limit == 0) {
      // The maximum now starts with 64 bytes 0x7f: no byte to increment, kept whole.
      batch.columns[0].push_string(std::string(100000, '\x7f') + "z");
      batch.columns[1].push_null();
    }
    WriterOptions options;
    options.data_page_bytes = 16384;
    options.dictionary_page_bytes = dict_limit;
    const std::vector<std::vector<Slice>> groups = {
        {{&batch, 0, static_cast<uint32_t>(batch.rows())}}};
    const std::string path = dir.path() + "/long" + std::to_string(dict_limit) + ".parquet";
    write_file(path, schema, options, groups);
    expect_same_rows(expected_rows(groups), duckdb_rows(path, schema), schema, "duckdb");
    // Truncated statistics must still bound every value (DuckDB prunes with them).
    const std::string lo(70000, 'a'),
        hi = dict_limit == 0 ? std::string(100000, '\x7f') + "z" : std::string(70024, 'y') + "ü";
    int64_t want = 0;
    for (size_t i = 0; i < batch.rows(); ++i)
      want += batch.columns[0].string_at(i) >= lo && batch.columns[0].string_at(i) <= hi;
    DuckDb db(1);
    DuckResult r;
    db.query("SELECT count(*) FROM read_parquet(" + sql_quote(path) +
                 ") WHERE s >= " + sql_quote(lo) + " AND s <= " + sql_quote(hi),
             r);
    EXPECT_EQ(r.int64_at(0, 0), want) << "rows found through the statistics";
    DuckResult r2;
    db.query(
        "SELECT count(*) FROM read_parquet(" + sql_quote(path) + ") WHERE s = " + sql_quote(hi),
        r2);
    // The maximum is longer than max_statistics_bytes: a truncated bound (or, for
    // the 0x7f row, kept whole) that must not prune it.
    EXPECT_EQ(r2.int64_at(0, 0), 1) << "the maximum is still found";
  }
}

// A sink that already holds bytes (a container, an upload resumed at an
// offset): the file's offsets count from where the writer started.
class StringSink final : public ByteSink {
 public:
  explicit StringSink(std::string prefix) : bytes(std::move(prefix)) {}
  void write(const void* data, size_t n) override {
    bytes.append(static_cast<const char*>(data), n);
  }
  uint64_t position() const override { return bytes.size(); }
  std::string bytes;
};

TEST(ParquetRoundTripStrings, OffsetsCountFromWhereTheWriterStarted) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = test_schema();
  const RecordBatch a = make_batch(schema, 700, 0, 13);
  StringSink sink("0123456789");
  FileWriter writer(schema, WriterOptions{}, sink);
  const std::vector<std::vector<Slice>> groups = {{{&a, 0, 300}}, {{&a, 300, 700}}};
  for (const auto& group : groups) writer.write_row_group(group);
  writer.close();
  EXPECT_EQ(writer.bytes_written(), sink.bytes.size() - 10);
  EXPECT_EQ(writer.rows_written(), 700);
  const std::string path = dir.path() + "/offset.parquet";
  testsupport::write_file(path, sink.bytes.substr(10));
  expect_same_rows(expected_rows(groups), duckdb_rows(path, schema), schema, "duckdb");
}

TEST(ParquetRoundTripStrings, EmptyRowGroupCallWritesNothingAndEmptyFileIsValid) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = test_schema();
  const RecordBatch a = make_batch(schema, 5, 0, 9);
  const std::string path = dir.path() + "/empty.parquet";
  FileSink sink(path);
  FileWriter writer(schema, WriterOptions{}, sink);
  const std::vector<Slice> none = {{&a, 2, 2}};
  writer.write_row_group(none);
  EXPECT_EQ(writer.rows_written(), 0);
  writer.close();
  sink.close();
  EXPECT_EQ(duckdb_rows(path, schema).size(), 0u);
}

}  // namespace
}  // namespace sluice::parquet::testing
