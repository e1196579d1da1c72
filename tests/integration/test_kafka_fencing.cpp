// A stale owner is fenced: a `sluice run` worker holding uncommitted rows is
// paused (SIGSTOP) past its session timeout, the group gives its partitions
// to a second worker, and then it resumes (SIGCONT). Whether or not the new
// owner has committed anything yet, the old one must not publish a commit for
// the partitions it lost: it exits with code 1, the new owner goes on, and
// every event is in the lake exactly once. The same for a paused window
// finalizer: it cannot publish a window commit once another worker took the
// role.
#include <gtest/gtest.h>

#include <csignal>

#include "scale_support.h"
#include "sources/kafka/dev_broker.h"

namespace sluice::testing {
namespace {

const std::string kIot = std::string(SLUICE_SOURCE_DIR) + "/examples/iot.yaml";
constexpr int64_t kEvents = 3000;

// `windows`: the example as it is (its window finalizer runs in the owner of
// partition 0); otherwise without its window, for the raw table alone.
std::vector<std::string> worker(const std::string& brokers, const std::string& lake,
                                const std::string& writer, int commit_interval_ms,
                                bool windows = false, const std::string& group = "fence") {
  std::vector<std::string> args = {
      "run",         kIot,
      "--brokers",   brokers,
      "--topic",     "iot",
      "--group",     group,
      "--lake",      lake,
      "--writer-id", writer,
      "--dlq",       lake + "/dlq-" + writer + ".ndjson",
      "--set",       "sink.lake.commit_interval_ms=" + std::to_string(commit_interval_ms),
      "--set",       "source.kafka.session_timeout_ms=6000",
      "--set",       "source.kafka.properties={heartbeat.interval.ms: '500'}",
      "--set",       "source.kafka.poll_timeout_ms=100"};
  if (!windows) {
    args.insert(args.end(),
                {"--set",
                 "transforms=[{type: add_fields, ingest_timestamp: ingest_timestamp, source_type: "
                 "iot}, {type: watermark, delay: 30s, idle_timeout: 1m}, "
                 "{type: dedupe, key: [event_id], horizon: 10m}]"});
  }
  return args;
}

class KafkaFencing : public ::testing::TestWithParam<int> {};

TEST_P(KafkaFencing, PausedOwnerCannotCommitPartitionsItLost) {
  const int new_owner_commit_ms = GetParam();
  TempDir dir;
  DevBroker broker(0);
  broker.create_topic("iot", 4);
  {
    KafkaProducer producer(broker.bootstraps(), {});
    produce_events(producer, "iot", "iot", 21, 0, 0, kEvents, "event_id");
    producer.flush(30000);
  }
  const std::string lake = dir.path() + "/lake";
  const std::string table = lake + "/iot";
  const std::string log_a = dir.path() + "/a.log";

  // A reads everything but commits only every minute: its rows stay buffered.
  Child a(worker(broker.bootstraps(), lake, "a", 60000), log_a);
  ASSERT_TRUE(
      wait_for([&] { return file_text(log_a).find("read 3000 ") != std::string::npos; }, 60))
      << file_text(log_a);
  ASSERT_EQ(data_commits_by(table, "a"), 0u);
  a.signal(SIGSTOP);

  // B joins; once A's session expired the group gives B every partition and
  // B claims them in the lake.
  Child b(worker(broker.bootstraps(), lake, "b", new_owner_commit_ms), dir.path() + "/b.log");
  ASSERT_TRUE(wait_for([&] { return claims_by(table, "b") >= 1; }, 60))
      << file_text(dir.path() + "/b.log");
  // B has read every event too: both hold the same rows.
  ASSERT_TRUE(wait_for(
      [&] { return file_text(dir.path() + "/b.log").find("read 3000 ") != std::string::npos; }, 60))
      << file_text(dir.path() + "/b.log");
  if (new_owner_commit_ms < 1000) {
    // The new owner has already committed the partitions.
    ASSERT_TRUE(wait_for([&] { return committed_messages(table) == kEvents; }, 60));
  } else {
    ASSERT_EQ(data_commits_by(table, "b"), 0u) << "B committed before A resumed";
  }
  a.signal(SIGCONT);

  // A's next commit (its lost-assignment revoke, or its interval) is refused.
  int rc_a = -1;
  ASSERT_TRUE(wait_for([&] { return (rc_a = a.poll()) != -1; }, 60)) << file_text(log_a);
  EXPECT_EQ(rc_a, 1) << file_text(log_a);
  EXPECT_NE(file_text(log_a).find("stale"), std::string::npos) << file_text(log_a);
  EXPECT_EQ(data_commits_by(table, "a"), 0u) << "the paused owner published a commit";

  // B goes on: the rebalances of A's return and exit make it commit what it
  // read (or, stopped with SIGTERM, it drains and commits).
  wait_for([&] { return committed_messages(table) == kEvents; }, 30);
  EXPECT_EQ(b.poll(), -1) << file_text(dir.path() + "/b.log");
  b.signal(SIGTERM);
  EXPECT_EQ(b.wait(), 0) << file_text(dir.path() + "/b.log");
  EXPECT_EQ(committed_messages(table), kEvents) << file_text(dir.path() + "/b.log");

  Duck duck;
  const std::string glob = "read_parquet('" + table + "/**/*.parquet', hive_partitioning=true)";
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + glob), kEvents);
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT event_id) FROM " + glob), kEvents);
  std::string verify;
  EXPECT_EQ(run_sluice({"lake", "verify", table}, &verify), 0) << verify;
}

// The same for the window finalizer, process by process: A, alone and so the
// finalizer, stops itself (SLUICE_TEST_FINALIZER_STOP_AT=commit: SIGSTOP)
// just before publishing its first window commit; B joins, gets partition 0
// once A's session expired and claims the finalizer's position in the window
// table, but publishes no window before its own (60 s) interval. Resumed,
// A's window commit is fenced by that claim (the start position alone would
// let it through: B has committed no window yet) and A exits with code 1;
// the windows, finalized afterwards, have one row per window and group, as
// the raw rows say.
TEST(KafkaFencing, PausedFinalizerCannotPublishAWindowCommit) {
  TempDir dir;
  DevBroker broker(0);
  broker.create_topic("iot", 4);
  {
    // 20 events per second of event time: 150 s, so 1-minute windows close.
    KafkaProducer producer(broker.bootstraps(), {});
    produce_events(producer, "iot", "iot", 22, 0, 0, kEvents, "event_id", 20);
    producer.flush(30000);
  }
  const std::string lake = dir.path() + "/lake";
  const std::string table = lake + "/iot";
  const std::string windows = lake + "/iot_windows";
  const std::string log_a = dir.path() + "/a.log", log_b = dir.path() + "/b.log";

  ::setenv("SLUICE_TEST_FINALIZER_STOP_AT", "commit", 1);
  Child a(worker(broker.bootstraps(), lake, "a", 300, true), log_a);
  ::unsetenv("SLUICE_TEST_FINALIZER_STOP_AT");
  ASSERT_TRUE(wait_for([&] { return a.stopped(); }, 60)) << file_text(log_a);
  ASSERT_EQ(data_commits_by(windows, "a"), 0u);

  Child b(worker(broker.bootstraps(), lake, "b", 60000, true), log_b);
  ASSERT_TRUE(wait_for([&] { return claims_by(windows, "b") >= 1; }, 60)) << file_text(log_b);
  ASSERT_EQ(data_commits_by(windows, "b"), 0u) << "B finalized before A resumed";
  a.signal(SIGCONT);

  int rc_a = -1;
  ASSERT_TRUE(wait_for([&] { return (rc_a = a.poll()) != -1; }, 60)) << file_text(log_a);
  EXPECT_EQ(rc_a, 1) << file_text(log_a);
  EXPECT_NE(file_text(log_a).find("stale"), std::string::npos) << file_text(log_a);
  EXPECT_EQ(data_commits_by(windows, "a"), 0u) << "the paused finalizer published windows";

  EXPECT_EQ(b.poll(), -1) << file_text(log_b);
  b.signal(SIGTERM);
  EXPECT_EQ(b.wait(), 0) << file_text(log_b);
  // Partition 0 may sit with A's static membership until its session expires
  // (A rejoined when it resumed): a worker of a fresh group claims every
  // partition and the finalizer's role at once, reads nothing new (the lake
  // holds the positions) and finalizes.
  std::vector<std::string> c = worker(broker.bootstraps(), lake, "c", 300, true, "fence-final");
  c.insert(c.end(), {"--idle-stop-ms", "8000"});
  std::string out;
  ASSERT_EQ(run_sluice(c, &out), 0) << out;
  EXPECT_EQ(committed_messages(table), kEvents) << file_text(log_b);
  EXPECT_EQ(data_commits_by(windows, "a"), 0u);
  EXPECT_GE(data_commits_by(windows), 1u) << out;

  Duck duck;
  const std::string raw = "read_parquet('" + table + "/**/*.parquet', hive_partitioning=true)";
  const std::string win = "read_parquet('" + windows + "/**/*.parquet', hive_partitioning=false)";
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT event_id) FROM " + raw), kEvents);
  EXPECT_GE(duck.scalar("SELECT count(*) FROM " + win), 5);
  EXPECT_EQ(
      duck.scalar("SELECT count(*) - count(DISTINCT (window_start, device_type)) FROM " + win), 0);
  // Every window holds exactly the raw rows of its range and group (none is
  // late here: each partition is in event-time order).
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + win +
                        " w WHERE events <> (SELECT count(*) FROM " + raw +
                        " r WHERE r.device_type = w.device_type AND r.\"timestamp\" >= "
                        "w.window_start AND r.\"timestamp\" < w.window_end)"),
            0);
  std::string verify;
  EXPECT_EQ(run_sluice({"lake", "verify", windows}, &verify), 0) << verify;
}

// 60000: the new owner has committed nothing when the old one resumes (the
// start-offset check alone would let the old one publish); 200: it has.
INSTANTIATE_TEST_SUITE_P(NewOwnerCommit, KafkaFencing, ::testing::Values(60000, 200));

}  // namespace
}  // namespace sluice::testing
