// Event time must not depend on how data arrives. The same IoT input --
// a 2-hour replay, in order within 20 s, with producer-retry duplicates --
// goes through the file source with batches of 1, 100 and 10,000 records,
// appended to a followed file at a slow rate, through Kafka (one partition
// and three), and through runs killed with SIGKILL and restarted: the raw,
// window and late tables must be identical. A second input with events
// later than the watermark delay must give exactly the late rows that a
// per-record reference computation, written here independently of the
// operator, says.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "sources/kafka/dev_broker.h"
#include "sources/kafka/kafka_producer.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

const std::string kIot = std::string(SLUICE_SOURCE_DIR) + "/examples/iot.yaml";
constexpr int64_t kSecondMs = 1000;
constexpr int64_t kDelayMs = 30 * kSecondMs;     // examples/iot.yaml watermark delay
constexpr int64_t kHorizonMs = 600 * kSecondMs;  // examples/iot.yaml dedupe horizon
constexpr int64_t kWindowMs = 60 * kSecondMs;    // examples/iot.yaml tumbling window
constexpr int64_t kStartMs = 1767261600000;      // 2026-01-01T10:00:00Z

struct Event {
  std::string id;
  int64_t ts_ms = 0;
  std::string line;
};

std::string iso_ms(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

// IoT events over `hours`, each at its slot's time plus up to `jitter_ms`
// (so the file is in order within the jitter); `dup_pct` of them repeated a
// few events later (a producer retry: the same bytes); `late_pct` of them
// moved back by 1 to 5 minutes (later than the 30 s delay).
std::vector<Event> make_events(int count, int hours, int64_t jitter_ms, double dup_pct,
                               double late_pct, uint32_t seed) {
  static const char* kTypes[] = {"temperature", "pressure", "humidity", "motion", "light"};
  static const char* kStatus[] = {"normal", "normal", "normal", "normal", "warning", "critical"};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::lognormal_distribution<double> duration(std::log(150.0), 0.5);
  const double step = static_cast<double>(hours) * 3600000.0 / count;
  std::vector<Event> events;
  std::vector<size_t> retry_at;  // index of an event to repeat, by position
  for (int i = 0; i < count; ++i) {
    Event e;
    char id[40];
    std::snprintf(id, sizeof id, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(i),
                  static_cast<unsigned>(seed & 0xffff), i % 4096, (i / 7) % 4096,
                  static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
    e.id = id;
    e.ts_ms = kStartMs + static_cast<int64_t>(i * step) +
              static_cast<int64_t>(u(rng) * static_cast<double>(jitter_ms));
    if (u(rng) * 100 < late_pct) e.ts_ms -= 60000 + static_cast<int64_t>(u(rng) * 240000);
    const int type = static_cast<int>(rng() % 5);
    char device[16];
    std::snprintf(device, sizeof device, "device-%03d", static_cast<int>(rng() % 200));
    nlohmann::json j = {{"event_id", e.id},
                        {"device_id", device},
                        {"device_type", kTypes[type]},
                        {"timestamp", iso_ms(e.ts_ms)},
                        {"event_duration", std::round(std::min(duration(rng), 1000.0) * 10) / 10},
                        {"value", std::round(u(rng) * 10000) / 100},
                        {"status", kStatus[rng() % 6]},
                        {"metadata",
                         {{"location", std::string("zone-") + static_cast<char>('A' + rng() % 5)},
                          {"firmware", "v1." + std::to_string(rng() % 4) + ".0"}}}};
    e.line = j.dump();
    events.push_back(e);
    if (u(rng) * 100 < dup_pct) events.push_back(events.back());  // retried right away
  }
  // Move some retries a few events later, as a producer retry would land.
  for (size_t i = 1; i + 3 < events.size(); ++i) {
    if (events[i].id == events[i - 1].id && rng() % 2 == 0) std::swap(events[i], events[i + 2]);
  }
  return events;
}

void write_events(const std::vector<Event>& events, const std::string& path) {
  std::ofstream out(path);
  for (const auto& e : events) out << e.line << '\n';
}

std::string glob(const std::string& lake, const std::string& table) {
  return "read_parquet('" + lake + "/" + table + "/**/*.parquet', hive_partitioning=false)";
}

const char* kWindowCols =
    "window_start, window_end, device_type, events, avg_duration, min_duration, max_duration, "
    "avg_value, p95_duration";

// The late event ids the DLQ holds, sorted.
std::vector<std::string> late_ids(const std::string& lake) {
  std::vector<std::string> ids;
  for (const auto& l : read_lines(lake + "/_dlq/iot.ndjson")) {
    auto j = nlohmann::json::parse(l);
    if (j["rule"] != "late") continue;
    ids.push_back(nlohmann::json::parse(j["original"].get<std::string>())["event_id"]);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

// `a` and `b` hold the same raw rows (ingest time aside), the same windows
// (processing time aside) and the same late events.
void expect_same_tables(const std::string& a, const std::string& b, const std::string& what) {
  Duck duck;
  for (const auto& [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
    EXPECT_EQ(duck.scalar("SELECT count(*) FROM (SELECT * EXCLUDE (ingest_timestamp) FROM " +
                          glob(x, "iot") + " EXCEPT ALL SELECT * EXCLUDE (ingest_timestamp) FROM " +
                          glob(y, "iot") + ")"),
              0)
        << what << ": raw rows of " << x << " missing from " << y;
    EXPECT_EQ(duck.scalar(std::string("SELECT count(*) FROM (SELECT ") + kWindowCols + " FROM " +
                          glob(x, "iot_windows") + " EXCEPT ALL SELECT " + kWindowCols + " FROM " +
                          glob(y, "iot_windows") + ")"),
              0)
        << what << ": windows of " << x << " missing from " << y;
  }
  EXPECT_EQ(late_ids(a), late_ids(b)) << what;
}

// The windows equal SQL over the raw table minus the late rows, and (with
// one source stream) every window the final watermark closed was emitted.
void expect_windows_match_sql(const std::string& lake, bool one_stream = true) {
  Duck duck;
  const std::vector<std::string> late = late_ids(lake);
  std::string late_list = "''";
  for (const auto& id : late) late_list += ",'" + id + "'";
  duck.rows(
      "CREATE TABLE expected AS SELECT time_bucket(INTERVAL 1 minute, \"timestamp\") AS "
      "window_start, device_type, count(*) AS events, avg(event_duration) AS avg_duration, "
      "min(event_duration) AS min_duration, max(event_duration) AS max_duration, "
      "avg(value) AS avg_value, quantile_cont(event_duration, 0.95) AS p95_duration FROM " +
      glob(lake, "iot") + " WHERE event_id NOT IN (" + late_list + ") GROUP BY ALL");
  duck.rows("CREATE TABLE got AS SELECT * FROM " + glob(lake, "iot_windows"));
  auto mismatches = duck.rows(
      "SELECT g.window_start, g.device_type, g.events, e.events FROM got g LEFT JOIN expected e "
      "USING (window_start, device_type) WHERE e.events IS NULL OR g.events <> e.events OR "
      "abs(g.avg_duration - e.avg_duration) > 1e-9 OR g.min_duration <> e.min_duration OR "
      "g.max_duration <> e.max_duration OR abs(g.avg_value - e.avg_value) > 1e-9 OR "
      "abs(g.p95_duration - e.p95_duration) > 1e-9");
  EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " windows differ from SQL, first "
                                  << mismatches[0][0] << " " << mismatches[0][1];
  if (!one_stream) return;
  int64_t max_ts = duck.scalar("SELECT epoch_ms(max(\"timestamp\")) FROM " + glob(lake, "iot"));
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM got"),
            duck.scalar("SELECT count(*) FROM expected WHERE epoch_ms(window_start) + " +
                        std::to_string(kWindowMs) + " <= " + std::to_string(max_ts - kDelayMs)));
}

std::vector<std::string> file_run(const std::string& input, const std::string& lake, size_t batch) {
  return {"run",
          kIot,
          "--input",
          input,
          "--lake",
          lake,
          "--quiet",
          "--set",
          "source.file.max_batch_records=" + std::to_string(batch),
          "--set",
          "sink.lake.commit_interval_ms=200"};
}

class Replay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    events_ = new std::vector<Event>(make_events(12000, 2, 20 * kSecondMs, 2, 0, 11));
    input_ = dir_->path() + "/replay.ndjson";
    write_events(*events_, input_);
    reference_ = dir_->path() + "/ref";
    std::string out;
    ASSERT_EQ(run_sluice(file_run(input_, reference_, 10000), &out), 0) << out;
  }
  static void TearDownTestSuite() {
    delete events_;
    delete dir_;
  }
  static TempDir* dir_;
  static std::vector<Event>* events_;
  static std::string input_, reference_;
};
TempDir* Replay::dir_ = nullptr;
std::vector<Event>* Replay::events_ = nullptr;
std::string Replay::input_, Replay::reference_;

// The reproduction: a replayed file spans far more event time per
// batch than the 30 s delay, yet nothing in it is late.
TEST_F(Replay, TwoHourReplayHasNoLateRowsAndWindowsEqualSql) {
  EXPECT_TRUE(late_ids(reference_).empty()) << late_ids(reference_).size() << " late rows";
  Duck duck;
  std::set<std::string> ids;
  for (const auto& e : *events_) ids.insert(e.id);
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + glob(reference_, "iot")),
            static_cast<int64_t>(ids.size()));
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT event_id) FROM " + glob(reference_, "iot")),
            static_cast<int64_t>(ids.size()));
  // 2 hours of 1-minute windows, 5 device types, minus the last minute.
  EXPECT_GT(duck.scalar("SELECT count(*) FROM " + glob(reference_, "iot_windows")), 500);
  expect_windows_match_sql(reference_);
}

TEST_F(Replay, BatchSizeDoesNotChangeTheTables) {
  for (size_t batch : {size_t{1}, size_t{100}}) {
    const std::string lake = dir_->path() + "/batch" + std::to_string(batch);
    std::string out;
    ASSERT_EQ(run_sluice(file_run(input_, lake, batch), &out), 0) << out;
    expect_same_tables(reference_, lake, "max_batch_records=" + std::to_string(batch));
  }
}

// The file grows while sluice follows it: small batches, many commits.
TEST_F(Replay, SlowArrivalDoesNotChangeTheTables) {
  const std::string input = dir_->path() + "/slow.ndjson";
  const std::string lake = dir_->path() + "/slow";
  std::ofstream(input).close();
  Child child({"run", kIot, "--input", input, "--lake", lake, "--quiet", "--set",
               "source.file.follow=true", "--set", "source.file.poll_ms=10", "--set",
               "sink.lake.commit_interval_ms=50", "--idle-stop-ms", "3000"},
              dir_->path() + "/slow.log");
  {
    std::ofstream out(input, std::ios::app);
    for (size_t i = 0; i < events_->size(); ++i) {
      out << (*events_)[i].line << '\n';
      if (i % 400 == 399) {
        out.flush();
        std::this_thread::sleep_for(std::chrono::milliseconds(40));
      }
    }
  }
  ASSERT_EQ(child.wait(), 0);
  expect_same_tables(reference_, lake, "slow arrival");
}

TEST_F(Replay, KafkaOneOrThreePartitionsGiveTheSameTables) {
  for (int partitions : {1, 3}) {
    DevBroker broker(0);
    broker.create_topic("iot", partitions);
    {
      KafkaProducer producer(broker.bootstraps(), {});
      // Keyed by device: each partition gets its devices' events in file order.
      for (const auto& e : *events_) {
        producer.produce("iot", e.line,
                         nlohmann::json::parse(e.line)["device_id"].get<std::string>());
      }
      producer.flush(30000);
    }
    const std::string lake = dir_->path() + "/kafka" + std::to_string(partitions);
    std::string out;
    ASSERT_EQ(
        run_sluice({"run", kIot, "--brokers", broker.bootstraps(), "--topic", "iot", "--group",
                    "inv", "--lake", lake, "--quiet", "--set", "source.kafka.max_batch_records=500",
                    "--set", "sink.lake.commit_interval_ms=200", "--stop-after",
                    std::to_string(events_->size()), "--idle-stop-ms", "120000"},
                   &out),
        0)
        << out;
    if (partitions == 1) {
      expect_same_tables(reference_, lake, "kafka, 1 partition");
      continue;
    }
    // Three partitions: the same raw rows and late rows; the windows the
    // slowest partition's watermark closed are the same (the last minute may
    // still be open when the run stops).
    expect_windows_match_sql(lake, false);
    Duck duck;
    EXPECT_EQ(duck.scalar("SELECT count(*) FROM (SELECT * EXCLUDE (ingest_timestamp) FROM " +
                          glob(reference_, "iot") +
                          " EXCEPT ALL SELECT * EXCLUDE (ingest_timestamp) FROM " +
                          glob(lake, "iot") + ")"),
              0);
    EXPECT_EQ(late_ids(lake), late_ids(reference_));
    // Rows from three partitions interleave differently, so sums may differ
    // in the last bits: equal counts, min, max, p95; averages within 1e-9.
    const std::string cutoff = "(SELECT max(window_start) FROM " + glob(lake, "iot_windows") + ")";
    EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + glob(reference_, "iot_windows") +
                          " r FULL JOIN " + glob(lake, "iot_windows") +
                          " k USING (window_start, device_type) WHERE window_start <= " + cutoff +
                          " AND (k.events IS NULL OR r.events IS NULL OR r.events <> k.events OR "
                          "r.min_duration <> k.min_duration OR r.max_duration <> k.max_duration OR "
                          "r.p95_duration <> k.p95_duration OR "
                          "abs(r.avg_duration - k.avg_duration) > 1e-9 OR "
                          "abs(r.avg_value - k.avg_value) > 1e-9)"),
              0);
    EXPECT_GT(duck.scalar("SELECT count(*) FROM " + glob(lake, "iot_windows")), 500);
  }
}

TEST_F(Replay, SigkillAndRestartGiveTheSameTables) {
  const std::string lake = dir_->path() + "/crashed";
  // One record per batch and frequent commits: a run lasts long enough to be
  // killed several times.
  auto args = file_run(input_, lake, 1);
  args.push_back("--set");
  args.push_back("sink.lake.commit_interval_ms=30");
  auto log_entries = [&] {
    size_t n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(lake + "/iot/_sluice_log", ec))
      n += e.path().extension() == ".json";
    return n;
  };
  std::mt19937 rng(3);
  int kills = 0;
  for (int round = 0; round < 12 && kills < 4; ++round) {
    const size_t before = log_entries();
    Child child(args, dir_->path() + "/crash.log");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (log_entries() <= before && child.poll() == -1 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    // Kill soon after a new commit: the native writer finishes a run in about a
    // second, so a long random delay often let the run end unkilled.
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 40));
    if (child.poll() == -1) {
      child.signal(SIGKILL);
      child.wait();
      ++kills;
    }
  }
  EXPECT_GE(kills, 2);
  std::string out;
  ASSERT_EQ(run_sluice(args, &out), 0) << out;
  expect_same_tables(reference_, lake, "SIGKILL and restart");
}

// The reference: per record in file order, the watermark before it is the
// largest earlier event time minus the delay; a row is a duplicate if its id
// was kept before with an event time not older than that watermark minus the
// horizon, and late if its 1-minute window ended at or before the watermark.
std::vector<std::string> reference_late(const std::vector<Event>& events) {
  std::map<std::string, int64_t> seen;
  std::vector<std::string> late;
  bool any = false;
  int64_t max_ts = 0;
  for (const auto& e : events) {
    const bool have_wm = any;
    const int64_t wm = max_ts - kDelayMs;
    any = true;
    max_ts = std::max(max_ts, e.ts_ms);
    auto it = seen.find(e.id);
    if (it != seen.end() && !(have_wm && it->second + kHorizonMs < wm)) continue;  // duplicate
    if (it == seen.end() || e.ts_ms > it->second) seen[e.id] = e.ts_ms;
    const int64_t window_end = (e.ts_ms / kWindowMs) * kWindowMs + kWindowMs;
    if (have_wm && window_end <= wm) late.push_back(e.id);
  }
  std::sort(late.begin(), late.end());
  return late;
}

TEST(EventTimeLate, LateRowsAreExactlyThoseOfAPerRecordReference) {
  TempDir dir;
  auto events = make_events(6000, 1, 5 * kSecondMs, 2, 3, 29);
  const std::string input = dir.path() + "/late.ndjson";
  write_events(events, input);
  const std::vector<std::string> expected = reference_late(events);
  ASSERT_GT(expected.size(), 50u);
  for (size_t batch : {size_t{1}, size_t{10000}}) {
    const std::string lake = dir.path() + "/lake" + std::to_string(batch);
    std::string out;
    ASSERT_EQ(run_sluice(file_run(input, lake, batch), &out), 0) << out;
    EXPECT_EQ(late_ids(lake), expected) << "max_batch_records=" << batch;
    expect_windows_match_sql(lake);
  }
}

}  // namespace
}  // namespace sluice::testing
