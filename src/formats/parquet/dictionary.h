// Dictionaries of a column chunk: open-addressing hash tables (linear probing,
// power-of-two size, at most half full) that map a value to its index in
// insertion order. Fixed-width values are keyed on their bit pattern (so NaN
// payloads and -0.0 stay distinct, as PLAIN round trips them); strings on their
// bytes, copied once into one arena. Each reports the PLAIN size of its entries,
// which is the dictionary page size the fallback policy compares with its limit.
// Memory is kept between row groups (reset() keeps capacity).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace sluice::parquet {

inline uint64_t hash_mix(uint64_t x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  return x;
}

inline uint64_t hash_bytes(const char* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xff51afd7ed558ccdULL);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0x9fb21c651e98df25ULL;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0x9fb21c651e98df25ULL;
    h ^= h >> 29;
  }
  return hash_mix(h);
}

// Byte equality of two strings of length n, without a library call for the
// short values that dominate logs (ids, URLs, enum-like fields).
inline bool same_bytes(const char* a, const char* b, size_t n) {
  if (n <= 16) {
    if (n >= 8) {
      uint64_t a0, b0, a1, b1;
      std::memcpy(&a0, a, 8);
      std::memcpy(&b0, b, 8);
      std::memcpy(&a1, a + n - 8, 8);
      std::memcpy(&b1, b + n - 8, 8);
      return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    for (size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  return std::memcmp(a, b, n) == 0;
}

// Bits is uint32_t (INT32) or uint64_t (INT64, TIMESTAMP, DOUBLE bit patterns).
template <typename Bits>
class FixedDictionary {
 public:
  void reset() {
    if (!values_.empty()) {
      for (Slot& s : slots_) s.index_plus_one = 0;
    }
    values_.clear();
    if (slots_.empty()) resize_table(1024);
  }

  // The index of `v`, inserting it if new.
  uint32_t insert(Bits v) {
    size_t slot = hash_mix(static_cast<uint64_t>(v)) & mask_;
    while (true) {
      Slot& s = slots_[slot];
      if (s.index_plus_one == 0) {
        values_.push_back(v);
        s.key = v;
        s.index_plus_one = static_cast<uint32_t>(values_.size());
        if (values_.size() * 2 > slots_.size()) resize_table(slots_.size() * 2);
        return static_cast<uint32_t>(values_.size() - 1);
      }
      if (s.key == v) return s.index_plus_one - 1;
      slot = (slot + 1) & mask_;
    }
  }

  size_t size() const { return values_.size(); }
  size_t plain_bytes() const { return values_.size() * sizeof(Bits); }
  const std::vector<Bits>& values() const { return values_; }
  size_t capacity_bytes() const {
    return slots_.capacity() * sizeof(Slot) + values_.capacity() * sizeof(Bits);
  }

 private:
  struct Slot {
    Bits key;
    uint32_t index_plus_one;
  };
  void resize_table(size_t n) {
    slots_.assign(n, Slot{0, 0});
    mask_ = n - 1;
    for (size_t i = 0; i < values_.size(); ++i) {
      size_t slot = hash_mix(static_cast<uint64_t>(values_[i])) & mask_;
      while (slots_[slot].index_plus_one != 0) slot = (slot + 1) & mask_;
      slots_[slot] = Slot{values_[i], static_cast<uint32_t>(i + 1)};
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  std::vector<Bits> values_;
};

class StringDictionary {
 public:
  void reset() {
    if (!offsets_.empty() && offsets_.size() > 1) {
      for (Slot& s : slots_) s.index_plus_one = 0;
    }
    offsets_.assign(1, 0);
    chars_.clear();
    if (slots_.empty()) resize_table(1024);
  }

  uint32_t insert(std::string_view v) {
    const uint64_t h = hash_bytes(v.data(), v.size());
    size_t slot = h & mask_;
    while (true) {
      Slot& s = slots_[slot];
      if (s.index_plus_one == 0) {
        const size_t index = offsets_.size() - 1;
        chars_.insert(chars_.end(), v.begin(), v.end());
        offsets_.push_back(chars_.size());
        s.hash = h;
        s.index_plus_one = static_cast<uint32_t>(index + 1);
        if (size() * 2 > slots_.size()) resize_table(slots_.size() * 2);
        return static_cast<uint32_t>(index);
      }
      if (s.hash == h) {
        const std::string_view e = at(s.index_plus_one - 1);
        if (e.size() == v.size() && same_bytes(e.data(), v.data(), v.size())) {
          return s.index_plus_one - 1;
        }
      }
      slot = (slot + 1) & mask_;
    }
  }

  size_t size() const { return offsets_.size() - 1; }
  // PLAIN: a 4-byte length before each entry.
  size_t plain_bytes() const { return chars_.size() + 4 * size(); }
  size_t capacity_bytes() const {
    return slots_.capacity() * sizeof(Slot) + offsets_.capacity() * sizeof(size_t) +
           chars_.capacity();
  }
  std::string_view at(size_t i) const {
    return std::string_view(chars_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]);
  }

 private:
  struct Slot {
    uint64_t hash;
    uint32_t index_plus_one;
  };
  void resize_table(size_t n) {
    slots_.assign(n, Slot{0, 0});
    mask_ = n - 1;
    for (size_t i = 0; i + 1 < offsets_.size(); ++i) {
      const std::string_view e = at(i);
      const uint64_t h = hash_bytes(e.data(), e.size());
      size_t slot = h & mask_;
      while (slots_[slot].index_plus_one != 0) slot = (slot + 1) & mask_;
      slots_[slot] = Slot{h, static_cast<uint32_t>(i + 1)};
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  std::vector<size_t> offsets_{0};
  std::vector<char> chars_;
};

}  // namespace sluice::parquet
