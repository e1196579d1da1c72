// Raw input records as read by a source, before parsing, and the source
// positions that the lake commit log records for exactly-once restarts.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// Where a record came from. For Kafka: partition key "topic/partition" and the
// record's offset. For files: the file path and the byte offset of the line.
struct SourcePosition {
  uint32_t stream = 0;  // index into RawBatch::streams
  int64_t offset = 0;
};

// Next position to read per stream ("topic/3" -> next offset, or
// "file:/path" -> next byte offset). This is what a lake commit records; a
// restart resumes every stream from here.
using SourceOffsets = std::map<std::string, int64_t>;

struct RawRecord {
  uint32_t begin = 0;  // byte range in RawBatch::arena
  uint32_t length = 0;
  SourcePosition position;
  int64_t source_timestamp_ms = -1;  // Kafka message timestamp, if any
  // 1-based line number: of the line in its file (file source), or within
  // its message (a Kafka message split into lines); 0 when not applicable.
  int64_t line = 0;
};

// A batch of raw records sharing one arena. Sources fill it; the parser reads
// it. `next_offsets` holds, for each stream touched, the position right after
// the last record in this batch.
struct RawBatch {
  std::string arena;
  std::vector<RawRecord> records;
  std::vector<std::string> streams;  // stream names referenced by positions
  SourceOffsets next_offsets;

  std::string_view bytes(const RawRecord& r) const {
    return std::string_view(arena.data() + r.begin, r.length);
  }
  uint32_t stream_id(const std::string& name);
  void add(std::string_view bytes, uint32_t stream, int64_t offset, int64_t ts_ms = -1,
           int64_t line = 0);
  void clear();
};

// Describes a position for humans and the DLQ: "clickstream/2@1234".
std::string describe_position(const RawBatch& batch, const SourcePosition& pos);
// The same with the record's line when it has one:
// "file:/var/log/access.log@5120 line 17", "logs/0@42 line 3".
std::string describe_position(const RawBatch& batch, const RawRecord& record);

}  // namespace sluice
