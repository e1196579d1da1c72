// Independent readers: Polars (Rust, through nodejs-polars) and hyparquet (JS,
// with hyparquet-compressors) read files written by the encoder; the node
// script tests/parquet/readers/read_parquet.mjs prints each file as JSON lines
// and the cells are compared one by one with the source batches. The readers
// are installed by scripts/setup.sh (npm ci); without them these tests fail.
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "parquet_test_util.h"

namespace sluice::parquet::testing {
namespace {

const std::string kReadersDir = std::string(SLUICE_SOURCE_DIR) + "/tests/parquet/readers";

struct ReaderRun {
  int status = -1;
  std::string output;
};

ReaderRun run_reader(const std::string& reader, const std::string& path,
                     const OutputSchema& schema) {
  std::string types;
  for (const ColumnSpec& c : schema)
    types += std::string(types.empty() ? "" : ",") + column_type_name(c.type);
  const std::string cmd = "cd '" + kReadersDir + "' && node read_parquet.mjs " + reader + " '" +
                          path + "' " + types + " 2>&1";
  ReaderRun run;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) run.output.append(buf, n);
  run.status = pclose(pipe);
  return run;
}

std::vector<std::vector<std::string>> parse_rows(const std::string& output) {
  std::vector<std::vector<std::string>> rows;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    if (end > start)
      rows.push_back(
          nlohmann::json::parse(output.substr(start, end - start)).get<std::vector<std::string>>());
    start = end + 1;
  }
  return rows;
}

void expect_reader_matches(const std::string& reader, const std::string& path,
                           const OutputSchema& schema,
                           const std::vector<std::vector<Slice>>& groups) {
  ASSERT_TRUE(std::filesystem::exists(kReadersDir + "/node_modules/nodejs-polars") &&
              std::filesystem::exists(kReadersDir + "/node_modules/hyparquet-compressors"))
      << "the Parquet test readers are not installed in " << kReadersDir
      << "/node_modules: run scripts/setup.sh (npm ci there)";
  const ReaderRun run = run_reader(reader, path, schema);
  ASSERT_EQ(run.status, 0) << reader << " failed on " << path << ":\n"
                           << run.output.substr(0, 2000);
  std::vector<std::vector<std::string>> got;
  try {
    got = parse_rows(run.output);
  } catch (const std::exception& e) {
    FAIL() << reader << ": output is not JSON lines (" << e.what() << "):\n"
           << run.output.substr(0, 2000);
  }
  expect_same_rows(expected_rows(groups), got, schema, reader);
}

struct Case {
  const char* reader;
  Codec codec;
  const char* name;
};

class ParquetReaders : public ::testing::TestWithParam<Case> {};

TEST_P(ParquetReaders, EveryTypePagesFallbackRowGroupsAndSlices) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = test_schema();
  const RecordBatch a = make_batch(schema, 4000, 0, 11);
  const RecordBatch b = make_batch(schema, 1500, 4000, 12);
  WriterOptions options;
  options.codec = GetParam().codec;
  options.data_page_bytes = 8192;
  // No repeat rule; the 16 KB limit makes i64 and u fall back in the big row
  // groups but not in the 100-row one.
  options.dictionary_page_bytes = 16384;
  options.dictionary_min_repeats = 1;
  const std::vector<std::vector<Slice>> groups = {
      {{&a, 0, 2500}, {&b, 0, 1000}}, {{&a, 2500, 2600}}, {{&b, 1000, 1500}, {&a, 2600, 4000}}};
  const std::string path = dir.path() + "/t.parquet";
  write_file(path, schema, options, groups);
  expect_reader_matches(GetParam().reader, path, schema, groups);
}

TEST_P(ParquetReaders, LongEmptyAndUnicodeStrings) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = {{"s", ColumnType::kString}, {"t", ColumnType::kString}};
  RecordBatch batch(schema);
  for (int i = 0; i < 30; ++i) {
    if (i % 5 == 0) {
      batch.columns[0].push_string(std::string(66000 + i, static_cast<char>('a' + i % 26)) +
                                   "—end");
    } else if (i % 5 == 1) {
      batch.columns[0].push_string("");
    } else if (i % 5 == 2) {
      batch.columns[0].push_null();
    } else {
      batch.columns[0].push_string("ünï-" + std::to_string(i) + "-🙂");
    }
    i % 3 ? batch.columns[1].push_string("k" + std::to_string(i % 4))
          : batch.columns[1].push_null();
  }
  WriterOptions options;
  options.codec = GetParam().codec;
  options.data_page_bytes = 32768;
  const std::vector<std::vector<Slice>> groups = {{{&batch, 0, 30}}};
  const std::string path = dir.path() + "/long.parquet";
  write_file(path, schema, options, groups);
  expect_reader_matches(GetParam().reader, path, schema, groups);
}

INSTANTIATE_TEST_SUITE_P(Readers, ParquetReaders,
                         ::testing::Values(Case{"polars", Codec::kZstd, "polars_zstd"},
                                           Case{"polars", Codec::kSnappy, "polars_snappy"},
                                           Case{"polars", Codec::kNone, "polars_none"},
                                           Case{"hyparquet", Codec::kZstd, "hyparquet_zstd"},
                                           Case{"hyparquet", Codec::kSnappy, "hyparquet_snappy"},
                                           Case{"hyparquet", Codec::kNone, "hyparquet_none"}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace sluice::parquet::testing
