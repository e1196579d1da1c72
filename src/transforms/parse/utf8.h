// UTF-8 helpers shared by the parser and the DLQ: validation (SIMD, through
// simdjson) and truncation that never splits a code point.
// Threading: pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice {

bool is_valid_utf8(std::string_view bytes);

// At most `max_bytes` bytes of `text`, cut at a code point boundary, with
// "..." appended when something was cut.
std::string truncate_utf8(std::string_view text, size_t max_bytes);

}  // namespace sluice
