// Timestamps as log files write them, read into UTC microseconds: the
// common log format's [10/Oct/2000:13:55:36 -0700], RFC 3164's year-less
// "Oct 11 22:14:15", and strptime-like formats for the regex format. A stamp
// with an offset is converted to UTC; one without uses the configured zone.
// A stamp without a year takes it from a reference time (the batch's ingest
// time, injected by the caller, never read from the clock here), with the
// December/January rollover handled.
//
// Threading: pure functions; a compiled TimeFormat is immutable.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::parse::text {

// What a stamp leaves out.
struct TimeContext {
  int64_t reference_micros = 0;    // "now" for year inference (the ingest time)
  std::optional<int32_t> year;     // fixed year for year-less stamps
  int32_t utc_offset_minutes = 0;  // zone of stamps without an offset
};

// How far after the reference time a year-less stamp may lie (clock skew
// between the writer and sluice) before it is taken to be last year's.
constexpr int64_t kYearlessFutureMicros = 7LL * 86400 * 1000000;

// A stamp without a year (month 1..12, day, time of day, fraction in micros,
// in the zone `offset_seconds` east of UTC) to UTC micros. The year is
// `ctx.year` when set; otherwise the latest of the reference's year and its
// neighbours that does not put the stamp more than kYearlessFutureMicros after
// the reference: "Dec 31 23:59:59" read on January 1st is last year's, "Jan 1
// 00:00:01" read on December 31st (a writer's clock a little ahead) is next
// year's, "Oct 11" read in March is last October. False for an impossible date.
bool yearless_to_micros(int month, int day, int hour, int minute, int second, int64_t frac_micros,
                        int64_t offset_seconds, const TimeContext& ctx, int64_t& micros);

// "10/Oct/2000:13:55:36 -0700" (also "+0000", "+01:00", "Z" and a ".fff"
// fraction after the seconds). False when malformed or not a real date.
bool parse_clf_time(std::string_view text, int64_t& micros);

// "Oct 11 22:14:15" or "Oct  1 22:14:15" (space-padded day), a ".fff"
// fraction allowed; the year from yearless_to_micros(), the zone from ctx.
bool parse_bsd_time(std::string_view text, const TimeContext& ctx, int64_t& micros);

// Seconds since the epoch with an optional fraction ("1157689324.156").
bool parse_epoch_seconds(std::string_view text, int64_t& micros);

// Month number 1..12 of an English month name or its three-letter
// abbreviation (any case); 0 when unknown.
int month_from_name(std::string_view name);

// A strptime-like format, compiled once:
//   %Y year (4 digits)   %y year 00..99 (2000+)   %m month   %d day   %e day, space-padded
//   %H hour   %M minute   %S second   %f fraction of a second: the digits that follow
//   are a decimal fraction (".138633" is 0.138633 s), 1 to 9 of them
//   %b %h %B month name   %a %A weekday name (read, ignored)   %z Z, +hh, +hhmm or +hh:mm
//   %T = %H:%M:%S   %s seconds since the epoch   %% a '%'
// A space matches one or more spaces; other characters match themselves.
// Without %Y/%y the year is inferred (yearless_to_micros); without %z the
// zone is the context's.
class TimeFormat {
 public:
  // Throws std::invalid_argument naming an unknown or dangling specifier.
  explicit TimeFormat(std::string_view format);
  bool parse(std::string_view text, const TimeContext& ctx, int64_t& micros) const;
  const std::string& text() const { return text_; }

 private:
  struct Step {
    char spec = 0;  // 0: literal
    std::string literal;
  };
  std::string text_;
  std::vector<Step> steps_;
};

}  // namespace sluice::parse::text
