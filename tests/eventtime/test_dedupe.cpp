#include <gtest/gtest.h>

#include "transforms/eventtime/dedupe.h"
#include "transforms/eventtime/watermark.h"

namespace sluice {

constexpr int64_t kMin = 60LL * 1000000;

OutputSchema schema() {
  return {{"id", ColumnType::kString}, {"ts", ColumnType::kTimestamp}};
}

void add(RecordBatch& b, const std::string& id, int64_t ts) {
  b.columns[0].push_string(id);
  b.columns[1].push_int64(ts);
}

// Every row judged against the same watermark.
void filter(Deduper& d, const RecordBatch& b, std::vector<uint32_t>& keep,
            int64_t watermark = kNoWatermark) {
  std::vector<int64_t> wm(b.rows(), watermark);
  d.filter(b, wm.data(), keep);
}

TEST(Dedupe, DropsRepeatsWithinTheHorizonAcrossBatches) {
  OutputSchema s = schema();
  Deduper d({0}, 1, 10 * kMin);
  RecordBatch b1(s);
  add(b1, "a", 1 * kMin);
  add(b1, "b", 2 * kMin);
  add(b1, "a", 1 * kMin);  // duplicate inside the batch
  std::vector<uint32_t> keep;
  filter(d, b1, keep);
  EXPECT_EQ(keep, (std::vector<uint32_t>{0, 1}));
  RecordBatch b2(s);
  add(b2, "b", 2 * kMin);  // producer retry, next batch
  add(b2, "c", 3 * kMin);
  keep.clear();
  filter(d, b2, keep);
  EXPECT_EQ(keep, (std::vector<uint32_t>{1}));
  EXPECT_EQ(d.dropped(), 2);
}

TEST(Dedupe, StateIsBoundedByTheWatermark) {
  OutputSchema s = schema();
  Deduper d({0}, 1, 10 * kMin);
  RecordBatch b(s);
  for (int i = 0; i < 1000; ++i) add(b, "k" + std::to_string(i), i * 1000000LL);
  std::vector<uint32_t> keep;
  filter(d, b, keep);
  EXPECT_EQ(d.size(), 1000u);
  d.evict(10 * kMin + 500 * 1000000LL);  // entries older than 500 s go
  EXPECT_EQ(d.size(), 500u);
  // An evicted key is no longer a duplicate; a kept one still is.
  RecordBatch again(s);
  add(again, "k10", 10 * 1000000LL);
  add(again, "k900", 900 * 1000000LL);
  keep.clear();
  filter(d, again, keep);
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
  filter(d, b, keep);
  EXPECT_TRUE(keep.empty());
}

// Whether a row is a duplicate depends on the watermark it is judged
// against, not on whether eviction ran: an expired entry that is still stored
// does not make a repeat a duplicate.
TEST(Dedupe, ExpiryFollowsTheRowsWatermarkNotEvictionTiming) {
  OutputSchema s = schema();
  RecordBatch first(s);
  add(first, "a", 1 * kMin);
  add(first, "b", 5 * kMin);
  RecordBatch later(s);
  add(later, "a", 11 * kMin);  // entry time 1 min + 10 min horizon < 12 min: expired
  add(later, "b", 5 * kMin);   // 5 + 10 >= 12: still a duplicate
  std::vector<int64_t> wm = {12 * kMin, 12 * kMin};
  std::vector<uint32_t> kept_evicted, kept_lazy, keep;

  Deduper evicted({0}, 1, 10 * kMin);
  filter(evicted, first, keep);
  evicted.evict(12 * kMin);
  evicted.filter(later, wm.data(), kept_evicted);

  Deduper lazy({0}, 1, 10 * kMin);
  keep.clear();
  filter(lazy, first, keep);
  lazy.filter(later, wm.data(), kept_lazy);  // no eviction ran

  EXPECT_EQ(kept_evicted, (std::vector<uint32_t>{0}));
  EXPECT_EQ(kept_lazy, kept_evicted);
  // The re-sighting of "a" is a new first sighting: a repeat right after it
  // is a duplicate again, and eviction behind it keeps the refreshed key.
  RecordBatch again(s);
  add(again, "a", 11 * kMin);
  std::vector<int64_t> wm1 = {12 * kMin};
  keep.clear();
  lazy.filter(again, wm1.data(), keep);
  EXPECT_TRUE(keep.empty()) << "a was re-seen at watermark 12 min and must be a duplicate";
  lazy.evict(12 * kMin);
  EXPECT_EQ(lazy.size(), 2u);
}

}  // namespace sluice
