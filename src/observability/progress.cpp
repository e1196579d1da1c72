#include "observability/progress.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace sluice::obs {

std::string format_bytes(int64_t bytes) {
  if (bytes < 0) return "?";
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  while (v >= 1024.0 && unit + 1 < std::size(kUnits)) {
    v /= 1024.0;
    ++unit;
  }
  // Three significant digits: 1.50 KiB, 12.3 MiB, 512 GiB.
  char buf[32];
  int decimals = v < 10 ? 2 : v < 100 ? 1 : 0;
  std::snprintf(buf, sizeof(buf), "%.*f %s", decimals, v, kUnits[unit]);
  return buf;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  int64_t s = static_cast<int64_t>(std::ceil(seconds));
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else if (s < 86400) {
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%lldd%02lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  }
  return buf;
}

namespace {

std::string format_rate(double per_second) {
  char buf[32];
  if (per_second >= 1e6) {
    std::snprintf(buf, sizeof(buf), "%.1fM", per_second / 1e6);
  } else if (per_second >= 1e4) {
    std::snprintf(buf, sizeof(buf), "%.0fk", per_second / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f", per_second);
  }
  return buf;
}

}  // namespace

std::string format_progress(const Progress& p, bool tty) {
  const double secs = p.seconds > 1e-3 ? p.seconds : 1e-3;
  std::string out = "[sluice] " + p.pipeline + ": ";
  if (p.bytes_done >= 0) {
    const int64_t moved = p.bytes_done - (p.bytes_start >= 0 ? p.bytes_start : 0);
    const double rate = moved / secs;
    out += format_bytes(p.bytes_done);
    if (p.bytes_total > 0) {
      const double pct = 100.0 * static_cast<double>(p.bytes_done) / p.bytes_total;
      char buf[32];
      std::snprintf(buf, sizeof(buf), " (%.1f%%)", pct > 100 ? 100.0 : pct);
      out += " / " + format_bytes(p.bytes_total) + buf;
    }
    out += ", " + format_bytes(static_cast<int64_t>(rate)) + "/s";
    if (p.bytes_total > 0 && !p.final) {
      const int64_t left = p.bytes_total > p.bytes_done ? p.bytes_total - p.bytes_done : 0;
      out += ", ETA " + (rate > 0 ? format_duration(left / rate) : std::string("?"));
    }
    out += tty ? " | " : "; ";
  }
  if (tty) {
    out += "read " + std::to_string(p.events_read) + " (" + format_rate(p.events_read / secs) +
           "/s), rejected " + std::to_string(p.events_rejected) + ", commits " +
           std::to_string(p.commits);
    return out;
  }
  out += "read " + std::to_string(p.events_read) + " (" + format_rate(p.events_read / secs) +
         "/s), accepted " + std::to_string(p.events_accepted) + ", rejected " +
         std::to_string(p.events_rejected) + ", rows " + std::to_string(p.rows_written) +
         ", files " + std::to_string(p.files_written) + ", commits " + std::to_string(p.commits);
  return out;
}

void ProgressPrinter::operator()(const Progress& p) {
  std::string line = format_progress(p, tty_);
  if (!tty_) {
    std::fprintf(out_, "%s\n", line.c_str());
    if (!p.event_time.empty())
      std::fprintf(out_, "[sluice] %s: %s\n", p.pipeline.c_str(), p.event_time.c_str());
    std::fflush(out_);
    return;
  }
  if (columns_ > 1 && line.size() > static_cast<size_t>(columns_ - 1)) line.resize(columns_ - 1);
  // Carriage return, the text, erase to the end of the line (ECMA-48 EL).
  std::fprintf(out_, "\r%s\x1b[K", line.c_str());
  if (p.final) {
    std::fprintf(out_, "\n");
    if (!p.event_time.empty())
      std::fprintf(out_, "[sluice] %s: %s\n", p.pipeline.c_str(), p.event_time.c_str());
  }
  std::fflush(out_);
}

}  // namespace sluice::obs
