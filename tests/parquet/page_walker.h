// Test-only reader of a column chunk's page headers (Thrift compact protocol,
// decoded from the specification), so layout tests can count pages and check
// their encodings and sizes; DuckDB's parquet_metadata() does not show pages.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace sluice::parquet::testing {

struct PageInfo {
  int32_t type = -1;  // 0 data page, 2 dictionary page
  int32_t uncompressed_size = 0;
  int32_t compressed_size = 0;
  int32_t num_values = 0;
  int32_t encoding = -1;
  size_t header_size = 0;
};

class CompactReader {
 public:
  CompactReader(const std::string& bytes, size_t pos) : b_(bytes), pos_(pos) {}
  size_t pos() const { return pos_; }

  // Reads a struct, returning its integer fields (nested structs flattened
  // into "outer.inner" keys); other values are skipped.
  void read_struct(std::map<std::string, int64_t>& out, const std::string& prefix = "") {
    int16_t last = 0;
    while (true) {
      const uint8_t h = byte();
      if (h == 0) return;
      const int type = h & 0x0F;
      const int delta = h >> 4;
      const int16_t id =
          delta ? static_cast<int16_t>(last + delta) : static_cast<int16_t>(zigzag(varint()));
      last = id;
      const std::string key = prefix + std::to_string(id);
      read_value(type, key, out);
    }
  }

 private:
  uint8_t byte() {
    if (pos_ >= b_.size()) throw std::runtime_error("page walker: read past the end");
    return static_cast<uint8_t>(b_[pos_++]);
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const uint8_t x = byte();
      v |= static_cast<uint64_t>(x & 0x7F) << shift;
      if (!(x & 0x80)) return v;
    }
  }
  static int64_t zigzag(uint64_t v) {
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  void read_value(int type, const std::string& key, std::map<std::string, int64_t>& out) {
    switch (type) {
      case 1:
        out[key] = 1;
        return;
      case 2:
        out[key] = 0;
        return;
      case 3:
        out[key] = byte();
        return;
      case 4:
      case 5:
      case 6:
        out[key] = zigzag(varint());
        return;
      case 7:
        pos_ += 8;
        return;
      case 8:
        pos_ += varint();
        return;
      case 9:
      case 10: {
        const uint8_t h = byte();
        uint64_t n = h >> 4;
        if (n == 15) n = varint();
        for (uint64_t i = 0; i < n; ++i)
          read_value(h & 0x0F, key + "[" + std::to_string(i) + "]", out);
        return;
      }
      case 12:
        read_struct(out, key + ".");
        return;
      default:
        throw std::runtime_error("page walker: unexpected Thrift type " + std::to_string(type));
    }
  }

  const std::string& b_;
  size_t pos_;
};

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The pages of the column chunk that starts at `offset` and spans
// `total_compressed` bytes (headers included).
inline std::vector<PageInfo> walk_pages(const std::string& file, int64_t offset,
                                        int64_t total_compressed) {
  std::vector<PageInfo> pages;
  size_t pos = static_cast<size_t>(offset);
  const size_t end = pos + static_cast<size_t>(total_compressed);
  while (pos < end) {
    CompactReader r(file, pos);
    std::map<std::string, int64_t> f;
    r.read_struct(f);
    PageInfo p;
    p.type = static_cast<int32_t>(f["1"]);
    p.uncompressed_size = static_cast<int32_t>(f["2"]);
    p.compressed_size = static_cast<int32_t>(f["3"]);
    const char* sub = p.type == 2 ? "7." : "5.";
    p.num_values = static_cast<int32_t>(f[std::string(sub) + "1"]);
    p.encoding = static_cast<int32_t>(f[std::string(sub) + "2"]);
    p.header_size = r.pos() - pos;
    pages.push_back(p);
    pos = r.pos() + static_cast<size_t>(p.compressed_size);
  }
  if (pos != end) throw std::runtime_error("page walker: pages overrun the chunk");
  return pages;
}

}  // namespace sluice::parquet::testing
