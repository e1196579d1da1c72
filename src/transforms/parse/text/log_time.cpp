#include "transforms/parse/text/log_time.h"

#include "core/time.h"

namespace sluice::parse::text {

namespace {

constexpr int64_t kMicrosPerSecond = 1000000;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Exactly `n` digits at s[i..i+n).
bool fixed_digits(std::string_view s, size_t i, size_t n, int& out) {
  if (i + n > s.size()) return false;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    const char c = s[i + k];
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// A checked civil time -> UTC micros; `offset_seconds` is the stamp's zone.
bool civil_to_micros(int64_t y, int mo, int d, int h, int mi, int s, int64_t frac_micros,
                     int64_t offset_seconds, int64_t& out) {
  static const int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > kDaysIn[mo - 1]) return false;
  if (mo == 2 && d == 29 && !leap(y)) return false;
  if (h > 23 || mi > 59 || s > 60) return false;  // 60: a leap second, as ISO-8601 allows
  const int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const int64_t secs = days * 86400 + h * 3600 + mi * 60 + s - offset_seconds;
  out = secs * kMicrosPerSecond + frac_micros;
  return true;
}

// ".fff" (1..9 digits) at s[i]; advances i. Microsecond precision, truncated.
bool fraction(std::string_view s, size_t& i, int64_t& micros) {
  micros = 0;
  if (i >= s.size() || (s[i] != '.' && s[i] != ',')) return true;
  ++i;
  int n = 0;
  while (i < s.size() && is_digit(s[i])) {
    if (n < 6) micros = micros * 10 + (s[i] - '0');
    ++n;
    ++i;
  }
  if (n == 0 || n > 9) return false;
  for (int k = n; k < 6; ++k) micros *= 10;
  return true;
}

// "Z", "+hh", "+hhmm" or "+hh:mm" at s[i]; advances i.
bool zone(std::string_view s, size_t& i, int64_t& offset_seconds) {
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
    offset_seconds = 0;
    return true;
  }
  if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return false;
  const int sign = s[i] == '-' ? -1 : 1;
  int oh = 0, om = 0;
  if (!fixed_digits(s, i + 1, 2, oh)) return false;
  i += 3;
  if (i < s.size() && s[i] == ':') {
    if (!fixed_digits(s, i + 1, 2, om)) return false;
    i += 3;
  } else if (fixed_digits(s, i, 2, om)) {
    i += 2;
  }
  if (oh > 23 || om > 59) return false;
  offset_seconds = sign * (oh * 3600 + om * 60);
  return true;
}

// "hh:mm:ss" at s[i]; advances i.
bool clock(std::string_view s, size_t& i, int& h, int& mi, int& se) {
  if (!fixed_digits(s, i, 2, h) || i + 2 >= s.size() || s[i + 2] != ':' ||
      !fixed_digits(s, i + 3, 2, mi) || i + 5 >= s.size() || s[i + 5] != ':' ||
      !fixed_digits(s, i + 6, 2, se)) {
    return false;
  }
  i += 8;
  return true;
}

constexpr std::string_view kMonths[] = {"january",   "february", "march",    "april",
                                        "may",       "june",     "july",     "august",
                                        "september", "october",  "november", "december"};
constexpr std::string_view kWeekdays[] = {"monday", "tuesday",  "wednesday", "thursday",
                                          "friday", "saturday", "sunday"};

// Length of the name (full or 3-letter) at s[i] among `names`; index in `found`.
template <size_t N>
size_t match_name(std::string_view s, size_t i, const std::string_view (&names)[N], int& found) {
  for (size_t k = 0; k < N; ++k) {
    const std::string_view name = names[k];
    size_t n = 0;
    while (n < name.size() && i + n < s.size() && lower(s[i + n]) == name[n]) ++n;
    if (n == name.size() || n == 3) {
      // A full name, or a three-letter abbreviation not followed by more letters.
      const bool more = i + n < s.size() && lower(s[i + n]) >= 'a' && lower(s[i + n]) <= 'z';
      if (n == name.size() || !more) {
        found = static_cast<int>(k);
        return n;
      }
    }
  }
  return 0;
}

}  // namespace

int month_from_name(std::string_view name) {
  int found = -1;
  size_t n = match_name(name, 0, kMonths, found);
  return n == name.size() && n > 0 ? found + 1 : 0;
}

bool yearless_to_micros(int month, int day, int hour, int minute, int second, int64_t frac_micros,
                        int64_t offset_seconds, const TimeContext& ctx, int64_t& micros) {
  if (ctx.year) {
    return civil_to_micros(*ctx.year, month, day, hour, minute, second, frac_micros, offset_seconds,
                           micros);
  }
  const int64_t ref_local = ctx.reference_micros + offset_seconds * kMicrosPerSecond;
  const int ref_year = to_civil(ref_local).year;
  for (int year : {ref_year + 1, ref_year, ref_year - 1}) {
    int64_t candidate = 0;
    if (civil_to_micros(year, month, day, hour, minute, second, frac_micros, offset_seconds,
                        candidate) &&
        candidate <= ctx.reference_micros + kYearlessFutureMicros) {
      micros = candidate;
      return true;
    }
  }
  return false;
}

bool parse_clf_time(std::string_view s, int64_t& micros) {
  // dd/Mon/yyyy:hh:mm:ss[.fff] zone
  int d = 0, y = 0, h = 0, mi = 0, se = 0;
  if (!fixed_digits(s, 0, 2, d) || s.size() < 20 || s[2] != '/' || s[6] != '/' ||
      !fixed_digits(s, 7, 4, y) || s[11] != ':') {
    return false;
  }
  const int mo = month_from_name(s.substr(3, 3));
  if (mo == 0) return false;
  size_t i = 12;
  if (!clock(s, i, h, mi, se)) return false;
  int64_t frac = 0;
  if (!fraction(s, i, frac)) return false;
  if (i >= s.size() || s[i] != ' ') return false;
  ++i;
  int64_t offset = 0;
  if (!zone(s, i, offset) || i != s.size()) return false;
  return civil_to_micros(y, mo, d, h, mi, se, frac, offset, micros);
}

bool parse_bsd_time(std::string_view s, const TimeContext& ctx, int64_t& micros) {
  // Mmm dd hh:mm:ss, the day space-padded ("Oct  1") or not ("Oct 1").
  if (s.size() < 14) return false;
  const int mo = month_from_name(s.substr(0, 3));
  if (mo == 0 || s[3] != ' ') return false;
  size_t i = 4;
  if (s[i] == ' ') ++i;
  int d = 0;
  if (i < s.size() && is_digit(s[i])) d = s[i++] - '0';
  if (i < s.size() && is_digit(s[i])) d = d * 10 + (s[i++] - '0');
  if (d == 0 || i >= s.size() || s[i] != ' ') return false;
  ++i;
  int h = 0, mi = 0, se = 0;
  if (!clock(s, i, h, mi, se)) return false;
  int64_t frac = 0;
  if (!fraction(s, i, frac) || i != s.size()) return false;
  return yearless_to_micros(mo, d, h, mi, se, frac, int64_t{ctx.utc_offset_minutes} * 60, ctx,
                            micros);
}

bool parse_epoch_seconds(std::string_view s, int64_t& micros) {
  size_t i = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) ++i;
  int64_t secs = 0;
  size_t digits = 0;
  while (i < s.size() && is_digit(s[i])) {
    if (++digits > 12) return false;  // beyond year 33658: not a log stamp
    secs = secs * 10 + (s[i++] - '0');
  }
  if (digits == 0) return false;
  int64_t frac = 0;
  if (!fraction(s, i, frac) || i != s.size()) return false;
  micros = (negative ? -1 : 1) * (secs * kMicrosPerSecond + frac);
  return true;
}

TimeFormat::TimeFormat(std::string_view format) : text_(format) {
  for (size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c != '%') {
      if (steps_.empty() || steps_.back().spec != 0) steps_.push_back(Step{});
      steps_.back().literal += c;
      continue;
    }
    if (i + 1 >= format.size()) {
      throw std::invalid_argument("time format '" + text_ + "' ends with a lone '%'");
    }
    const char spec = format[++i];
    switch (spec) {
      case '%':
        if (steps_.empty() || steps_.back().spec != 0) steps_.push_back(Step{});
        steps_.back().literal += '%';
        continue;
      case 'T':
        for (char s : {'H', ':', 'M', ':', 'S'}) {
          if (s == ':') {
            steps_.push_back(Step{0, ":"});
          } else {
            steps_.push_back(Step{s, {}});
          }
        }
        continue;
      case 'Y':
      case 'y':
      case 's':
      case 'm':
      case 'd':
      case 'e':
      case 'H':
      case 'M':
      case 'S':
      case 'f':
      case 'b':
      case 'h':
      case 'B':
      case 'a':
      case 'A':
      case 'z':
        break;
      default:
        throw std::invalid_argument("time format '" + text_ + "': unknown specifier %" +
                                    std::string(1, spec) +
                                    " (known: %Y %y %m %d %e %H %M %S %f %b %B %a %z %T %s %%)");
    }
    steps_.push_back(Step{spec, {}});
  }
}

bool TimeFormat::parse(std::string_view s, const TimeContext& ctx, int64_t& micros) const {
  int64_t y = -1;
  int mo = 1, d = 1, h = 0, mi = 0, se = 0;
  int64_t frac = 0;
  int64_t offset = int64_t{ctx.utc_offset_minutes} * 60;
  std::optional<int64_t> epoch;
  size_t i = 0;
  // Up to `max` digits (at least one) at s[i].
  auto number = [&](size_t max, int& out) {
    size_t n = 0;
    int v = 0;
    while (n < max && i < s.size() && is_digit(s[i])) {
      v = v * 10 + (s[i++] - '0');
      ++n;
    }
    out = v;
    return n > 0;
  };
  for (const Step& step : steps_) {
    int v = 0;
    switch (step.spec) {
      case 0:
        for (char c : step.literal) {
          if (c == ' ') {
            if (i >= s.size() || s[i] != ' ') return false;
            while (i < s.size() && s[i] == ' ') ++i;
          } else {
            if (i >= s.size() || s[i] != c) return false;
            ++i;
          }
        }
        break;
      case 'Y':
        if (!number(4, v)) return false;
        y = v;
        break;
      case 'y':
        if (!number(2, v)) return false;
        y = 2000 + v;
        break;
      case 'm':
        if (!number(2, mo)) return false;
        break;
      case 'e':
        if (i < s.size() && s[i] == ' ') ++i;
        [[fallthrough]];
      case 'd':
        if (!number(2, d)) return false;
        break;
      case 'H':
        if (!number(2, h)) return false;
        break;
      case 'M':
        if (!number(2, mi)) return false;
        break;
      case 'S':
        if (!number(2, se)) return false;
        break;
      case 'f': {
        // The digits here are the fraction itself (no leading '.').
        size_t n = 0;
        frac = 0;
        while (i < s.size() && is_digit(s[i])) {
          if (n < 6) frac = frac * 10 + (s[i] - '0');
          ++n;
          ++i;
        }
        if (n == 0 || n > 9) return false;
        for (size_t k = n; k < 6; ++k) frac *= 10;
        break;
      }
      case 'b':
      case 'h':
      case 'B': {
        int found = -1;
        const size_t n = match_name(s, i, kMonths, found);
        if (n == 0) return false;
        mo = found + 1;
        i += n;
        break;
      }
      case 'a':
      case 'A': {
        int found = -1;
        const size_t n = match_name(s, i, kWeekdays, found);
        if (n == 0) return false;
        i += n;
        break;
      }
      case 'z':
        if (!zone(s, i, offset)) return false;
        break;
      case 's': {
        const size_t start = i;
        if (i < s.size() && s[i] == '-') ++i;
        while (i < s.size() && is_digit(s[i])) ++i;
        int64_t us = 0;
        if (!parse_epoch_seconds(s.substr(start, i - start), us)) return false;
        epoch = us;
        break;
      }
      default:
        return false;
    }
  }
  if (i != s.size()) return false;
  if (epoch) {
    micros = *epoch + frac;
    return true;
  }
  if (y < 0) return yearless_to_micros(mo, d, h, mi, se, frac, offset, ctx, micros);
  return civil_to_micros(y, mo, d, h, mi, se, frac, offset, micros);
}

}  // namespace sluice::parse::text
