// Scale-out under rebalances: 3 `sluice run` workers of one consumer group
// share a 12-partition topic of the mock cluster while events arrive; every
// 2 s one of them joins, is SIGKILLed, leaves with SIGTERM or comes back. The
// lake, read back with DuckDB through a plain glob, must equal the lake of a
// single worker that read the same topic alone: for each example pipeline
// (clickstream; user_events; iot with its dedupe, its window table, which
// the workers' window finalizer computes from the committed raw rows: one
// final row per window and group, equal to the single worker's, and its late
// rows in a side table; access_logs, its text lines read from the topic).
#include <gtest/gtest.h>

#include <csignal>
#include <memory>

#include "scale_support.h"
#include "sources/kafka/dev_broker.h"

namespace sluice::testing {
namespace {

struct Case {
  const char* pipeline;  // examples/<pipeline>.yaml, topic and table of the same name
  const char* family;    // generator family
  const char* key;       // message key field (a producer retry keeps its partition)
  double duplicates_pct;
  std::vector<std::string> sets;
  const char* window_table = nullptr;  // the pipeline's window table, if any
  double event_rate = 1000;            // events per second of event time
  double late_pct = 0;
  // If set: the pipeline's late policy becomes side_table with this table
  // (a copy of the example in the test directory), compared like the others.
  const char* late_table = nullptr;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.pipeline;
}

std::string example(const std::string& name) {
  return std::string(SLUICE_SOURCE_DIR) + "/examples/" + name + ".yaml";
}

// The pipeline file the workers run: the example, or for a case with a late
// table a copy of it in `dir` with the late policy switched.
std::string pipeline_file(const Case& c, const std::string& dir) {
  if (!c.late_table) return example(c.pipeline);
  std::string yaml = file_text(example(c.pipeline));
  const std::string dlq = "late_policy: dlq";
  const size_t at = yaml.find(dlq);
  if (at == std::string::npos) throw std::runtime_error("no late_policy: dlq in the example");
  yaml.replace(at, dlq.size(),
               std::string("late_policy: side_table\n    late_table: ") + c.late_table);
  const std::string path = dir + "/" + c.pipeline + ".yaml";
  std::ofstream(path) << yaml;
  return path;
}

std::vector<std::string> worker(const Case& c, const std::string& pipeline,
                                const std::string& brokers, const std::string& lake,
                                const std::string& group, const std::string& writer) {
  std::vector<std::string> args = {"run",
                                   pipeline,
                                   "--brokers",
                                   brokers,
                                   "--topic",
                                   c.pipeline,
                                   "--group",
                                   group,
                                   "--lake",
                                   lake,
                                   "--writer-id",
                                   writer,
                                   "--dlq",
                                   lake + "/dlq-" + writer + ".ndjson",
                                   "--quiet",
                                   "--set",
                                   "sink.lake.commit_interval_ms=300",
                                   "--set",
                                   "source.kafka.session_timeout_ms=6000",
                                   "--set",
                                   "source.kafka.properties={heartbeat.interval.ms: '500'}"};
  for (const auto& s : c.sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  return args;
}

class KafkaScaleOut : public ::testing::TestWithParam<Case> {};

TEST_P(KafkaScaleOut, ThreeWorkersWithRebalancesEqualOneWorker) {
  const Case& c = GetParam();
  constexpr int64_t kEvents = 6000;
  TempDir dir;
  DevBroker broker(0);
  broker.create_topic(c.pipeline, 12);
  const std::string multi = dir.path() + "/multi";
  const std::string single = dir.path() + "/single";
  const std::string table = multi + "/" + c.pipeline;
  const std::string pipeline = pipeline_file(c, dir.path());

  // Events arrive during the whole schedule (about 600/s).
  std::thread producer_thread([&] {
    KafkaProducer producer(broker.bootstraps(), {});
    for (int64_t i = 0; i < kEvents; i += 300) {
      produce_events(producer, c.pipeline, c.family, 33, c.duplicates_pct, i, i + 300, c.key,
                     c.event_rate, c.late_pct);
      producer.flush(30000);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });

  std::map<std::string, std::unique_ptr<Child>> workers;
  auto start = [&](const std::string& w) {
    workers[w] = std::make_unique<Child>(
        worker(c, pipeline, broker.bootstraps(), multi, "scale", w), dir.path() + "/" + w + ".log");
  };
  auto stop = [&](const std::string& w, int sig) {
    workers[w]->signal(sig);
    int rc = workers[w]->wait();
    if (sig == SIGTERM) {
      EXPECT_EQ(rc, 0) << w << ": " << file_text(dir.path() + "/" + w + ".log");
    }
    workers.erase(w);
  };
  // Joins, kills (restarted within the session timeout: static membership
  // gives the partitions back), and a clean leave.
  const std::vector<std::pair<std::string, int>> schedule = {
      {"w1", 0},       {"w2", 0}, {"w3", 0},       {"w2", SIGKILL}, {"w2", 0},
      {"w1", SIGTERM}, {"w1", 0}, {"w3", SIGKILL}, {"w3", 0}};
  for (const auto& [w, sig] : schedule) {
    if (sig == 0) {
      start(w);
    } else {
      stop(w, sig);
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  producer_thread.join();
  ASSERT_TRUE(wait_for([&] { return committed_messages(table) >= kEvents; }, 90))
      << "committed " << committed_messages(table) << " of " << kEvents << " messages\n"
      << file_text(dir.path() + "/w1.log");
  // The same topic read by one worker alone, in its own group and lake.
  std::vector<std::string> alone =
      worker(c, pipeline, broker.bootstraps(), single, "alone", "solo");
  alone.insert(alone.end(), {"--stop-after", std::to_string(kEvents)});
  std::string out;
  ASSERT_EQ(run_sluice(alone, &out), 0) << out;
  if (c.window_table) {
    // The workers' finalizer reaches the table watermark the single worker
    // ended with (both are the same function of the committed raw rows).
    const int64_t solo = finalized_up_to(single + "/" + c.window_table);
    EXPECT_GT(solo, 0);
    EXPECT_TRUE(wait_for([&] { return finalized_up_to(multi + "/" + c.window_table) == solo; }, 60))
        << finalized_up_to(multi + "/" + c.window_table) << " vs " << solo;
  }
  for (const auto& w : {"w1", "w2", "w3"}) {
    ASSERT_EQ(workers[w]->poll(), -1) << w << ": " << file_text(dir.path() + "/" + w + ".log");
    stop(w, SIGTERM);
  }
  EXPECT_EQ(committed_messages(table), kEvents);

  Duck duck;
  auto rows = [&](const std::string& lake) {
    return "(SELECT * EXCLUDE (ingest_timestamp) FROM read_parquet('" + lake + "/" + c.pipeline +
           "/**/*.parquet', hive_partitioning=true))";
  };
  const int64_t n_multi = duck.scalar("SELECT count(*) FROM " + rows(multi));
  const int64_t n_single = duck.scalar("SELECT count(*) FROM " + rows(single));
  EXPECT_GT(n_single, kEvents / 2);
  EXPECT_EQ(n_multi, n_single);
  EXPECT_EQ(
      duck.scalar("SELECT count(*) FROM (" + rows(multi) + " EXCEPT ALL " + rows(single) + ")"), 0);
  EXPECT_EQ(
      duck.scalar("SELECT count(*) FROM (" + rows(single) + " EXCEPT ALL " + rows(multi) + ")"), 0);
  std::string verify;
  EXPECT_EQ(run_sluice({"lake", "verify", table}, &verify), 0) << verify;
  if (c.window_table) {
    // One final row per window and group, never partials or repeats, and
    // the same rows (bit for bit: the finalizer aggregates in a fixed order)
    // as the single worker's.
    auto windows = [&](const std::string& lake) {
      return "(SELECT * EXCLUDE (processing_time) FROM read_parquet('" + lake + "/" +
             c.window_table + "/**/*.parquet', hive_partitioning=false))";
    };
    const int64_t w_multi = duck.scalar("SELECT count(*) FROM " + windows(multi));
    EXPECT_GT(w_multi, 5);
    EXPECT_EQ(w_multi, duck.scalar("SELECT count(*) FROM " + windows(single)));
    EXPECT_EQ(duck.scalar("SELECT count(*) - count(DISTINCT (window_start, device_type)) FROM " +
                          windows(multi)),
              0);
    auto differ = duck.rows(
        "SELECT side || ': ' || CAST(d AS VARCHAR) FROM (SELECT 'multi' AS side, d FROM (" +
        windows(multi) + " EXCEPT ALL " + windows(single) +
        ") d UNION ALL SELECT 'single', d FROM (" + windows(single) + " EXCEPT ALL " +
        windows(multi) + ") d) ORDER BY CAST(d AS VARCHAR)");
    std::string shown;
    for (const auto& r : differ) {
      for (const auto& v : r) shown += v + " ";
      shown += "\n";
    }
    EXPECT_TRUE(differ.empty()) << differ.size() << " window rows differ:\n" << shown;
    EXPECT_EQ(duck.scalar("SELECT count(*) FROM (" + windows(single) + " EXCEPT ALL " +
                          windows(multi) + ")"),
              0);
    EXPECT_EQ(run_sluice({"lake", "verify", multi + "/" + c.window_table}, &verify), 0) << verify;
    RecordProperty("windows", std::to_string(w_multi));
  }
  if (c.late_table) {
    // The late side table: written once whichever worker judged a row late
    // (and however often its partition moved), equal to the single worker's.
    auto late = [&](const std::string& lake) {
      return "(SELECT * EXCLUDE (ingest_timestamp) FROM read_parquet('" + lake + "/" +
             c.late_table + "/**/*.parquet', hive_partitioning=false))";
    };
    const int64_t l_multi = duck.scalar("SELECT count(*) FROM " + late(multi));
    EXPECT_GT(l_multi, 10);
    EXPECT_EQ(l_multi, duck.scalar("SELECT count(*) FROM " + late(single)));
    EXPECT_EQ(duck.scalar("SELECT count(*) - count(DISTINCT event_id) FROM " + late(multi)), 0);
    EXPECT_EQ(
        duck.scalar("SELECT count(*) FROM (" + late(multi) + " EXCEPT ALL " + late(single) + ")"),
        0);
    EXPECT_EQ(
        duck.scalar("SELECT count(*) FROM (" + late(single) + " EXCEPT ALL " + late(multi) + ")"),
        0);
    // Late rows are raw rows too.
    EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + late(multi) +
                          " WHERE event_id NOT IN (SELECT event_id FROM " + rows(multi) + ")"),
              0);
    EXPECT_EQ(run_sluice({"lake", "verify", multi + "/" + c.late_table}, &verify), 0) << verify;
    RecordProperty("late_rows", std::to_string(l_multi));
  }
  RecordProperty("rows", std::to_string(n_multi));
  RecordProperty("log_entries", std::to_string(log_entries_json(table).size()));
}

INSTANTIATE_TEST_SUITE_P(
    Examples, KafkaScaleOut,
    ::testing::Values(Case{"clickstream", "clickstream", "session_id", 0, {}},
                      Case{"user_events", "user_events", "user_id", 0, {}},
                      // 6000 events over 5 minutes of event time, 1% of them 1-5 minutes
                      // late: about 20 one-minute windows close, and late rows are judged
                      // by whichever worker reads their partition.
                      // Late rows go to a side table here (late_policy: side_table).
                      Case{"iot", "iot", "event_id", 2, {}, "iot_windows", 20, 1, "iot_late"},
                      // Text lines (apache combined) through the topic instead of a file.
                      Case{"access_logs", "access-log", "", 0, {}}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.pipeline); });

}  // namespace
}  // namespace sluice::testing
