// Writer for the Thrift compact protocol (the encoding of Parquet page headers
// and of the footer), written from the protocol's specification: field headers
// carry the field-id delta in the high nibble when it is 1..15 (else the type
// byte is followed by the zigzag varint id), integers are zigzag varints,
// booleans live in the field header's type nibble, binaries are a varint length
// and bytes, lists a (size << 4 | element type) byte (0xF_ plus a varint size
// from 15 elements on), and every struct ends with a stop byte 0.
#pragma once

#include <cstdint>
#include <string_view>

#include "formats/parquet/buffer.h"

namespace sluice::parquet {

class CompactWriter {
 public:
  enum Type : uint8_t {
    kBoolTrue = 1,
    kBoolFalse = 2,
    kByte = 3,
    kI16 = 4,
    kI32 = 5,
    kI64 = 6,
    kDouble = 7,
    kBinary = 8,
    kList = 9,
    kSet = 10,
    kMap = 11,
    kStruct = 12,
  };

  explicit CompactWriter(Buffer& out) : out_(out) {}

  // A struct: the top-level one, a field's (after field_struct) or a list element.
  void begin_struct() {
    stack_[depth_++] = last_id_;
    last_id_ = 0;
  }
  void end_struct() {
    out_.push(0);
    last_id_ = stack_[--depth_];
  }

  void field_i16(int16_t id, int16_t v) {
    field_header(id, kI16);
    put_i32(v);
  }
  void field_i32(int16_t id, int32_t v) {
    field_header(id, kI32);
    put_i32(v);
  }
  void field_i64(int16_t id, int64_t v) {
    field_header(id, kI64);
    put_i64(v);
  }
  void field_bool(int16_t id, bool v) { field_header(id, v ? kBoolTrue : kBoolFalse); }
  void field_binary(int16_t id, std::string_view v) {
    field_header(id, kBinary);
    put_binary(v);
  }
  // Followed by the struct's fields and end_struct().
  void field_struct(int16_t id) {
    field_header(id, kStruct);
    begin_struct();
  }
  // Followed by `size` elements of `element_type` (put_* or begin/end_struct).
  void field_list(int16_t id, Type element_type, uint32_t size) {
    field_header(id, kList);
    if (size < 15) {
      out_.push(static_cast<uint8_t>(size << 4 | element_type));
    } else {
      out_.push(static_cast<uint8_t>(0xF0 | element_type));
      out_.put_varint(size);
    }
  }

  void put_i32(int32_t v) { out_.put_varint(zigzag(v)); }
  void put_i64(int64_t v) { out_.put_varint(zigzag(v)); }
  void put_binary(std::string_view v) {
    out_.put_varint(v.size());
    out_.append(v.data(), v.size());
  }

 private:
  static uint64_t zigzag(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  }
  void field_header(int16_t id, Type type) {
    const int delta = id - last_id_;
    if (delta > 0 && delta <= 15) {
      out_.push(static_cast<uint8_t>(delta << 4 | type));
    } else {
      out_.push(type);
      put_i32(id);
    }
    last_id_ = id;
  }

  Buffer& out_;
  int16_t last_id_ = 0;
  int16_t stack_[16] = {};
  int depth_ = 0;
};

}  // namespace sluice::parquet
