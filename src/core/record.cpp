#include "core/record.h"

namespace sluice {

uint32_t RawBatch::stream_id(const std::string& name) {
  for (uint32_t i = 0; i < streams.size(); ++i) {
    if (streams[i] == name) return i;
  }
  streams.push_back(name);
  return static_cast<uint32_t>(streams.size() - 1);
}

void RawBatch::add(std::string_view b, uint32_t stream, int64_t offset, int64_t ts_ms,
                   int64_t line) {
  RawRecord r;
  r.begin = static_cast<uint32_t>(arena.size());
  r.length = static_cast<uint32_t>(b.size());
  r.position = SourcePosition{stream, offset};
  r.source_timestamp_ms = ts_ms;
  r.line = line;
  arena.append(b);
  records.push_back(r);
}

void RawBatch::clear() {
  arena.clear();
  records.clear();
  streams.clear();
  next_offsets.clear();
}

std::string describe_position(const RawBatch& batch, const SourcePosition& pos) {
  std::string s = pos.stream < batch.streams.size() ? batch.streams[pos.stream] : "?";
  s += '@';
  s += std::to_string(pos.offset);
  return s;
}

std::string describe_position(const RawBatch& batch, const RawRecord& record) {
  std::string s = describe_position(batch, record.position);
  if (record.line > 0) {
    s += " line ";
    s += std::to_string(record.line);
  }
  return s;
}

}  // namespace sluice
