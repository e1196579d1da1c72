// The reader/writer hand-off of StreamRunner (pipeline/work_queue.h): finished
// work comes back to the reader with its buffers' capacity, cleared; the
// reader reserves each batch at the size of the last one.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "pipeline/work_queue.h"

namespace sluice {

TEST(WorkQueue, RecycledWorkComesBackClearedWithItsCapacity) {
  WorkQueue queue(2);
  auto w = queue.fresh();
  w->raw.add(std::string(100000, 'x'), 0, 0);
  w->rejects.emplace_back();
  w->row_records.assign(500, 1);
  w->stats.records_accepted = 3;
  w->streams.push_back("s");
  const size_t arena_capacity = w->raw.arena.capacity();
  const char* arena = w->raw.arena.data();
  queue.push(std::move(w));
  auto done = queue.pop(1000);
  ASSERT_TRUE(done);
  queue.recycle(std::move(done));
  EXPECT_EQ(queue.free_count(), 1u);

  auto again = queue.fresh();
  EXPECT_EQ(queue.free_count(), 0u);
  EXPECT_EQ(again->kind, Work::kBatch);
  EXPECT_TRUE(again->raw.records.empty());
  EXPECT_TRUE(again->raw.arena.empty());
  EXPECT_TRUE(again->rejects.empty());
  EXPECT_TRUE(again->row_records.empty());
  EXPECT_TRUE(again->streams.empty());
  EXPECT_EQ(again->stats.records_accepted, 0);
  EXPECT_EQ(again->rows.rows(), 0u);
  // The same arena, still allocated: the next batch does not grow a new one.
  EXPECT_EQ(again->raw.arena.capacity(), arena_capacity);
  EXPECT_EQ(again->raw.arena.data(), arena);
  EXPECT_GE(again->row_records.capacity(), 500u);
}

TEST(WorkQueue, KeepsNoMoreFreeWorkThanCanBeInFlight) {
  WorkQueue queue(2);
  for (int i = 0; i < 10; ++i) queue.recycle(std::make_unique<Work>());
  EXPECT_EQ(queue.free_count(), 3u);  // capacity + the one being filled
  queue.recycle(nullptr);
  EXPECT_EQ(queue.free_count(), 3u);
}

TEST(BatchPool, ABatchComesBackWhenItsLastHolderLetsGo) {
  OutputSchema schema{{"s", ColumnType::kString}, {"i", ColumnType::kInt64}};
  OutputSchema other{{"s", ColumnType::kString}};
  auto pool = std::make_shared<BatchPool>(2);
  RecordBatch b = pool->take(schema);
  for (int r = 0; r < 1000; ++r) {
    b.columns[0].push_string("abcdefgh");
    b.columns[1].push_int64(r);
  }
  const size_t capacity = b.capacity_bytes();
  std::shared_ptr<const RecordBatch> shared = pool->share(std::move(b));
  std::shared_ptr<const RecordBatch> second_holder = shared;
  shared.reset();
  EXPECT_EQ(pool->free_count(), 0u);  // still held
  EXPECT_EQ(second_holder->rows(), 1000u);
  second_holder.reset();
  EXPECT_EQ(pool->free_count(), 1u);
  RecordBatch again = pool->take(schema);
  EXPECT_EQ(again.rows(), 0u);
  EXPECT_EQ(again.capacity_bytes(), capacity);  // the memory is reused
  EXPECT_EQ(pool->free_count(), 0u);
  // A batch of another schema is never handed out for this one.
  pool->share(pool->take(other)).reset();
  RecordBatch fresh = pool->take(schema);
  EXPECT_EQ(fresh.schema, &schema);
  EXPECT_EQ(fresh.columns.size(), 2u);
  // At most `keep` wait in the pool; a batch outliving its pool is freed.
  for (int i = 0; i < 5; ++i) pool->share(pool->take(schema)).reset();
  EXPECT_LE(pool->free_count(), 2u);
  std::shared_ptr<const RecordBatch> late = pool->share(pool->take(schema));
  pool.reset();
  late.reset();
}

TEST(BatchShape, ReservesTheLastBatchesRowsAndStringBytes) {
  OutputSchema schema{{"s", ColumnType::kString}, {"i", ColumnType::kInt64}};
  RecordBatch first(schema);
  for (int r = 0; r < 800; ++r) {
    first.columns[0].push_string("0123456789");
    first.columns[1].push_int64(r);
  }
  BatchShape shape;
  RecordBatch unknown(schema);
  shape.reserve(unknown);  // nothing observed yet: nothing reserved
  EXPECT_EQ(unknown.capacity_bytes(), RecordBatch(schema).capacity_bytes());
  shape.observe(first);
  RecordBatch next(schema);
  shape.reserve(next);
  EXPECT_EQ(next.rows(), 0u);
  // 800 rows + 1/8: validity, offsets and 8000 + 1000 string bytes; 8 bytes a row.
  EXPECT_GE(next.columns[0].capacity_bytes(), 900u + 901u * 4 + 9000u);
  EXPECT_GE(next.columns[1].capacity_bytes(), 900u + 900u * 8);
}

}  // namespace sluice
