#include <gtest/gtest.h>

#include "transforms/eventtime/watermark.h"

namespace sluice {

constexpr int64_t kSec = 1000000;

TEST(Watermark, SlowPartitionHoldsItBackUntilIdle) {
  WatermarkTracker w(5 * kSec, /*idle_timeout_ms=*/1000);
  EXPECT_EQ(w.advance(0), kNoWatermark);
  w.observe("t/0", 100 * kSec, 0);
  w.observe("t/1", 40 * kSec, 0);
  EXPECT_EQ(w.advance(10), 35 * kSec);  // min over partitions minus delay
  w.observe("t/0", 200 * kSec, 500);
  EXPECT_EQ(w.advance(500), 35 * kSec);  // t/1 still holds it back
  w.observe("t/1", 60 * kSec, 600);
  EXPECT_EQ(w.advance(600), 55 * kSec);
  // t/1 goes quiet: after the idle timeout only t/0 counts.
  w.observe("t/0", 210 * kSec, 1700);
  EXPECT_EQ(w.advance(1700), 205 * kSec);
}

TEST(Watermark, NeverGoesBackAndRestores) {
  WatermarkTracker w(0, 1000);
  w.observe("a", 50 * kSec, 0);
  EXPECT_EQ(w.advance(0), 50 * kSec);
  w.observe("b", 10 * kSec, 1);  // a new, slower stream
  EXPECT_EQ(w.advance(1), 50 * kSec);
  WatermarkTracker r(0, 1000);
  r.restore(w.stream_max(), w.current(), 0);
  EXPECT_EQ(r.current(), 50 * kSec);
  EXPECT_EQ(r.stream_max().at("a"), 50 * kSec);
}

// An assigned partition that has not delivered holds the watermark back
// until it delivers or its idle timeout passes.
TEST(Watermark, ExpectedStreamHoldsItBackUntilItDeliversOrIdles) {
  WatermarkTracker w(5 * kSec, /*idle_timeout_ms=*/1000);
  w.expect("t/1", 0);
  w.observe("t/0", 100 * kSec, 0);
  EXPECT_EQ(w.advance(10), kNoWatermark);
  w.observe("t/1", 50 * kSec, 20);
  EXPECT_EQ(w.advance(20), 45 * kSec);
  w.expect("t/2", 30);
  w.expect("t/1", 30);  // already delivered: no effect
  EXPECT_EQ(w.advance(500), 45 * kSec);
  w.observe("t/0", 100 * kSec, 1100);
  w.observe("t/1", 60 * kSec, 1100);
  EXPECT_EQ(w.advance(1100), 55 * kSec);  // t/2 silent past the timeout
}

}  // namespace sluice
