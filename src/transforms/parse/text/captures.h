// What a text-log scanner hands to the shared typing step: named captures
// (slices of the line) and, per capture, how its text is written. Every
// format declares its captures in one table of CaptureSpec; schema fields
// bind to captures by name (or the capture's alias) when the parser is
// built, and type_capture() (field_typing.h) turns a capture into a typed
// value, the same way for every format.
//
// Threading: plain data; a Captures belongs to one parser.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace sluice::parse::text {

// How a capture's text is written, which decides how it is read into a
// schema field (strings, numbers, timestamps).
enum class CaptureKind : uint8_t {
  kPlain,       // as written
  kEscaped,     // from a quoted field: \xNN, \", \\ and \n-style escapes are decoded
  kClfTime,     // [10/Oct/2000:13:55:36 -0700] contents, fraction allowed (Apache %t, $time_local)
  kIsoTime,     // RFC 3339 / ISO-8601 ($time_iso8601, RFC 5424)
  kSyslogTime,  // RFC 3164 "Mmm dd hh:mm:ss" (no year, no zone) or RFC 3339
  kEpochTime,   // seconds since the epoch with an optional fraction ($msec)
  kFacility,    // syslog facility number: an int field gets the number, a string field its name
  kSeverity,    // syslog severity number: likewise (0 emerg .. 7 debug)
};

struct CaptureSpec {
  std::string_view name;  // the field name that binds to it
  CaptureKind kind = CaptureKind::kPlain;
  std::string_view alias;  // a second name that binds to it (e.g. nginx's variable name)
};

// At most this many captures per format (a regex may not name more groups).
constexpr size_t kMaxCaptures = 64;

// One line's captures, by slot (the index in the format's table). A slot
// that is not set, or holds exactly "-", fills no field: the field is missing
// (so its default applies, or NULL).
struct Captures {
  std::array<std::string_view, kMaxCaptures> text;
  uint64_t set = 0;

  void clear() { set = 0; }
  void put(size_t slot, std::string_view value) {
    text[slot] = value;
    set |= uint64_t{1} << slot;
  }
  bool has(size_t slot) const { return (set >> slot) & 1; }
};

}  // namespace sluice::parse::text
