// Cron schedules of orchestrated jobs: the classic 5 fields
// (minute hour day-of-month month day-of-week) with '*', numbers, ranges
// a-b, lists and /steps, in UTC or a fixed UTC offset ("+02:00"). Named
// zones with daylight saving time are not supported. As in Vixie cron, when
// both day fields are restricted a day matching either one fires.
//
// Threading: a CronSchedule is immutable after parsing.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>

namespace sluice {

// "UTC", "Z", "+HH:MM", "-HH:MM" or "+HHMM" -> offset in minutes; nullopt otherwise.
std::optional<int> parse_utc_offset_minutes(const std::string& zone);

class CronSchedule {
 public:
  // Throws std::invalid_argument naming the bad field.
  static CronSchedule parse(const std::string& expression, int utc_offset_minutes = 0);

  // The first firing time strictly after `after_ms` (ms since the epoch, at
  // a whole minute). Searches up to 5 years ahead; nullopt if none (e.g. Feb 30).
  std::optional<int64_t> next_after(int64_t after_ms) const;

  const std::string& expression() const { return expression_; }

 private:
  bool matches_day(int64_t days_since_epoch, unsigned month, unsigned mday) const;

  std::string expression_;
  int offset_minutes_ = 0;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> mdays_;   // 1..31
  std::bitset<13> months_;  // 1..12
  std::bitset<7> wdays_;    // 0 = Sunday (7 is accepted as Sunday too)
  bool mday_star_ = true;
  bool wday_star_ = true;
};

}  // namespace sluice
