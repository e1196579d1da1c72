#include "transforms/parse/text/escapes.h"

#include <cstring>

namespace sluice::parse::text {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

size_t decode_escapes(std::string_view s, char* out) {
  size_t o = 0;
  size_t i = 0;
  while (i < s.size()) {
    const void* bs = std::memchr(s.data() + i, '\\', s.size() - i);
    const size_t plain =
        bs ? static_cast<size_t>(static_cast<const char*>(bs) - s.data()) - i : s.size() - i;
    std::memmove(out + o, s.data() + i, plain);
    o += plain;
    i += plain;
    if (i >= s.size()) break;
    // s[i] is a backslash.
    if (i + 1 >= s.size()) {
      out[o++] = '\\';
      break;
    }
    const char e = s[i + 1];
    char decoded = 0;
    switch (e) {
      case '"':
      case '\\':
        decoded = e;
        break;
      case 'n':
        decoded = '\n';
        break;
      case 't':
        decoded = '\t';
        break;
      case 'r':
        decoded = '\r';
        break;
      case 'b':
        decoded = '\b';
        break;
      case 'v':
        decoded = '\v';
        break;
      case 'x': {
        const int hi = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
        const int lo = i + 3 < s.size() ? hex_value(s[i + 3]) : -1;
        if (hi >= 0 && lo >= 0) {
          out[o++] = static_cast<char>(hi * 16 + lo);
          i += 4;
          continue;
        }
        break;
      }
      default:
        break;
    }
    if (decoded != 0) {
      out[o++] = decoded;
      i += 2;
    } else {
      out[o++] = '\\';  // kept as written
      ++i;
    }
  }
  return o;
}

}  // namespace sluice::parse::text
