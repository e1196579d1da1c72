// Error paths of the encoder: a failing sink, calls after close() or after a
// failure, slices that do not match the schema, an unwritable path.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "parquet_test_util.h"

namespace sluice::parquet::testing {
namespace {

// Accepts `budget` bytes, then throws like a full disk or a failed upload.
class FailingSink final : public ByteSink {
 public:
  explicit FailingSink(uint64_t budget) : budget_(budget) {}
  void write(const void*, size_t n) override {
    if (position_ + n > budget_) throw RuntimeError("sink: no space left (test)");
    position_ += n;
  }
  uint64_t position() const override { return position_; }

 private:
  uint64_t budget_;
  uint64_t position_ = 0;
};

TEST(ParquetErrors, SinkFailurePropagatesAndPoisonsTheWriter) {
  const OutputSchema schema = test_schema();
  const RecordBatch a = make_batch(schema, 5000, 0, 7);
  const std::vector<Slice> slices = {{&a, 0, 5000}};
  FailingSink sink(20000);
  FileWriter writer(schema, WriterOptions{}, sink);
  try {
    writer.write_row_group(slices);
    FAIL() << "expected the sink's error";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("no space left"), std::string::npos) << e.what();
  }
  EXPECT_THROW(writer.write_row_group(slices), RuntimeError);
  EXPECT_THROW(writer.close(), RuntimeError);
}

TEST(ParquetErrors, FooterWriteFailurePropagates) {
  const OutputSchema schema = test_schema();
  const RecordBatch a = make_batch(schema, 100, 0, 7);
  const std::vector<Slice> slices = {{&a, 0, 100}};
  FailingSink probe(UINT64_MAX);
  {
    FileWriter writer(schema, WriterOptions{}, probe);
    writer.write_row_group(slices);
  }
  const uint64_t before_footer = probe.position();
  FailingSink sink(before_footer + 10);
  FileWriter writer(schema, WriterOptions{}, sink);
  writer.write_row_group(slices);
  EXPECT_THROW(writer.close(), RuntimeError);
}

TEST(ParquetErrors, WriteAfterCloseIsAnError) {
  TempDir dir("sluice-parquet");
  const OutputSchema schema = test_schema();
  const RecordBatch a = make_batch(schema, 10, 0, 7);
  const std::vector<Slice> slices = {{&a, 0, 10}};
  FileSink sink(dir.path() + "/closed.parquet");
  FileWriter writer(schema, WriterOptions{}, sink);
  writer.write_row_group(slices);
  writer.close();
  try {
    writer.write_row_group(slices);
    FAIL() << "expected an error";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("after close()"), std::string::npos) << e.what();
  }
  EXPECT_THROW(writer.close(), RuntimeError);
  EXPECT_EQ(writer.rows_written(), 10);
  sink.close();
  EXPECT_EQ(duckdb_rows(dir.path() + "/closed.parquet", schema).size(), 10u)
      << "the closed file stays valid";
}

TEST(ParquetErrors, SlicesThatDoNotMatchTheSchema) {
  const OutputSchema schema = test_schema();
  const RecordBatch a = make_batch(schema, 10, 0, 7);
  const OutputSchema other = {{"x", ColumnType::kInt32}};
  RecordBatch narrow(other);
  narrow.columns[0].push_int32(1);
  FailingSink sink(UINT64_MAX);
  {
    FileWriter writer(schema, WriterOptions{}, sink);
    const std::vector<Slice> bad = {{&narrow, 0, 1}};
    EXPECT_THROW(writer.write_row_group(bad), RuntimeError);
  }
  {
    FileWriter writer(schema, WriterOptions{}, sink);
    const std::vector<Slice> bad = {{&a, 5, 11}};
    EXPECT_THROW(writer.write_row_group(bad), RuntimeError);
  }
  {
    const OutputSchema swapped = {{"s", ColumnType::kInt32}};
    FileWriter writer(swapped, WriterOptions{}, sink);
    RecordBatch strings(OutputSchema{{"s", ColumnType::kString}});
    strings.columns[0].push_string("x");
    const std::vector<Slice> bad = {{&strings, 0, 1}};
    EXPECT_THROW(writer.write_row_group(bad), RuntimeError);
  }
}

TEST(ParquetErrors, FileSinkNamesPathAndErrno) {
  try {
    FileSink sink("/nonexistent-dir-sluice/x.parquet");
    FAIL() << "expected an error";
  } catch (const RuntimeError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("/nonexistent-dir-sluice/x.parquet"), std::string::npos) << what;
    EXPECT_NE(what.find("errno"), std::string::npos) << what;
  }
  TempDir dir("sluice-parquet");
  FileSink sink(dir.path() + "/f");
  sink.close();
  EXPECT_THROW(sink.write("x", 1), RuntimeError);
}

}  // namespace
}  // namespace sluice::parquet::testing
