// `sluice lake ls|log|verify` on a table in an S3 bucket (a real RADOS
// Gateway started once for this binary), and the lake locations `sluice run`
// refuses: an unsupported scheme is a config error naming the supported
// ones, and no local folder named after the scheme appears.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "storage/local_storage.h"
#include "storage/s3/s3_storage.h"
#include "support/rgw_fixture.h"
#include "test_support.h"

namespace sluice {
namespace {

using testsupport::RgwEnvironment;

const std::string kPipeline = std::string(SLUICE_SOURCE_DIR) + "/examples/clickstream.yaml";

std::string write_input(const std::string& dir, int events) {
  const std::string path = dir + "/in.ndjson";
  std::ofstream f(path);
  for (int i = 0; i < events; ++i) {
    f << R"({"session_id":"s)" << i % 7 << R"(","page_url":"/product/p)" << i % 5
      << R"(","timestamp":"2025-01-0)" << 1 + i % 3 << "T1" << i % 10
      << R"(:00:00Z","TTI":100,"TTAR":50})"
      << "\n";
  }
  return path;
}

// Copies every object of a local table into the bucket under `prefix`.
int64_t upload_table(const std::string& table_dir, storage::Storage& bucket) {
  storage::LocalStorage local(table_dir);
  int64_t n = 0;
  for (const auto& o : storage::list_all(local, "")) {
    bucket.put_file(o.key, *local.local_path(o.key));
    ++n;
  }
  return n;
}

TEST(LakeS3, ToolsReadATableInTheBucket) {
  auto& rgw = RgwEnvironment::get();
  rgw.create_bucket("lake");
  rgw.export_environment();
  testsupport::TempDir dir;
  const std::string input = write_input(dir.path(), 3000);
  const std::string lake = dir.path() + "/lake";
  std::string out;
  ASSERT_EQ(testing::run_sluice({"run", kPipeline, "--input", input, "--lake", lake, "--quiet",
                                 "--set", "sink.lake.commit_interval_ms=10"},
                                &out),
            0)
      << out;
  storage::S3Storage bucket(rgw.client_config("lake"), "tools/clickstream", {});
  ASSERT_GT(upload_table(lake + "/clickstream", bucket), 3);

  const std::string table = "s3://lake/tools/clickstream";
  std::string verify;
  EXPECT_EQ(testing::run_sluice({"lake", "verify", table}, &verify), 0) << verify;
  EXPECT_NE(verify.find("OK:"), std::string::npos) << verify;
  EXPECT_NE(verify.find(" 3000 rows in the log"), std::string::npos) << verify;
  std::string ls;
  EXPECT_EQ(testing::run_sluice({"lake", "ls", table}, &ls), 0) << ls;
  EXPECT_NE(ls.find("year=2025/month=01/day=02"), std::string::npos) << ls;
  EXPECT_NE(ls.find("3000"), std::string::npos) << ls;
  std::string log_local, log_s3;
  EXPECT_EQ(testing::run_sluice({"lake", "log", lake + "/clickstream"}, &log_local), 0);
  EXPECT_EQ(testing::run_sluice({"lake", "log", table}, &log_s3), 0);
  EXPECT_EQ(log_s3, log_local);

  // A missing data file and a stray Parquet file are both reported.
  auto files = storage::list_all(bucket, "year=");
  ASSERT_FALSE(files.empty());
  bucket.remove(files.front().key);
  bucket.put("year=2025/month=01/day=01/hour=10/stray.parquet", "PAR1");
  std::string bad;
  EXPECT_EQ(testing::run_sluice({"lake", "verify", table}, &bad), 4) << bad;
  EXPECT_NE(bad.find("missing file " + files.front().key), std::string::npos) << bad;
  EXPECT_NE(bad.find("not in the commit log: year=2025/month=01/day=01/hour=10/stray.parquet"),
            std::string::npos)
      << bad;
}

TEST(LakeS3, UnsupportedAndNotYetWritableLocations) {
  testsupport::TempDir dir;
  const std::string input = write_input(dir.path(), 10);
  std::filesystem::current_path(dir.path());
  std::string out;
  EXPECT_EQ(testing::run_sluice(
                {"run", kPipeline, "--input", input, "--lake", "gs://lake/x", "--quiet"}, &out),
            3)
      << out;
  EXPECT_NE(out.find("unsupported scheme 'gs://'"), std::string::npos) << out;
  EXPECT_NE(out.find("s3://bucket/prefix"), std::string::npos) << out;
  EXPECT_EQ(testing::run_sluice(
                {"run", kPipeline, "--input", input, "--lake", "s3://lake/x", "--quiet"}, &out),
            1)
      << out;
  EXPECT_NE(out.find("does not write s3:// lakes yet"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/s3:"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/gs:"));
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new sluice::testsupport::RgwEnvironment);
  return RUN_ALL_TESTS();
}
