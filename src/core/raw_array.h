// A growable array of trivially copyable values whose growth neither zeroes
// nor constructs (every slot is written before it is read). Unlike
// std::vector, resize() costs nothing per element and grows by realloc
// (large blocks move by remapping, not copying), and push_back() is an inline
// bounds check and a store. Used for the columns of a RecordBatch and the
// Parquet encoder's scratch, both rebuilt for every batch or row group.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

namespace sluice {

template <typename T>
class RawArray {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  RawArray() = default;
  RawArray(const RawArray& other) { *this = other; }
  RawArray& operator=(const RawArray& other) {
    if (this == &other) return *this;
    size_ = 0;
    reserve(other.size_);
    if (other.size_) std::memcpy(static_cast<void*>(data_), other.data_, other.size_ * sizeof(T));
    size_ = other.size_;
    return *this;
  }
  RawArray(RawArray&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  RawArray& operator=(RawArray&& other) noexcept {
    if (this != &other) {
      std::free(data_);
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }
  ~RawArray() { std::free(data_); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  size_t capacity_bytes() const { return capacity_ * sizeof(T); }
  void clear() { size_ = 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }
  operator std::span<const T>() const { return std::span<const T>(data_, size_); }

  // Exactly `n` slots (if more than now), like std::vector::reserve.
  void reserve(size_t n) {
    if (n > capacity_) reallocate(n);
  }
  // New slots past the old size are left unwritten; grows geometrically.
  void resize(size_t n) {
    if (n > capacity_) grow(n);
    size_ = n;
  }
  void push_back(T v) {
    if (size_ == capacity_) grow(size_ + 1);
    data_[size_++] = v;
  }
  void append(const T* p, size_t n) {
    if (n == 0) return;
    if (size_ + n > capacity_) grow(size_ + n);
    std::memcpy(static_cast<void*>(data_ + size_), p, n * sizeof(T));
    size_ += n;
  }
  // Appends `n` copies of `v`.
  void append_fill(T v, size_t n) {
    if (size_ + n > capacity_) grow(size_ + n);
    std::fill(data_ + size_, data_ + size_ + n, v);
    size_ += n;
  }

 private:
  void grow(size_t need) {
    size_t cap = capacity_ < 8 ? 16 : capacity_ * 2;
    if (cap < need) cap = need;
    reallocate(cap);
  }
  void reallocate(size_t cap) {
    T* next = static_cast<T*>(std::realloc(static_cast<void*>(data_), cap * sizeof(T)));
    if (next == nullptr) throw std::bad_alloc();
    data_ = next;
    capacity_ = cap;
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace sluice
