#include "orchestrator/cron.h"

#include <sstream>
#include <stdexcept>
#include <vector>

#include "core/time.h"

namespace sluice {

namespace {

int to_int(const std::string& s, const std::string& field) {
  if (s.empty() || s.size() > 4 || s.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("cron field '" + field + "': '" + s + "' is not a number");
  return std::stoi(s);
}

// Sets the bits of `field` (e.g. "1-5,10/2,*") within [lo, hi]; returns
// whether the field was a plain '*'.
template <size_t N>
bool parse_field(const std::string& field, int lo, int hi, std::bitset<N>& bits) {
  std::stringstream ss(field);
  bool star = field == "*";
  for (std::string part; std::getline(ss, part, ',');) {
    int step = 1;
    if (size_t slash = part.find('/'); slash != std::string::npos) {
      step = to_int(part.substr(slash + 1), field);
      if (step <= 0) throw std::invalid_argument("cron field '" + field + "': step 0");
      part = part.substr(0, slash);
    }
    int first = lo, last = hi;
    if (part != "*") {
      size_t dash = part.find('-');
      first = to_int(part.substr(0, dash), field);
      last = dash == std::string::npos ? (step > 1 ? hi : first)
                                       : to_int(part.substr(dash + 1), field);
    }
    if (first < lo || last > hi || first > last) {
      throw std::invalid_argument("cron field '" + field + "': out of range " + std::to_string(lo) +
                                  "-" + std::to_string(hi));
    }
    for (int v = first; v <= last; v += step) bits.set(static_cast<size_t>(v));
  }
  return star;
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

std::optional<int> parse_utc_offset_minutes(const std::string& zone) {
  if (zone == "UTC" || zone == "Z" || zone.empty()) return 0;
  if (zone.size() != 6 && zone.size() != 5) return std::nullopt;
  if (zone[0] != '+' && zone[0] != '-') return std::nullopt;
  std::string digits = zone.substr(1);
  if (digits.size() == 5) {
    if (digits[2] != ':') return std::nullopt;
    digits.erase(2, 1);
  }
  if (digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  int h = std::stoi(digits.substr(0, 2)), m = std::stoi(digits.substr(2, 2));
  if (h > 23 || m > 59) return std::nullopt;
  int total = h * 60 + m;
  return zone[0] == '-' ? -total : total;
}

CronSchedule CronSchedule::parse(const std::string& expression, int utc_offset_minutes) {
  std::stringstream ss(expression);
  std::vector<std::string> f;
  for (std::string s; ss >> s;) f.push_back(s);
  if (f.size() != 5) {
    throw std::invalid_argument("cron '" + expression +
                                "': expected 5 fields (minute hour day month weekday)");
  }
  CronSchedule c;
  c.expression_ = expression;
  c.offset_minutes_ = utc_offset_minutes;
  parse_field(f[0], 0, 59, c.minutes_);
  parse_field(f[1], 0, 23, c.hours_);
  c.mday_star_ = parse_field(f[2], 1, 31, c.mdays_);
  parse_field(f[3], 1, 12, c.months_);
  std::bitset<8> wd;
  c.wday_star_ = parse_field(f[4], 0, 7, wd);
  for (size_t i = 0; i < 7; ++i) c.wdays_[i] = wd[i];
  if (wd[7]) c.wdays_[0] = true;
  return c;
}

bool CronSchedule::matches_day(int64_t days_since_epoch, unsigned month, unsigned mday) const {
  if (!months_[month]) return false;
  // 1970-01-01 was a Thursday (4).
  auto wday = static_cast<size_t>(((days_since_epoch % 7) + 11) % 7);
  bool md = mdays_[mday], wd = wdays_[wday];
  if (mday_star_ && wday_star_) return true;
  if (mday_star_) return wd;
  if (wday_star_) return md;
  return md || wd;
}

std::optional<int64_t> CronSchedule::next_after(int64_t after_ms) const {
  const int64_t offset_ms = int64_t{offset_minutes_} * 60000;
  // Local minute index, strictly after `after_ms`.
  int64_t minute = floor_div(after_ms + offset_ms, 60000) + 1;
  const int64_t limit = minute + int64_t{5} * 366 * 1440;
  while (minute < limit) {
    int64_t day = floor_div(minute, 1440);
    CivilTime c = to_civil(day * 86400000000LL);
    if (!matches_day(day, static_cast<unsigned>(c.month), static_cast<unsigned>(c.day))) {
      minute = (day + 1) * 1440;
      continue;
    }
    int64_t in_day = minute - day * 1440;
    auto hour = static_cast<size_t>(in_day / 60);
    if (!hours_[hour]) {
      minute = day * 1440 + static_cast<int64_t>(hour + 1) * 60;
      continue;
    }
    if (!minutes_[static_cast<size_t>(in_day % 60)]) {
      ++minute;
      continue;
    }
    return minute * 60000 - offset_ms;
  }
  return std::nullopt;
}

}  // namespace sluice
