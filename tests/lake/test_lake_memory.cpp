// What bounds the lake writer's memory: the caps count what is really held
// (the allocation of buffered batches, not their used size), the queued
// row groups never pass max_queued_bytes, and the writers of a process share
// one encoder pool whose encoding scratch is per thread, not per open file.
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "lake_test_util.h"
#include "sinks/lake/encoder_pool.h"
#include "sinks/lake/lake_writer.h"

namespace sluice {
namespace {

using namespace sluice::testing;

std::vector<PartitionKey> by_s() {
  return {{"s", "s", PartitionKey::kField}};
}

void add_numbered(RecordBatch& b, const std::string& p, int64_t v) {
  add_row(b, p, static_cast<int32_t>(v % 1000), v, v * 0.5, v % 2 == 0,
          ts_of("2024-01-01T00:00:00Z") + v);
}

TEST(LakeMemory, CapsHoldWhileWritingManyPartitions) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), by_s());
  config.row_group_size = 1024;
  config.max_partition_buffer_bytes = 32 << 10;
  config.max_buffer_bytes = 256 << 10;
  config.max_queued_bytes = 128 << 10;
  config.max_open_files = 16;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  std::mt19937 rng(5);
  int64_t v = 0;
  for (int batch = 0; batch < 40; ++batch) {
    RecordBatch b(schema);
    for (int i = 0; i < 2000; ++i, ++v) add_numbered(b, "p" + std::to_string(rng() % 300), v);
    if (batch % 2 == 0) {
      writer.append(b);  // copied into the partition buffers
    } else {
      writer.append(std::make_shared<const RecordBatch>(std::move(b)));
    }
    EXPECT_LE(writer.buffer_bytes(), config.max_buffer_bytes);
    EXPECT_LE(writer.queued_bytes(), config.max_queued_bytes);
  }
  EXPECT_GT(writer.peak_buffer_bytes(), 0u);
  EXPECT_LE(writer.peak_buffer_bytes(), config.max_buffer_bytes);
  // Checked before every row group is queued, not after the append.
  EXPECT_GT(writer.peak_queued_bytes(), 0u);
  EXPECT_LE(writer.peak_queued_bytes(), config.max_queued_bytes);
  LakeCommitEntry e = writer.commit({}, {}, {});
  int64_t rows = 0;
  for (const auto& f : e.files) rows += f.rows;
  EXPECT_EQ(rows, v);
  EXPECT_EQ(glob_rows(tmp.path() + "/events"), v);
}

// The backfill shape under the default settings: rows of 72 partitions
// arrive interleaved and the total buffer cap flushes the largest buffer
// again and again. Every partition keeps its one open file across its
// flushes (row groups appended), so a commit writes one file per partition;
// with fewer open files allowed than partitions (the old default, 16), the
// least recently used file closed at each flush and a partition's next
// flush started another file.
TEST(LakeMemory, BufferCapFlushesOf72PartitionsKeepOneFileEachUnderDefaults) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), by_s());
  config.max_buffer_bytes = 256 << 10;  // small, so that the cap flushes often
  ASSERT_EQ(config.max_open_files, LakeSinkConfig{}.max_open_files);
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  std::mt19937 rng(72);
  int64_t v = 0;
  for (int batch = 0; batch < 60; ++batch) {
    RecordBatch b(schema);
    for (int i = 0; i < 1000; ++i, ++v) add_numbered(b, "h" + std::to_string(rng() % 72), v);
    writer.append(b);
  }
  EXPECT_GT(writer.pending_files(), 0u);  // the cap flushed before the commit
  LakeCommitEntry e = writer.commit({}, {}, {});
  std::map<std::string, int> files;
  for (const auto& f : e.files) files[f.partition]++;
  EXPECT_EQ(files.size(), 72u);
  EXPECT_EQ(e.files.size(), 72u);
  EXPECT_EQ(glob_rows(tmp.path() + "/events"), v);
}

TEST(LakeMemory, BufferedBatchCountsItsAllocationNotItsRows) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeWriter writer(lake_config(tmp.path(), by_s()), schema, "ts", "w1");
  writer.open();
  // Ten rows in columns allocated for 100000: the writer holds all of it.
  RecordBatch b(schema);
  for (auto& c : b.columns) c.reserve(100000);
  for (int64_t i = 0; i < 10; ++i) add_numbered(b, "a", i);
  const size_t allocated = b.capacity_bytes();
  ASSERT_GT(allocated, 100 * b.byte_size());
  writer.append(std::make_shared<const RecordBatch>(std::move(b)));
  EXPECT_GE(writer.buffer_bytes(), allocated);
  EXPECT_EQ(writer.partition_buffer_bytes("s=a"), writer.buffer_bytes());
  writer.commit({}, {}, {});
  EXPECT_EQ(writer.buffer_bytes(), 0u);
  EXPECT_EQ(glob_rows(tmp.path() + "/events"), 10);
}

TEST(LakeMemory, WritersOfAProcessShareOneEncoderPoolSizedToTheCores) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig a_config = lake_config(tmp.path(), by_s());
  LakeSinkConfig b_config = a_config;
  b_config.table = "other";
  LakeWriter a(a_config, schema, "ts", "w1");
  LakeWriter b(b_config, schema, "ts", "w1");
  EXPECT_EQ(&a.encoder_pool(), &b.encoder_pool());
  EXPECT_EQ(a.encoder_pool().threads(), std::max(1u, std::thread::hardware_concurrency()));
  a.open();
  b.open();
  RecordBatch rows(schema);
  for (int64_t i = 0; i < 1000; ++i) add_numbered(rows, "x", i);
  a.append(rows);
  b.append(rows);
  a.commit({}, {}, {});
  b.commit({}, {}, {});
  EXPECT_EQ(glob_rows(tmp.path() + "/events"), 1000);
  EXPECT_EQ(glob_rows(tmp.path() + "/other"), 1000);
}

TEST(LakeMemory, EncodingScratchDoesNotGrowWithOpenFiles) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), by_s());
  config.row_group_size = 2048;
  config.max_open_files = 64;
  config.encoders = 2;
  LakeWriter writer(config, schema, "ts", "w1");
  writer.open();
  // One partition: row groups of 2048 rows, one file.
  int64_t v = 0;
  for (int batch = 0; batch < 4; ++batch) {
    RecordBatch b(schema);
    for (int i = 0; i < 2048; ++i, ++v) add_numbered(b, "one", v);
    writer.append(b);
  }
  writer.commit({}, {}, {});
  const size_t one_file = writer.encoder_pool().scratch_bytes();
  ASSERT_GT(one_file, 0u);
  // 64 partitions, each with files open at once and the same row groups.
  for (int batch = 0; batch < 64; ++batch) {
    RecordBatch b(schema);
    for (int i = 0; i < 2048; ++i, ++v) add_numbered(b, "p" + std::to_string(batch), v);
    writer.append(b);
  }
  EXPECT_GE(writer.open_files(), 32u);
  writer.commit({}, {}, {});
  // Two threads' scratch, each sized by a 2048-row group: the same bound.
  EXPECT_LE(writer.encoder_pool().scratch_bytes(), 2 * one_file);
  EXPECT_EQ(glob_rows(tmp.path() + "/events"), v);
}

}  // namespace
}  // namespace sluice
