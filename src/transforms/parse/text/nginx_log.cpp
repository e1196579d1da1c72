#include "transforms/parse/text/nginx_log.h"

#include <stdexcept>

#include "transforms/parse/text/access_log.h"
#include "transforms/parse/utf8.h"

namespace sluice::parse::text {

namespace {

struct KnownVariable {
  std::string_view variable;
  std::string_view name;
  CaptureKind kind;
};

// nginx variables with a name shared with the access-log formats.
constexpr KnownVariable kKnown[] = {
    {"remote_addr", "client", CaptureKind::kPlain},
    {"remote_user", "user", CaptureKind::kPlain},
    {"time_local", "timestamp", CaptureKind::kClfTime},
    {"time_iso8601", "timestamp", CaptureKind::kIsoTime},
    {"msec", "timestamp", CaptureKind::kEpochTime},
    {"request", "request", CaptureKind::kEscaped},
    {"status", "status", CaptureKind::kPlain},
    {"body_bytes_sent", "bytes", CaptureKind::kPlain},
    {"http_referer", "referer", CaptureKind::kEscaped},
    {"http_user_agent", "user_agent", CaptureKind::kEscaped},
    {"http_x_forwarded_for", "forwarded_for", CaptureKind::kEscaped},
    {"request_time", "request_time", CaptureKind::kPlain},
    {"host", "vhost", CaptureKind::kPlain},
};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

uint8_t NginxScanner::slot_for(std::string_view variable) {
  for (size_t i = 0; i < captures_.size(); ++i) {
    if (captures_[i].alias == variable || captures_[i].name == variable)
      return static_cast<uint8_t>(i);
  }
  if (captures_.size() + 4 >= kMaxCaptures) {
    throw std::invalid_argument("log_format: too many variables (at most " +
                                std::to_string(kMaxCaptures - 4) + ")");
  }
  const std::string& stored = names_.emplace_back(variable);
  CaptureSpec spec{stored, CaptureKind::kEscaped, stored};
  for (const KnownVariable& k : kKnown) {
    if (k.variable == variable) spec = CaptureSpec{k.name, k.kind, stored};
  }
  for (const CaptureSpec& c : captures_) {
    if (c.name == spec.name) {
      throw std::invalid_argument("log_format: $" + std::string(variable) + " and $" +
                                  std::string(c.alias) + " both fill '" + std::string(c.name) +
                                  "'");
    }
  }
  captures_.push_back(spec);
  return static_cast<uint8_t>(captures_.size() - 1);
}

NginxScanner::NginxScanner(std::string_view format) {
  if (format.empty()) throw std::invalid_argument("log_format is empty");
  std::string literal;
  bool pending_variable = false;
  size_t i = 0;
  while (i < format.size()) {
    if (format[i] != '$') {
      literal += format[i++];
      continue;
    }
    // $name or ${name}
    std::string_view name;
    if (i + 1 < format.size() && format[i + 1] == '{') {
      const size_t close = format.find('}', i + 2);
      if (close == std::string_view::npos) {
        throw std::invalid_argument("log_format: unterminated ${ at position " + std::to_string(i));
      }
      name = format.substr(i + 2, close - i - 2);
      i = close + 1;
    } else {
      size_t end = i + 1;
      while (end < format.size() && is_name_char(format[end])) ++end;
      name = format.substr(i + 1, end - i - 1);
      i = end;
    }
    if (name.empty()) {
      throw std::invalid_argument("log_format: '$' without a variable name");
    }
    for (char c : name) {
      if (!is_name_char(c)) {
        throw std::invalid_argument("log_format: bad variable name '" + std::string(name) + "'");
      }
    }
    if (pending_variable) {
      if (literal.empty()) {
        throw std::invalid_argument("log_format: $" + std::string(steps_.back().variable) +
                                    " and $" + std::string(name) +
                                    " have no text between them, so their values cannot be told "
                                    "apart");
      }
      steps_.back().after = literal;
    } else {
      leading_ = literal;
    }
    literal.clear();
    Step step;
    step.slot = slot_for(name);
    step.variable = captures_[step.slot].alias;
    step.min_length = captures_[step.slot].kind == CaptureKind::kClfTime ? 26 : 0;
    steps_.push_back(step);
    pending_variable = true;
    if (captures_[step.slot].name == "request" && request_slot_ < 0) {
      request_slot_ = step.slot;
    }
  }
  if (steps_.empty()) throw std::invalid_argument("log_format has no $variables");
  steps_.back().after = literal;
  if (request_slot_ >= 0) {
    // The request line's parts, as for the access-log formats.
    for (auto [name, slot] : {std::pair{"method", &method_slot_},
                              {"path", &path_slot_},
                              {"query", &query_slot_},
                              {"protocol", &protocol_slot_}}) {
      const std::string& stored = names_.emplace_back(name);
      captures_.push_back(
          CaptureSpec{stored,
                      std::string_view(name) == "method" || std::string_view(name) == "protocol"
                          ? CaptureKind::kPlain
                          : CaptureKind::kEscaped,
                      {}});
      *slot = static_cast<uint8_t>(captures_.size() - 1);
    }
  }
}

bool NginxScanner::scan(std::string_view line, Captures& out, std::string& error) const {
  if (line.substr(0, leading_.size()) != leading_) {
    error = "expected \"" + leading_ + "\" at the start of the line";
    return false;
  }
  size_t pos = leading_.size();
  for (size_t k = 0; k < steps_.size(); ++k) {
    const Step& step = steps_[k];
    size_t end;
    if (step.after.empty()) {
      end = line.size();
    } else {
      end = line.find(step.after, std::min(pos + step.min_length, line.size()));
      if (end == std::string_view::npos && step.min_length > 0) end = line.find(step.after, pos);
      if (end == std::string_view::npos) {
        error = "expected \"" + truncate_utf8(step.after, 20) + "\" after $" +
                std::string(step.variable);
        return false;
      }
    }
    const std::string_view value = line.substr(pos, end - pos);
    out.put(step.slot, value);
    if (step.slot == request_slot_) {
      split_request_line(value, out, method_slot_, path_slot_, query_slot_, protocol_slot_);
    }
    pos = end + step.after.size();
  }
  if (pos != line.size()) {
    error = "unexpected text after the last field of the log_format";
    return false;
  }
  return true;
}

}  // namespace sluice::parse::text
