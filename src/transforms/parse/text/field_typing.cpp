#include "transforms/parse/text/field_typing.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "core/time.h"
#include "transforms/parse/text/escapes.h"
#include "transforms/parse/utf8.h"

namespace sluice::parse::text {

namespace {

const char* time_layout(CaptureKind kind, const TimeFormat* format) {
  switch (kind) {
    case CaptureKind::kClfTime:
      return "a timestamp like 10/Oct/2000:13:55:36 -0700";
    case CaptureKind::kIsoTime:
      return "an RFC 3339 timestamp";
    case CaptureKind::kSyslogTime:
      return "a syslog timestamp (Mmm dd hh:mm:ss or RFC 3339)";
    case CaptureKind::kEpochTime:
      return "seconds since the epoch";
    case CaptureKind::kPlain:
    case CaptureKind::kEscaped:
    case CaptureKind::kFacility:
    case CaptureKind::kSeverity:
      break;
  }
  return format ? "a timestamp in the configured time_format"
                : "an ISO-8601 timestamp or an epoch number";
}

bool read_timestamp(const Node& n, CaptureKind kind, std::string_view text,
                    const TypingContext& ctx, int64_t& micros) {
  switch (kind) {
    case CaptureKind::kClfTime:
      return parse_clf_time(text, micros);
    case CaptureKind::kIsoTime:
      if (auto ts = parse_iso8601(text)) {
        micros = *ts;
        return true;
      }
      return false;
    case CaptureKind::kSyslogTime:
      if (!text.empty() && text[0] >= '0' && text[0] <= '9') {
        if (auto ts = parse_iso8601(text)) {
          micros = *ts;
          return true;
        }
        return false;
      }
      return parse_bsd_time(text, ctx.time, micros);
    case CaptureKind::kEpochTime:
      return parse_epoch_seconds(text, micros);
    case CaptureKind::kPlain:
    case CaptureKind::kEscaped:
    case CaptureKind::kFacility:
    case CaptureKind::kSeverity:
      break;
  }
  if (ctx.time_format) return ctx.time_format->parse(text, ctx.time, micros);
  if (auto ts = parse_iso8601(text)) {
    micros = *ts;
    return true;
  }
  int64_t number = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), number);
  return r.ec == std::errc() && r.ptr == text.data() + text.size() &&
         epoch_int_to_micros(number, n.field->epoch_unit, micros);
}

// An escaped capture, decoded when that leaves valid UTF-8 (a \xNN run that
// decodes to stray bytes, such as a TLS handshake sent to a plain-text port,
// is kept as written).
std::string_view decoded_text(std::string_view text, TypingContext& ctx) {
  if (!has_escapes(text)) return text;
  char* room = ctx.decoded.room();
  const size_t n = decode_escapes(text, room);
  const std::string_view decoded(room, n);
  if (!is_valid_utf8(decoded)) return text;
  return ctx.decoded.commit(n);
}

}  // namespace

std::string_view facility_name(int facility) {
  static constexpr std::string_view kNames[] = {
      "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
      "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
      "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7"};
  if (facility < 0 || facility >= 24) return {};
  return kNames[facility];
}

std::string_view severity_name(int severity) {
  static constexpr std::string_view kNames[] = {"emerg",   "alert",  "crit", "err",
                                                "warning", "notice", "info", "debug"};
  if (severity < 0 || severity >= 8) return {};
  return kNames[severity];
}

bool type_capture(const Node& n, CaptureKind kind, std::string_view text, TypingContext& ctx,
                  RecordBuilder& rb, Value& out) {
  const Field& f = *n.field;
  switch (f.type) {
    case FieldType::kString:
    case FieldType::kEnum: {
      std::string_view s = text;
      if (kind == CaptureKind::kEscaped) {
        s = decoded_text(text, ctx);
      } else if (kind == CaptureKind::kFacility || kind == CaptureKind::kSeverity) {
        int code = 0;
        std::from_chars(text.data(), text.data() + text.size(), code);
        s = kind == CaptureKind::kFacility ? facility_name(code) : severity_name(code);
      }
      if (!rb.check_string(n, false, s)) return false;
      out.s = s;
      break;
    }
    case FieldType::kInt32:
    case FieldType::kInt64: {
      int64_t x = 0;
      auto r = std::from_chars(text.data(), text.data() + text.size(), x);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size()) {
        return rb.fail_field(n, false, "type",
                             fmt::format("expected an integer, got {}",
                                         r.ec == std::errc::result_out_of_range
                                             ? quoted_excerpt(text) + " (beyond int64)"
                                             : quoted_excerpt(text)));
      }
      if (f.type == FieldType::kInt32 &&
          (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max())) {
        return rb.fail_field(n, false, "type", fmt::format("{} is out of int32 range", x));
      }
      if ((f.constraints.min || f.constraints.max) &&
          !rb.check_range(n, false, static_cast<double>(x), [x] { return std::to_string(x); }))
        return false;
      out.i = x;
      break;
    }
    case FieldType::kDouble: {
      double x = 0;
      auto r = std::from_chars(text.data(), text.data() + text.size(), x);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size() || !std::isfinite(x)) {
        return rb.fail_field(n, false, "type",
                             fmt::format("expected a number, got {}", quoted_excerpt(text)));
      }
      if ((f.constraints.min || f.constraints.max) &&
          !rb.check_range(n, false, x, [x] { return fmt::format("{}", x); }))
        return false;
      out.d = x;
      break;
    }
    case FieldType::kBool:
      if (text == "true" || text == "1") {
        out.i = 1;
      } else if (text == "false" || text == "0") {
        out.i = 0;
      } else {
        return rb.fail_field(n, false, "type",
                             fmt::format("expected true or false, got {}", quoted_excerpt(text)));
      }
      break;
    case FieldType::kTimestamp: {
      int64_t micros = 0;
      if (!read_timestamp(n, kind, text, ctx, micros)) {
        return rb.fail_field(n, false, "type",
                             fmt::format("expected {}, got {}", time_layout(kind, ctx.time_format),
                                         quoted_excerpt(text)));
      }
      out.i = micros;
      break;
    }
    case FieldType::kStruct:
    case FieldType::kList:
      return rb.fail_record("format", "internal: a text capture bound to a nested field");
  }
  out.state = State::kSet;
  return true;
}

}  // namespace sluice::parse::text
