// Backslash escapes of quoted log fields, decoded: Apache writes '"' and '\'
// as \" and \\, control characters as \n, \t (and \b, \r, \v) and other
// non-printable bytes as \xNN; nginx writes \xNN for all of them.
//
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace sluice::parse::text {

// True when `s` holds a backslash (so decode_escapes would change it).
inline bool has_escapes(std::string_view s) {
  return s.find('\\') != std::string_view::npos;
}

// Decodes the escapes of `s` into `out` (room for s.size() bytes: decoding
// never lengthens) and returns the decoded length. An unknown escape or a
// malformed \x is kept as written.
size_t decode_escapes(std::string_view s, char* out);

}  // namespace sluice::parse::text
