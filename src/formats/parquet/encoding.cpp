#include "formats/parquet/encoding.h"

namespace sluice::parquet {

namespace {

// Bit-packs values[0..n) with `width` bits each, LSB first, and pads with zero
// values up to a multiple of 8 (so exactly ceil(n/8) * width bytes).
template <typename T>
void bit_pack(const T* values, size_t n, int width, Buffer& out) {
  const size_t groups = (n + 7) / 8;
  uint8_t* p = out.tail(groups * static_cast<size_t>(width) + 8);
  uint8_t* const start = p;
  uint64_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc |= static_cast<uint64_t>(values[i]) << bits;
    bits += width;
    if (bits >= 32) {
      const uint32_t word = static_cast<uint32_t>(acc);
      p[0] = static_cast<uint8_t>(word);
      p[1] = static_cast<uint8_t>(word >> 8);
      p[2] = static_cast<uint8_t>(word >> 16);
      p[3] = static_cast<uint8_t>(word >> 24);
      p += 4;
      acc >>= 32;
      bits -= 32;
    }
  }
  // The zero padding of the last group only adds zero bits.
  const size_t total = groups * static_cast<size_t>(width);
  while (static_cast<size_t>(p - start) < total) {
    *p++ = static_cast<uint8_t>(acc);
    acc >>= 8;
  }
  out.advance(total);
}

template <typename T>
void emit_bit_packed(const T* values, size_t n, int width, Buffer& out) {
  const size_t groups = (n + 7) / 8;
  out.put_varint(groups << 1 | 1);
  bit_pack(values, n, width, out);
}

template <typename T>
void emit_rle(T value, size_t count, int width, Buffer& out) {
  out.put_varint(static_cast<uint64_t>(count) << 1);
  uint64_t v = value;
  for (int b = 0; b < (width + 7) / 8; ++b) {
    out.push(static_cast<uint8_t>(v));
    v >>= 8;
  }
}

template <typename T>
void encode(const T* values, size_t n, int width, Buffer& out) {
  size_t literal_start = 0;  // values [literal_start, i) wait to be bit-packed
  size_t i = 0;
  while (i < n) {
    const T v = values[i];
    size_t j = i + 1;
    while (j < n && values[j] == v) ++j;
    const size_t run = j - i;
    if (run >= 8) {
      // A bit-packed run holds a multiple of 8 values (only the last may be
      // padded), so the literals borrow the first values of this run.
      const size_t pad = (8 - (i - literal_start) % 8) % 8;
      if (run - pad >= 8) {
        if (i + pad > literal_start)
          emit_bit_packed(values + literal_start, i + pad - literal_start, width, out);
        emit_rle(v, run - pad, width, out);
        literal_start = j;
      }
    }
    i = j;
  }
  if (literal_start < n) emit_bit_packed(values + literal_start, n - literal_start, width, out);
}

}  // namespace

int bit_width_for(uint64_t max_value) {
  int width = 1;
  while (width < 64 && (max_value >> width) != 0) ++width;
  return width;
}

void rle_hybrid_encode(const uint8_t* values, size_t n, int bit_width, Buffer& out) {
  encode(values, n, bit_width, out);
}

void rle_hybrid_encode(const uint32_t* values, size_t n, int bit_width, Buffer& out) {
  encode(values, n, bit_width, out);
}

void pack_bools(const uint8_t* values, size_t n, Buffer& out) {
  bit_pack(values, n, 1, out);
}

}  // namespace sluice::parquet
