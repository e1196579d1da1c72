#include <gtest/gtest.h>

#include "transforms/eventtime/dedupe.h"

namespace sluice {

constexpr int64_t kMin = 60LL * 1000000;

OutputSchema schema() {
  return {{"id", ColumnType::kString}, {"ts", ColumnType::kTimestamp}};
}

void add(RecordBatch& b, const std::string& id, int64_t ts) {
  b.columns[0].push_string(id);
  b.columns[1].push_int64(ts);
}

TEST(Dedupe, DropsRepeatsWithinTheHorizonAcrossBatches) {
  OutputSchema s = schema();
  Deduper d({0}, 1, 10 * kMin);
  RecordBatch b1(s);
  add(b1, "a", 1 * kMin);
  add(b1, "b", 2 * kMin);
  add(b1, "a", 1 * kMin);  // duplicate inside the batch
  std::vector<uint32_t> keep;
  d.filter(b1, keep);
  EXPECT_EQ(keep, (std::vector<uint32_t>{0, 1}));
  RecordBatch b2(s);
  add(b2, "b", 2 * kMin);  // producer retry, next batch
  add(b2, "c", 3 * kMin);
  keep.clear();
  d.filter(b2, keep);
  EXPECT_EQ(keep, (std::vector<uint32_t>{1}));
  EXPECT_EQ(d.dropped(), 2);
}

TEST(Dedupe, StateIsBoundedByTheWatermark) {
  OutputSchema s = schema();
  Deduper d({0}, 1, 10 * kMin);
  RecordBatch b(s);
  for (int i = 0; i < 1000; ++i) add(b, "k" + std::to_string(i), i * 1000000LL);
  std::vector<uint32_t> keep;
  d.filter(b, keep);
  EXPECT_EQ(d.size(), 1000u);
  d.evict(10 * kMin + 500 * 1000000LL);  // entries older than 500 s go
  EXPECT_EQ(d.size(), 500u);
  // An evicted key is no longer a duplicate; a kept one still is.
  RecordBatch again(s);
  add(again, "k10", 10 * 1000000LL);
  add(again, "k900", 900 * 1000000LL);
  keep.clear();
  d.filter(again, keep);
  EXPECT_EQ(keep, (std::vector<uint32_t>{0}));
}

TEST(Dedupe, RememberRebuildsState) {
  OutputSchema s = schema();
  RecordBatch committed(s);
  add(committed, "x", kMin);
  Deduper d({0}, 1, 10 * kMin);
  d.remember(committed, 0);
  RecordBatch b(s);
  add(b, "x", kMin);
  std::vector<uint32_t> keep;
  d.filter(b, keep);
  EXPECT_TRUE(keep.empty());
}

}  // namespace sluice
