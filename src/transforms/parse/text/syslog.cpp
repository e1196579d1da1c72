#include "transforms/parse/text/syslog.h"

#include "transforms/parse/text/log_time.h"

namespace sluice::parse::text {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The token at line[pos] up to the next space (or the end).
std::string_view token(std::string_view line, size_t pos) {
  size_t end = line.find(' ', pos);
  if (end == std::string_view::npos) end = line.size();
  return line.substr(pos, end - pos);
}

std::string_view trim_trailing_blanks(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 5424 STRUCTURED-DATA: "-" or one or more [SD-ID param="value" ...]
// elements; inside a value '"', '\' and ']' are escaped with '\'. Returns the
// end position, or npos when malformed.
size_t structured_data_end(std::string_view line, size_t pos) {
  if (pos < line.size() && line[pos] == '-') return pos + 1;
  if (pos >= line.size() || line[pos] != '[') return std::string_view::npos;
  while (pos < line.size() && line[pos] == '[') {
    bool in_value = false;
    size_t i = pos + 1;
    for (; i < line.size(); ++i) {
      const char c = line[i];
      if (in_value) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_value = false;
        }
      } else if (c == '"') {
        in_value = true;
      } else if (c == ']') {
        break;
      }
    }
    if (i >= line.size()) return std::string_view::npos;
    pos = i + 1;
  }
  return pos;
}

}  // namespace

bool SyslogScanner::scan(std::string_view line, Captures& out, std::string& error) {
  size_t pos = 0;
  if (!line.empty() && line[0] == '<') {
    size_t i = 1;
    int pri = 0;
    while (i < line.size() && i <= 4 && is_digit(line[i])) pri = pri * 10 + (line[i++] - '0');
    if (i == 1 || i > 4 || i >= line.size() || line[i] != '>' || pri > 191) {
      error = "malformed <PRI> (expected <0> to <191>)";
      return false;
    }
    out.put(kSyslogPriority, line.substr(1, i - 1));
    const int facility = pri / 8;
    const int severity = pri % 8;
    size_t n = 0;
    if (facility >= 10) facility_[n++] = static_cast<char>('0' + facility / 10);
    facility_[n++] = static_cast<char>('0' + facility % 10);
    out.put(kSyslogFacility, std::string_view(facility_, n));
    severity_[0] = static_cast<char>('0' + severity);
    out.put(kSyslogSeverity, std::string_view(severity_, 1));
    pos = i + 1;
    // RFC 5424: a version (1..999) and a space right after the PRI.
    size_t v = pos;
    while (v < line.size() && v - pos < 3 && is_digit(line[v])) ++v;
    if (v > pos && v < line.size() && line[v] == ' ' && line[pos] != '0') {
      out.put(kSyslogVersion, line.substr(pos, v - pos));
      return scan_rfc5424(line, v + 1, out, error);
    }
  }
  return scan_rfc3164(line, pos, out, error);
}

bool SyslogScanner::scan_rfc5424(std::string_view line, size_t pos, Captures& out,
                                 std::string& error) {
  // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, each a token ("-" for none).
  static constexpr struct {
    SyslogSlot slot;
    size_t max_length;  // RFC 5424 section 6
    const char* what;
  } kHeader[] = {{kSyslogTimestamp, 64, "timestamp"},
                 {kSyslogHostname, 255, "hostname"},
                 {kSyslogAppName, 48, "app-name"},
                 {kSyslogProcId, 128, "procid"},
                 {kSyslogMsgId, 32, "msgid"}};
  for (const auto& h : kHeader) {
    if (pos >= line.size() || line[pos] == ' ') {
      error = std::string("RFC 5424: missing ") + h.what;
      return false;
    }
    const std::string_view t = token(line, pos);
    if (t.size() > h.max_length) {
      error = std::string("RFC 5424: ") + h.what + " longer than " + std::to_string(h.max_length) +
              " bytes";
      return false;
    }
    out.put(h.slot, t);
    pos += t.size();
    if (pos >= line.size() || line[pos] != ' ') {
      error = std::string("RFC 5424: the header ends after the ") + h.what;
      return false;
    }
    ++pos;
  }
  const size_t sd_end = structured_data_end(line, pos);
  if (sd_end == std::string_view::npos || (sd_end < line.size() && line[sd_end] != ' ')) {
    error = "RFC 5424: malformed structured data (expected - or [id param=\"value\"...])";
    return false;
  }
  out.put(kSyslogStructuredData, line.substr(pos, sd_end - pos));
  if (sd_end + 1 < line.size()) {
    std::string_view msg = line.substr(sd_end + 1);
    if (msg.substr(0, 3) == "\xEF\xBB\xBF") msg.remove_prefix(3);  // the BOM of a UTF-8 MSG
    out.put(kSyslogMessage, trim_trailing_blanks(msg));
  }
  return true;
}

bool SyslogScanner::scan_rfc3164(std::string_view line, size_t pos, Captures& out,
                                 std::string& error) {
  // TIMESTAMP: "Mmm dd hh:mm:ss" (day space-padded), or RFC 3339 up to a space.
  size_t stamp_end;
  if (pos < line.size() && is_digit(line[pos])) {
    stamp_end = line.find(' ', pos);
    if (stamp_end == std::string_view::npos) {
      error = "RFC 3164: nothing after the timestamp";
      return false;
    }
  } else {
    if (pos + 15 > line.size() || month_from_name(line.substr(pos, 3)) == 0 ||
        line[pos + 3] != ' ') {
      error = "RFC 3164: expected a timestamp like 'Oct 11 22:14:15'";
      return false;
    }
    // "Oct 11 22:14:15", "Oct  1 22:14:15" or "Oct 1 22:14:15"
    stamp_end = line[pos + 5] == ' ' ? pos + 14 : pos + 15;
    if (line[pos + 4] == ' ') stamp_end = pos + 15;
    // An optional fraction after the seconds.
    if (stamp_end < line.size() && line[stamp_end] == '.') {
      while (stamp_end + 1 < line.size() && is_digit(line[stamp_end + 1])) ++stamp_end;
      ++stamp_end;
    }
  }
  if (stamp_end >= line.size() || line[stamp_end] != ' ') {
    error = "RFC 3164: expected a hostname after the timestamp";
    return false;
  }
  out.put(kSyslogTimestamp, line.substr(pos, stamp_end - pos));
  pos = stamp_end + 1;
  const std::string_view host = token(line, pos);
  if (host.empty()) {
    error = "RFC 3164: expected a hostname after the timestamp";
    return false;
  }
  out.put(kSyslogHostname, host);
  pos += host.size();
  while (pos < line.size() && line[pos] == ' ') ++pos;
  std::string_view rest = line.substr(pos);

  // TAG: up to the first ':' followed by a space or the end, near the start.
  constexpr size_t kMaxTag = 64;
  size_t colon = std::string_view::npos;
  for (size_t i = 0; i < rest.size() && i <= kMaxTag; ++i) {
    if (rest[i] == ':' && (i + 1 == rest.size() || rest[i + 1] == ' ')) {
      colon = i;
      break;
    }
  }
  if (colon != std::string_view::npos && colon > 0) {
    std::string_view tag = rest.substr(0, colon);
    if (tag.back() == ']') {
      const size_t open = tag.rfind('[');
      if (open != std::string_view::npos && open > 0) {
        out.put(kSyslogProcId, tag.substr(open + 1, tag.size() - open - 2));
        tag = tag.substr(0, open);
      }
    }
    out.put(kSyslogAppName, tag);
    rest = colon + 2 <= rest.size() ? rest.substr(colon + 2) : std::string_view();
  }
  out.put(kSyslogMessage, trim_trailing_blanks(rest));
  return true;
}

}  // namespace sluice::parse::text
