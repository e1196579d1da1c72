// The lake in an S3 bucket (a real RADOS Gateway started once for this
// binary): `sluice lake ls|log|verify` on a table in the bucket, `sluice run`
// writing into the bucket (the same rows as the same run on local disk), a
// Kafka ingest into the bucket killed with SIGKILL 10 times and restarted (every event
// exactly once, through the log and through a plain listing), and the lake
// locations `sluice run` refuses: an unsupported scheme is a config error
// naming the supported ones, and no local folder named after the scheme
// appears.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "s3_test_util.h"
#include "sinks/lake/commit_log.h"
#include "storage/local_storage.h"
#include "storage/s3/s3_storage.h"
#include "support/rgw_fixture.h"
#include "test_support.h"

namespace sluice {
namespace {

using s3test::download_table;
using s3test::upload_table;
using s3test::write_input;
using testsupport::RgwEnvironment;

const std::string kPipeline = std::string(SLUICE_SOURCE_DIR) + "/examples/clickstream.yaml";

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

using testing::file_text;
using testing::logged_files;
using testing::wait_for_broker_address;

TEST(LakeS3, RunIntoTheBucketEqualsTheLocalRun) {
  auto& rgw = RgwEnvironment::get();
  rgw.create_bucket("lake");
  rgw.export_environment();
  testsupport::TempDir dir;
  std::filesystem::current_path(dir.path());  // the DLQ of an s3:// lake is ./_dlq
  const std::string input = write_input(dir.path(), 3000);
  const std::string lake = dir.path() + "/lake";
  std::string out;
  const std::vector<std::string> common = {"--input", input, "--quiet", "--set",
                                           "sink.lake.commit_interval_ms=10"};
  std::vector<std::string> local = {"run", kPipeline, "--lake", lake};
  local.insert(local.end(), common.begin(), common.end());
  ASSERT_EQ(testing::run_sluice(local, &out), 0) << out;
  std::vector<std::string> remote = {"run", kPipeline, "--lake", "s3://lake/run"};
  remote.insert(remote.end(), common.begin(), common.end());
  ASSERT_EQ(testing::run_sluice(remote, &out), 0) << out;
  EXPECT_FALSE(std::filesystem::exists("s3:"));

  std::string verify;
  EXPECT_EQ(testing::run_sluice({"lake", "verify", "s3://lake/run/clickstream"}, &verify), 0)
      << verify;
  EXPECT_NE(verify.find(" 3000 rows in the log"), std::string::npos) << verify;
  // The same rows (multiset), read back from a download of the bucket.
  storage::S3Storage bucket(rgw.client_config("lake"), "run", {});
  const std::string copy = dir.path() + "/copy";
  download_table(bucket, "clickstream", copy);
  EXPECT_TRUE(storage::list_all(bucket, "clickstream/_sluice_staging/").empty());
  testing::Duck duck;
  // ingest_timestamp is the clock at ingestion: the one column that differs.
  const std::string a = "(SELECT * EXCLUDE (ingest_timestamp) FROM read_parquet('" + lake +
                        "/clickstream/**/*.parquet'))";
  const std::string b =
      "(SELECT * EXCLUDE (ingest_timestamp) FROM read_parquet('" + copy + "/**/*.parquet'))";
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + b), 3000);
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM (SELECT * FROM " + a + " EXCEPT ALL SELECT * FROM " +
                        b + ")"),
            0);
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM (SELECT * FROM " + b + " EXCEPT ALL SELECT * FROM " +
                        a + ")"),
            0);
}

// SIGKILL at random moments of a Kafka ingest into the bucket, then a last
// run to the end: every produced event once, through the log and through a
// plain listing of TABLE/**.parquet.
TEST(LakeS3, SigkillDuringKafkaIngestIntoTheBucket) {
  auto& rgw = RgwEnvironment::get();
  rgw.create_bucket("lake");
  rgw.export_environment();
  testsupport::TempDir dir;
  std::filesystem::current_path(dir.path());
  const std::string broker_out = dir.path() + "/broker.out";
  testing::Child broker({"dev-broker", "--topic", "iot", "--partitions", "2"}, broker_out);
  const std::string brokers = wait_for_broker_address(broker_out, 10000);
  ASSERT_FALSE(brokers.empty()) << file_text(broker_out);
  const std::string gen_out = dir.path() + "/generate.out";
  testing::Child generator({"generate", "iot", "--count", "6000", "--rate", "100", "--seed", "5",
                            "--duplicates", "0", "--output", "kafka://" + brokers + "/iot"},
                           gen_out);
  const std::string kIot = std::string(SLUICE_SOURCE_DIR) + "/examples/iot.yaml";
  const std::vector<std::string> run = {"run",
                                        kIot,
                                        "--brokers",
                                        brokers,
                                        "--topic",
                                        "iot",
                                        "--group",
                                        "s3-crash",
                                        "--writer-id",
                                        "w1",
                                        "--lake",
                                        "s3://lake/crash",
                                        "--quiet",
                                        "--set",
                                        "sink.lake.commit_interval_ms=150",
                                        "--set",
                                        "source.kafka.max_batch_records=500",
                                        "--set",
                                        "source.kafka.properties={session.timeout.ms: '6000', "
                                        "heartbeat.interval.ms: '500'}"};
  storage::S3Storage bucket(rgw.client_config("lake"), "crash", {});
  auto log_entries = [&] { return storage::list_all(bucket, "iot/_sluice_log/").size(); };
  const std::string log = dir.path() + "/run.log";
  std::mt19937 rng(13);
  std::uniform_int_distribution<int> delay_ms(0, 300);
  // Issue 13 asks for at least 10 kills during the ingest.
  constexpr int kKills = 10;
  int kills = 0;
  for (int round = 0; round < kKills; ++round) {
    const size_t before = log_entries();
    testing::Child child(run, log);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (log_entries() <= before && std::chrono::steady_clock::now() < deadline &&
           child.poll() == -1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_GT(log_entries(), before) << "round " << round << ": no commit within 60 s\n"
                                     << file_text(log);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    ASSERT_EQ(child.poll(), -1) << "sluice run exited on its own in round " << round;
    child.signal(SIGKILL);
    EXPECT_EQ(child.wait(), 128 + SIGKILL);
    ++kills;
  }
  ASSERT_EQ(generator.wait(), 0) << file_text(gen_out);
  {
    // A last run until the log covers every produced event (the sum of the
    // partitions' committed next offsets), stopped with SIGTERM.
    storage::S3Storage table(rgw.client_config("lake"), "crash/iot", {});
    auto committed = [&] {
      SourceOffsets at;
      for (const LakeCommitEntry& e : read_commit_log(table)) {
        for (const auto& [stream, offset] : e.end_offsets) at[stream] = offset;
      }
      int64_t n = 0;
      for (const auto& [stream, offset] : at) n += offset;
      return n;
    };
    testing::Child child(run, log);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (committed() < 6000 && std::chrono::steady_clock::now() < deadline &&
           child.poll() == -1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_EQ(committed(), 6000) << file_text(log);
    child.signal(SIGTERM);
    EXPECT_EQ(child.wait(), 0) << file_text(log);
  }
  std::string verify;
  EXPECT_EQ(testing::run_sluice({"lake", "verify", "s3://lake/crash/iot"}, &verify), 0) << verify;
  const std::string copy = dir.path() + "/copy";
  download_table(bucket, "iot", copy);
  testing::Duck duck;
  const std::string glob = "read_parquet('" + copy + "/**/*.parquet')";
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + glob), 6000);
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT event_id) FROM " + glob), 6000);
  const std::string via_log = "read_parquet(" + logged_files(copy) + ")";
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + via_log), 6000);
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT event_id) FROM " + via_log), 6000);
  EXPECT_EQ(kills, kKills);
}

TEST(LakeS3, UnsupportedLocations) {
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
