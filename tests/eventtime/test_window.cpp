#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "transforms/eventtime/watermark.h"
#include "transforms/eventtime/window.h"

namespace sluice {

constexpr int64_t kSec = 1000000;

OutputSchema input_schema() {
  return {{"device_type", ColumnType::kString},
          {"ts", ColumnType::kTimestamp},
          {"d", ColumnType::kDouble}};
}

WindowConfig tumbling() {
  WindowConfig w;
  w.table = "win";
  w.size_ms = 60000;
  w.slide_ms = 60000;
  w.group_by = {"device_type"};
  w.aggregates = {{AggregateConfig::kCount, "", 0, "n"},
                  {AggregateConfig::kAvg, "d", 0, "avg_d"},
                  {AggregateConfig::kMin, "d", 0, "min_d"},
                  {AggregateConfig::kMax, "d", 0, "max_d"},
                  {AggregateConfig::kQuantile, "d", 0.95, "p95_d"}};
  return w;
}

void add(RecordBatch& b, const std::string& g, int64_t ts, double d) {
  b.columns[0].push_string(g);
  b.columns[1].push_int64(ts);
  b.columns[2].push_double(d);
}

std::vector<uint32_t> all(const RecordBatch& b) {
  std::vector<uint32_t> v(b.rows());
  for (uint32_t i = 0; i < v.size(); ++i) v[i] = i;
  return v;
}

TEST(Window, TumblingEmitsOnceWhenTheWatermarkPassesTheEnd) {
  OutputSchema in = input_schema();
  WindowOperator op(tumbling(), in, 1);
  RecordBatch b(in);
  // Out of order inside the first minute, two groups.
  add(b, "temp", 30 * kSec, 10);
  add(b, "temp", 5 * kSec, 30);
  add(b, "light", 59 * kSec, 7);
  add(b, "temp", 65 * kSec, 100);  // second window
  std::vector<uint32_t> late;
  op.add(b, all(b), kNoWatermark, late);
  EXPECT_TRUE(late.empty());
  RecordBatch out(op.output_schema());
  EXPECT_EQ(op.emit(59 * kSec, 0, out), 0u);  // end not passed yet
  EXPECT_EQ(op.emit(60 * kSec, 0, out), 2u);
  EXPECT_EQ(op.emit(60 * kSec, 0, out), 0u);  // never twice
  ASSERT_EQ(out.rows(), 2u);
  // Ordered by start then group (first seen group first).
  EXPECT_EQ(out.columns[0].int64_at(0), 0);
  EXPECT_EQ(out.columns[1].int64_at(0), 60 * kSec);
  EXPECT_EQ(out.columns[2].string_at(0), "temp");
  EXPECT_EQ(out.columns[3].int64_at(0), 2);
  EXPECT_DOUBLE_EQ(out.columns[4].double_at(0), 20);
  EXPECT_DOUBLE_EQ(out.columns[5].double_at(0), 10);
  EXPECT_DOUBLE_EQ(out.columns[6].double_at(0), 30);
  EXPECT_DOUBLE_EQ(out.columns[7].double_at(0), 10 + 0.95 * 20);  // quantile_cont
  EXPECT_EQ(out.columns[2].string_at(1), "light");
  EXPECT_EQ(op.open_windows(), 1u);
}

TEST(Window, LateRowsAreReportedAndLatenessKeepsWindowsOpen) {
  OutputSchema in = input_schema();
  WindowConfig cfg = tumbling();
  cfg.allowed_lateness_ms = 30000;
  WindowOperator op(cfg, in, 1);
  RecordBatch b(in);
  add(b, "temp", 10 * kSec, 1);
  std::vector<uint32_t> late;
  op.add(b, all(b), kNoWatermark, late);
  RecordBatch out(op.output_schema());
  EXPECT_EQ(op.emit(80 * kSec, 0, out), 0u);  // 60 s end + 30 s lateness not passed
  RecordBatch within(in);
  add(within, "temp", 20 * kSec, 3);  // late but within the allowed lateness
  op.add(within, all(within), 80 * kSec, late);
  EXPECT_TRUE(late.empty());
  EXPECT_EQ(op.emit(90 * kSec, 0, out), 1u);
  EXPECT_EQ(out.columns[3].int64_at(0), 2);
  RecordBatch too_late(in);
  add(too_late, "temp", 30 * kSec, 5);
  op.add(too_late, all(too_late), 90 * kSec, late);
  EXPECT_EQ(late, (std::vector<uint32_t>{0}));
  EXPECT_EQ(op.open_windows(), 0u);
}

TEST(Window, HoppingWindowsCountEachRowInEveryWindowItFalls) {
  OutputSchema in = input_schema();
  WindowConfig cfg = tumbling();
  cfg.size_ms = 60000;
  cfg.slide_ms = 30000;
  WindowOperator op(cfg, in, 1);
  RecordBatch b(in);
  add(b, "temp", 45 * kSec, 1);  // windows [0,60) and [30,90)
  std::vector<uint32_t> late;
  op.add(b, all(b), kNoWatermark, late);
  EXPECT_EQ(op.open_windows(), 2u);
  RecordBatch out(op.output_schema());
  EXPECT_EQ(op.emit(90 * kSec, 0, out), 2u);
  EXPECT_EQ(out.columns[0].int64_at(0), 0);
  EXPECT_EQ(out.columns[0].int64_at(1), 30 * kSec);
}

TEST(Window, QuantileMatchesALinearInterpolationReference) {
  OutputSchema in = input_schema();
  WindowOperator op(tumbling(), in, 1);
  RecordBatch b(in);
  std::vector<double> values;
  for (int i = 0; i < 537; ++i) {
    double v = std::fmod(i * 37.0, 101.0) + i * 0.01;
    values.push_back(v);
    add(b, "x", (i % 60) * kSec, v);
  }
  std::vector<uint32_t> late;
  op.add(b, all(b), kNoWatermark, late);
  RecordBatch out(op.output_schema());
  ASSERT_EQ(op.emit(60 * kSec, 0, out), 1u);
  std::sort(values.begin(), values.end());
  double pos = 0.95 * (values.size() - 1);
  size_t lo = static_cast<size_t>(pos);
  double expected = values[lo] + (pos - lo) * (values[lo + 1] - values[lo]);
  EXPECT_NEAR(out.columns[7].double_at(0), expected, 1e-9);
}

TEST(Window, UnknownColumnsAreRejected) {
  OutputSchema in = input_schema();
  WindowConfig cfg = tumbling();
  cfg.group_by = {"nope"};
  EXPECT_THROW(WindowOperator(cfg, in, 1), std::invalid_argument);
  cfg = tumbling();
  cfg.aggregates.push_back({AggregateConfig::kAvg, "device_type", 0, "bad"});
  EXPECT_THROW(WindowOperator(cfg, in, 1), std::invalid_argument);
}

// Each row is judged against its own watermark: a row in the same batch as
// much later rows is not late because of them.
TEST(Window, EachRowIsJudgedAgainstItsOwnWatermark) {
  OutputSchema in = input_schema();
  WindowOperator op(tumbling(), in, 1);
  RecordBatch b(in);
  add(b, "temp", 10 * kSec, 1);   // watermark before it: none
  add(b, "temp", 500 * kSec, 2);  // watermark before it: 10 s - delay
  add(b, "temp", 20 * kSec, 3);   // watermark before it: 500 s - 30 s: window [0, 60) closed
  std::vector<int64_t> wm = {kNoWatermark, -20 * kSec, 470 * kSec};
  std::vector<uint32_t> late;
  op.add(b, all(b), wm.data(), late);
  EXPECT_EQ(late, (std::vector<uint32_t>{2}));
  EXPECT_EQ(op.open_windows(), 2u);
  EXPECT_TRUE(op.all_closed(20 * kSec, 60 * kSec));
  EXPECT_FALSE(op.all_closed(20 * kSec, 59 * kSec));
}

// Rows with equal event time, group and aggregate inputs share a signature
// (they are interchangeable for every window); any difference shows.
TEST(Window, RowSignatureCoversWhatTheWindowsRead) {
  OutputSchema in = input_schema();
  WindowOperator op(tumbling(), in, 1);
  RecordBatch b(in);
  add(b, "temp", 10 * kSec, 1);
  add(b, "temp", 10 * kSec, 1);
  add(b, "temp", 10 * kSec, 2);
  add(b, "light", 10 * kSec, 1);
  add(b, "temp", 11 * kSec, 1);
  EXPECT_EQ(op.row_signature(b, 0), op.row_signature(b, 1));
  for (size_t r = 2; r < 5; ++r) EXPECT_NE(op.row_signature(b, 0), op.row_signature(b, r)) << r;
}

// For hopping windows a row may find some of its windows closed and others
// open: any_closed() tells the first (the stage records such rows for the
// finalizer), all_closed() the second (late). Both for negative times too.
TEST(Window, AnyClosedIsTheEarliestWindowOfTheRow) {
  WindowConfig w = tumbling();
  w.size_ms = 60000;
  w.slide_ms = 20000;  // 50 s is in [0, 60), [20, 80) and [40, 100)
  WindowOperator op(w, input_schema(), 1);
  EXPECT_FALSE(op.any_closed(50 * kSec, 59 * kSec));
  EXPECT_TRUE(op.any_closed(50 * kSec, 60 * kSec));
  EXPECT_FALSE(op.all_closed(50 * kSec, 60 * kSec));
  EXPECT_TRUE(op.all_closed(50 * kSec, 100 * kSec));
  // -5 s: [-60, 0), [-40, 20), [-20, 40)
  EXPECT_FALSE(op.any_closed(-5 * kSec, -1));
  EXPECT_TRUE(op.any_closed(-5 * kSec, 0));
  // On a slide boundary: 40 s is in [0, 60), [20, 80), [40, 100).
  EXPECT_TRUE(op.any_closed(40 * kSec, 60 * kSec));
  EXPECT_FALSE(op.any_closed(40 * kSec, 60 * kSec - 1));
  // Tumbling: the same as all_closed.
  WindowOperator t(tumbling(), input_schema(), 1);
  EXPECT_EQ(t.any_closed(30 * kSec, 60 * kSec), t.all_closed(30 * kSec, 60 * kSec));
  EXPECT_EQ(t.any_closed(30 * kSec, 59 * kSec), t.all_closed(30 * kSec, 59 * kSec));
}

// discard_closed() drops what emit() would emit (windows committed before).
TEST(Window, DiscardClosedDropsOnlyClosedWindows) {
  OutputSchema in = input_schema();
  WindowOperator op(tumbling(), in, 1);
  RecordBatch b(in);
  add(b, "temp", 10 * kSec, 1);
  add(b, "temp", 70 * kSec, 2);
  add(b, "temp", 130 * kSec, 3);
  std::vector<uint32_t> late;
  op.add(b, all(b), kNoWatermark, late);
  ASSERT_EQ(op.open_windows(), 3u);
  op.discard_closed(120 * kSec);
  EXPECT_EQ(op.open_windows(), 1u);
  RecordBatch out(op.output_schema());
  EXPECT_EQ(op.emit(180 * kSec, 0, out), 1u);
  EXPECT_EQ(out.columns[0].int64_at(0), 120 * kSec);
}

}  // namespace sluice
