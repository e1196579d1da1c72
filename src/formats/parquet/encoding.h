// Byte-level value encodings of the Parquet specification (Encodings.md): the
// RLE / bit-packing hybrid (definition levels, dictionary indices) and PLAIN
// bit-packed booleans. Each appends to a Buffer and has a size bound so that the
// column writer can plan pages before encoding them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "formats/parquet/buffer.h"

namespace sluice::parquet {

// Bits needed for values 0..max_value (at least 1: some readers mishandle 0).
int bit_width_for(uint64_t max_value);

// Appends the RLE / bit-packing hybrid encoding of values[0..n), each < 2^bit_width
// (1 <= bit_width <= 32), without a length prefix. Runs of 8 or more equal
// values become RLE runs; the rest is bit-packed in groups of 8 (LSB first), the
// last group padded with zeros.
void rle_hybrid_encode(const uint8_t* values, size_t n, int bit_width, Buffer& out);
void rle_hybrid_encode(const uint32_t* values, size_t n, int bit_width, Buffer& out);

// Upper bound of rle_hybrid_encode's output for n values.
inline size_t rle_hybrid_max_bytes(size_t n, int bit_width) {
  // Worst case: everything bit-packed (n/8 groups of bit_width bytes, one
  // padded), plus a varint header of at most 10 bytes per run; runs alternate
  // at worst every 16 values (8 packed + 8 repeated).
  return (n / 8 + 1) * static_cast<size_t>(bit_width) + (n / 8 + 2) * 10;
}

// Appends values[0..n) (0 or 1) bit-packed LSB first: PLAIN for BOOLEAN.
void pack_bools(const uint8_t* values, size_t n, Buffer& out);

}  // namespace sluice::parquet
