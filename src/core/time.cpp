#include "core/time.h"

#include <chrono>
#include <cstdio>

namespace sluice {

TimestampMicros now_micros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t monotonic_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// Howard Hinnant's days_from_civil algorithm (public domain description).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

static void civil_from_days(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yy + (m <= 2));
}

CivilTime to_civil(TimestampMicros ts) {
  int64_t secs = ts >= 0 ? ts / 1000000 : (ts - 999999) / 1000000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - days * 86400;
  CivilTime c{};
  civil_from_days(days, c.year, c.month, c.day);
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>((rem % 3600) / 60);
  c.second = static_cast<int>(rem % 60);
  return c;
}

namespace {
bool digits(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}
}  // namespace

std::optional<TimestampMicros> parse_iso8601(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  static const int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > kDaysIn[mo - 1]) return std::nullopt;
  if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return std::nullopt;
  size_t i = 10;
  int64_t micros = 0;
  int64_t offset_secs = 0;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != ' ' && s[i] != 't') return std::nullopt;
    if (!digits(s, i + 1, 2, h) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !digits(s, i + 4, 2, mi)) {
      return std::nullopt;
    }
    i += 6;
    if (i < s.size() && s[i] == ':') {
      if (!digits(s, i + 1, 2, se)) return std::nullopt;
      i += 3;
      if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        int n = 0;
        int64_t frac = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
          if (n < 6) {
            frac = frac * 10 + (s[i] - '0');
          }
          ++n;
          ++i;
        }
        if (n == 0) return std::nullopt;
        for (int k = n; k < 6; ++k) frac *= 10;
        micros = frac;
      }
    }
    if (h > 23 || mi > 59 || se > 60) return std::nullopt;
    if (i < s.size()) {
      if (s[i] == 'Z' || s[i] == 'z') {
        ++i;
      } else if (s[i] == '+' || s[i] == '-') {
        int oh, om = 0;
        int sign = s[i] == '-' ? -1 : 1;
        if (!digits(s, i + 1, 2, oh)) return std::nullopt;
        i += 3;
        if (i < s.size() && s[i] == ':') ++i;
        if (i < s.size()) {
          if (!digits(s, i, 2, om)) return std::nullopt;
          i += 2;
        }
        if (oh > 23 || om > 59) return std::nullopt;
        offset_secs = sign * (oh * 3600 + om * 60);
      }
    }
    if (i != s.size()) return std::nullopt;
  }
  if (y < 1 || y > 9999) return std::nullopt;
  int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_secs;
  return secs * 1000000 + micros;
}

std::string format_iso8601(TimestampMicros ts) {
  CivilTime c = to_civil(ts);
  int64_t us = ts % 1000000;
  if (us < 0) us += 1000000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", c.year, c.month, c.day,
                c.hour, c.minute, c.second, static_cast<long long>(us));
  return buf;
}

std::optional<int64_t> parse_duration_ms(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0 || i > 15) return std::nullopt;
  int64_t n = 0;
  for (size_t k = 0; k < i; ++k) n = n * 10 + (text[k] - '0');
  const std::string_view unit = text.substr(i);
  if (unit.empty() || unit == "ms") return n;
  if (unit == "s") return n * 1000;
  if (unit == "m") return n * 60000;
  if (unit == "h") return n * 3600000;
  if (unit == "d") return n * 86400000;
  return std::nullopt;
}

}  // namespace sluice
