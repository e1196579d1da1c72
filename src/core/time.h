// Time helpers: UTC microsecond timestamps, ISO-8601 parsing and formatting,
// calendar parts for partitioning. No time zone database; all UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// Microseconds since the Unix epoch, UTC.
using TimestampMicros = int64_t;

TimestampMicros now_micros();
int64_t monotonic_millis();

// Parses "YYYY-MM-DD[T ]hh:mm:ss[.fffffffff][Z|+hh:mm|-hh:mm]" or "YYYY-MM-DD".
// No zone means UTC. Returns nullopt when malformed or out of range.
std::optional<TimestampMicros> parse_iso8601(std::string_view text);

// "2024-05-01T12:34:56.789000Z"
std::string format_iso8601(TimestampMicros ts);

struct CivilTime {
  int year, month, day, hour, minute, second;
};
CivilTime to_civil(TimestampMicros ts);
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

// "10m", "30s", "250ms", "1h", "2d" or a plain number of milliseconds, in
// milliseconds; nullopt when malformed (no digits, more than 15 digits, an
// unknown unit).
std::optional<int64_t> parse_duration_ms(std::string_view text);

}  // namespace sluice
