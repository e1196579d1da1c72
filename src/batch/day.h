// A calendar day (UTC), the unit in which batch jobs select input partitions
// and replace their output. A strong type so that a day is never confused
// with a sequence number or a row count.
//
// Threading: a value type.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

struct Day {
  int64_t days_since_epoch = 0;  // 1970-01-01 is 0
  auto operator<=>(const Day&) const = default;

  // "YYYY-MM-DD"
  std::string to_string() const;
  // Midnight at the start of the day, in ms since the epoch.
  int64_t start_ms() const { return days_since_epoch * 86400000LL; }
  // Parses "YYYY-MM-DD" (a real calendar date); nullopt otherwise.
  static std::optional<Day> parse(std::string_view text);
  static Day from_civil(int64_t year, unsigned month, unsigned day);
};

// The day of a Hive partition path such as "year=2025/month=01/day=02/hour=03"
// or "day=2025-01-02" (any key whose value is a YYYY-MM-DD date); nullopt
// if the path names no day.
std::optional<Day> day_of_partition(std::string_view partition);

}  // namespace sluice
