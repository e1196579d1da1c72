// The window finalizer on a raw table written by LakeWriter in this process
// (several "workers" are several writers and finalizers on one directory):
// the table watermark, late rows left out of the windows their worker found
// closed, and the fence that keeps a stale finalizer from publishing.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tuple>

#include "core/time.h"
#include "pipeline/event_time_stage.h"
#include "pipeline/window_finalizer.h"
#include "sinks/lake/lake_writer.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

constexpr int64_t kSec = 1000000;

const OutputSchema kSchema = {
    {"g", ColumnType::kString}, {"ts", ColumnType::kTimestamp}, {"d", ColumnType::kDouble}};

PipelineConfig config(const std::string& lake) {
  PipelineConfig c;
  c.name = "fin";
  c.schema.timestamp_field = "ts";
  c.transforms.watermark.delay_ms = 0;
  c.transforms.watermark.idle_timeout_ms = 600000;
  WindowConfig w;
  w.table = "win";
  w.size_ms = 60000;
  w.slide_ms = 60000;
  w.group_by = {"g"};
  w.aggregates = {{AggregateConfig::kCount, "", 0, "n"}, {AggregateConfig::kAvg, "d", 0, "avg_d"}};
  c.transforms.window = w;
  c.lake.path = lake;
  c.lake.table = "raw";
  return c;
}

using Row = std::tuple<std::string, int64_t, double>;

RecordBatch batch(const std::vector<Row>& rows) {
  RecordBatch b(kSchema);
  for (const auto& [g, ts, d] : rows) {
    b.columns[0].push_string(g);
    b.columns[1].push_int64(ts);
    b.columns[2].push_double(d);
  }
  return b;
}

std::string hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// One raw commit of `rows` for `stream` (positions from..to) recording the
// stream's maximum event time, and optionally late rows as a worker records
// them: [row index, the watermark it was judged against].
void commit_raw(LakeWriter& raw, const PipelineConfig& c, const std::string& stream, int64_t from,
                int64_t to, const std::vector<Row>& rows,
                const std::vector<std::pair<size_t, int64_t>>& late = {}) {
  RecordBatch b = batch(rows);
  int64_t max = 0;
  for (const auto& r : rows) max = std::max(max, std::get<1>(r));
  std::map<std::string, std::string> meta{{"stream_max", nlohmann::json{{stream, max}}.dump()},
                                          {"watermark", std::to_string(max)}};
  if (!late.empty()) {
    WindowOperator shape(*c.transforms.window, kSchema, 1);
    nlohmann::json j = nlohmann::json::array();
    for (const auto& [row, wm] : late)
      j.push_back({hex(shape.row_signature(b, row)), std::get<1>(rows[row]), wm, 1});
    meta[kLateRowsMetaKey] = j.dump();
  }
  raw.append(b);
  raw.commit({{stream, from}}, {{stream, to}}, meta);
}

std::string windows(const std::string& lake) {
  return "read_parquet('" + lake + "/win/**/*.parquet', hive_partitioning=false)";
}

// Commits of the window table that carry windows or positions (not claims).
size_t window_commits(const std::string& lake) {
  size_t n = 0;
  for (const auto& e : read_commit_log(lake + "/win")) n += !is_claim_entry(e);
  return n;
}

TEST(WindowFinalizer, AStaleFinalizerCannotPublishAWindowCommit) {
  TempDir dir;
  const PipelineConfig c = config(dir.path());
  LakeWriter raw(c.lake, kSchema, "ts", "w1");
  raw.open();
  commit_raw(raw, c, "t/0", -1, 4,
             {{"a", 10 * kSec, 1}, {"a", 20 * kSec, 2}, {"a", 70 * kSec, 3}, {"a", 130 * kSec, 4}});

  // A takes the role; then B (A was paused past its session and the role
  // moved on). A resumes and tries to publish: refused, nothing published.
  WindowFinalizer a(c, kSchema, "a");
  a.open(raw.table_dir());
  a.take();
  WindowFinalizer b(c, kSchema, "b");
  b.open(raw.table_dir());
  b.take();
  EXPECT_THROW(a.run(now_micros()), StaleWriterError);
  EXPECT_FALSE(a.active());
  EXPECT_EQ(window_commits(dir.path()), 0u);

  // B publishes the windows the table watermark (130 s) closes: [0, 60) and [60, 120).
  EXPECT_EQ(b.run(now_micros()), 2);
  EXPECT_EQ(b.covered(), 130 * kSec);
  Duck duck;
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + windows(dir.path())), 2);
  EXPECT_EQ(duck.scalar("SELECT sum(n) FROM " + windows(dir.path())), 3);

  // A takes the role back later: it continues from B's position, so the
  // next window comes once and nothing is repeated.
  commit_raw(raw, c, "t/0", 4, 5, {{"a", 250 * kSec, 5}});
  a.take();
  EXPECT_EQ(a.run(now_micros()), 1);  // [120, 180); [180, 240) has no rows
  EXPECT_THROW(b.run(now_micros()), StaleWriterError);
  EXPECT_EQ(duck.scalar("SELECT count(*) FROM " + windows(dir.path())), 3);
  EXPECT_EQ(duck.scalar("SELECT count(DISTINCT window_start) FROM " + windows(dir.path())), 3);
  EXPECT_EQ(duck.scalar("SELECT sum(n) FROM " + windows(dir.path())), 4);
}

TEST(WindowFinalizer, TheTableWatermarkIsTheSlowestStreamsAndLateRowsStayOut) {
  TempDir dir;
  const PipelineConfig c = config(dir.path());
  LakeWriter w1(c.lake, kSchema, "ts", "w1");
  w1.open();
  LakeWriter w2(c.lake, kSchema, "ts", "w2");
  w2.open();
  // A second stream claimed by w2 with nothing committed holds the table
  // watermark back: no window yet although t/0 is at 200 s.
  w2.claim({"t/1"});
  commit_raw(w1, c, "t/0", -1, 3, {{"a", 10 * kSec, 1}, {"a", 20 * kSec, 2}, {"a", 200 * kSec, 9}});
  WindowFinalizer f(c, kSchema, "f");
  f.open(w1.table_dir());
  f.take();
  EXPECT_EQ(f.run(now_micros()), 0);
  EXPECT_EQ(f.table_watermark(), kNoWatermark);
  // t/1 commits rows at 40 s, 65 s and 30 s; its worker judged the last one
  // late against 65 s (delay 0 here). [0, 60) closes at min(200, 65) and
  // holds the two rows of t/0 and t/1's 40 s row, not the late one.
  commit_raw(w2, c, "t/1", -1, 3, {{"a", 40 * kSec, 4}, {"a", 65 * kSec, 5}, {"a", 30 * kSec, 100}},
             {{2, 65 * kSec}});
  EXPECT_EQ(f.run(now_micros()), 1);
  EXPECT_EQ(f.table_watermark(), 65 * kSec);
  Duck duck;
  auto got = duck.rows("SELECT n, avg_d FROM " + windows(dir.path()));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0][0], "3");
  EXPECT_EQ(std::stod(got[0][1]), (1 + 2 + 4) / 3.0);
}

TEST(WindowFinalizer, EveryExpectedStreamHoldsTheTableWatermarkUntilItIsIdle) {
  TempDir dir;
  const PipelineConfig c = config(dir.path());
  LakeWriter w1(c.lake, kSchema, "ts", "w1");
  w1.open();
  // Only t/0 is claimed and committed (the group has not handed t/1 to a
  // worker yet): t/0 alone would close [0, 60), [60, 120) and [120, 180).
  commit_raw(w1, c, "t/0", -1, 3, {{"a", 10 * kSec, 1}, {"a", 70 * kSec, 2}, {"a", 200 * kSec, 3}});
  const int64_t now_ms = now_micros() / 1000;
  WindowFinalizer f(c, kSchema, "f");
  f.open(w1.table_dir());
  f.expect_streams({"t/0", "t/1"}, now_ms);
  f.take();
  EXPECT_EQ(f.run(now_micros()), 0);
  EXPECT_EQ(f.table_watermark(), kNoWatermark);
  EXPECT_EQ(window_commits(dir.path()), 0u);
  // t/1's rows arrive: [0, 60) closes at 65 s and holds both streams' rows.
  LakeWriter w2(c.lake, kSchema, "ts", "w2");
  w2.open();
  commit_raw(w2, c, "t/1", -1, 2, {{"a", 20 * kSec, 4}, {"a", 65 * kSec, 5}});
  EXPECT_EQ(f.run(now_micros()), 1);
  Duck duck;
  EXPECT_EQ(duck.scalar("SELECT sum(n) FROM " + windows(dir.path())), 2);

  // An expected stream that has stayed empty for longer than the idle
  // timeout (600 s here) while others committed does not hold it.
  WindowFinalizer g(c, kSchema, "g");
  g.open(w1.table_dir());
  g.expect_streams({"t/0", "t/1", "t/2"}, now_ms - 700000);
  g.take();
  g.run(now_micros());
  EXPECT_EQ(g.table_watermark(), 65 * kSec);
}

}  // namespace
}  // namespace sluice::testing
