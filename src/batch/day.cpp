#include "batch/day.h"

#include <fmt/format.h>

#include <charconv>
#include <vector>

#include "core/time.h"

namespace sluice {

namespace {

bool parse_uint(std::string_view text, int64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

bool valid_date(int64_t y, int64_t m, int64_t d) {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int64_t max = kDays[m - 1];
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) max = 29;
  return d <= max;
}

}  // namespace

std::string Day::to_string() const {
  CivilTime c = to_civil(days_since_epoch * 86400LL * 1000000LL);
  return fmt::format("{:04d}-{:02d}-{:02d}", c.year, c.month, c.day);
}

Day Day::from_civil(int64_t year, unsigned month, unsigned day) {
  return Day{days_from_civil(year, month, day)};
}

std::optional<Day> Day::parse(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int64_t y = 0, m = 0, d = 0;
  if (!parse_uint(text.substr(0, 4), y) || !parse_uint(text.substr(5, 2), m) ||
      !parse_uint(text.substr(8, 2), d) || !valid_date(y, m, d)) {
    return std::nullopt;
  }
  return from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::optional<Day> day_of_partition(std::string_view partition) {
  int64_t year = -1, month = -1, day = -1;
  std::optional<Day> dated;
  while (!partition.empty()) {
    size_t slash = partition.find('/');
    std::string_view part = partition.substr(0, slash);
    partition = slash == std::string_view::npos ? std::string_view() : partition.substr(slash + 1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = part.substr(0, eq), value = part.substr(eq + 1);
    int64_t n = 0;
    if (key == "year" && parse_uint(value, n)) year = n;
    if (key == "month" && parse_uint(value, n)) month = n;
    if (key == "day" && parse_uint(value, n)) day = n;
    if (auto d = Day::parse(value)) dated = d;
  }
  if (year >= 0 && month >= 0 && day >= 0 && valid_date(year, month, day)) {
    return Day::from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  }
  return dated;
}

}  // namespace sluice
