// A growable byte buffer that does not zero what it allocates, reused between
// pages and row groups so that steady-state encoding allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

#include "core/raw_array.h"

namespace sluice::parquet {

class Buffer {
 public:
  const uint8_t* data() const { return data_.get(); }
  uint8_t* data() { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  void clear() { size_ = 0; }
  void reserve(size_t n) {
    if (n > capacity_) grow(n);
  }
  // Makes room for `n` more bytes and returns where they go; commit with advance().
  uint8_t* tail(size_t n) {
    reserve(size_ + n);
    return data_.get() + size_;
  }
  void advance(size_t n) { size_ += n; }
  void resize(size_t n) {
    reserve(n);
    size_ = n;
  }
  void append(const void* p, size_t n) {
    if (n == 0) return;
    std::memcpy(tail(n), p, n);
    size_ += n;
  }
  void push(uint8_t b) {
    if (size_ == capacity_) grow(size_ + 1);
    data_[size_++] = b;
  }
  void put_u32_le(uint32_t v) {
    uint8_t b[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                    static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 24)};
    append(b, 4);
  }
  // Unsigned LEB128, as used by Thrift compact and the RLE hybrid headers.
  void put_varint(uint64_t v) {
    uint8_t* p = tail(10);
    size_t n = 0;
    while (v >= 0x80) {
      p[n++] = static_cast<uint8_t>(v) | 0x80;
      v >>= 7;
    }
    p[n++] = static_cast<uint8_t>(v);
    size_ += n;
  }

 private:
  void grow(size_t need) {
    size_t cap = capacity_ ? capacity_ : 256;
    while (cap < need) cap *= 2;
    std::unique_ptr<uint8_t[]> next(new uint8_t[cap]);
    if (size_) std::memcpy(next.get(), data_.get(), size_);
    data_ = std::move(next);
    capacity_ = cap;
  }

  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// The encoder's scratch arrays (core/raw_array.h).
using sluice::RawArray;

}  // namespace sluice::parquet
