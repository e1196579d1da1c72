// The access-log scanner reads a line left to right with memchr-style
// searches; only the part before the timestamp (client, ident, user and the
// optional vhost / X-Forwarded-For fields) is read backwards from the '['.
#include "transforms/parse/text/access_log.h"

#include <cstring>

#include "transforms/parse/utf8.h"

namespace sluice::parse::text {

namespace {

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// "-" or digits.
bool is_count(std::string_view s) {
  if (s == "-") return true;
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// "-" or a decimal number such as 0.005.
bool is_seconds(std::string_view s) {
  if (s == "-") return true;
  bool digit = false;
  bool dot = false;
  for (char c : s) {
    if (is_digit(c)) {
      digit = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digit;
}

// A protocol token: upper-case letters, '/', digits and dots (HTTP/1.1, HTTP/2.0).
bool is_protocol(std::string_view s) {
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == s.size()) return false;
  for (size_t i = 0; i < slash; ++i) {
    if (!is_upper(s[i])) return false;
  }
  for (size_t i = slash + 1; i < s.size(); ++i) {
    if (!is_digit(s[i]) && s[i] != '.') return false;
  }
  return true;
}

std::string excerpt(std::string_view s) {
  return "\"" + truncate_utf8(s, 40) + "\"";
}

}  // namespace

size_t closing_quote(std::string_view line, size_t from) {
  size_t i = from;
  while (i < line.size()) {
    const void* q = std::memchr(line.data() + i, '"', line.size() - i);
    if (q == nullptr) return std::string_view::npos;
    const size_t at = static_cast<size_t>(static_cast<const char*>(q) - line.data());
    size_t backslashes = 0;
    while (at - backslashes > from && line[at - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return at;
    i = at + 1;
  }
  return std::string_view::npos;
}

void split_request_line(std::string_view request, Captures& out, size_t method_slot,
                        size_t path_slot, size_t query_slot, size_t protocol_slot) {
  size_t m = 0;
  while (m < request.size() && (is_upper(request[m]) || request[m] == '_' || request[m] == '-'))
    ++m;
  if (m == 0 || m >= request.size() || request[m] != ' ') return;
  out.put(method_slot, request.substr(0, m));
  std::string_view rest = request.substr(m + 1);
  // The protocol is the last token, when it looks like one; a target with
  // spaces in it (some bots send them) stays whole.
  const size_t last_space = rest.rfind(' ');
  if (last_space != std::string_view::npos && is_protocol(rest.substr(last_space + 1))) {
    out.put(protocol_slot, rest.substr(last_space + 1));
    rest = rest.substr(0, last_space);
  }
  const size_t q = rest.find('?');
  if (q != std::string_view::npos) {
    out.put(query_slot, rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  out.put(path_slot, rest);
}

// Before the timestamp: [vhost] [forwarded list] client ident user.
bool AccessLogScanner::scan_head(std::string_view head, Captures& out, std::string& error) const {
  size_t sp = head.rfind(' ');
  if (sp == std::string_view::npos) {
    error = "expected 'client ident user' before the [timestamp]";
    return false;
  }
  out.put(kUser, head.substr(sp + 1));
  head = head.substr(0, sp);
  sp = head.rfind(' ');
  if (sp == std::string_view::npos) {
    error = "expected 'client ident user' before the [timestamp]";
    return false;
  }
  out.put(kIdent, head.substr(sp + 1));
  head = head.substr(0, sp);
  while (!head.empty() && head.back() == ' ') head.remove_suffix(1);
  if (head.empty()) {
    error = "no client address before ident and user";
    return false;
  }

  // Items: a quoted text, or tokens joined by ", " (a list), separated by spaces.
  struct Item {
    std::string_view text;
    bool quoted = false;
    bool list = false;
  };
  Item items[4];
  size_t count = 0;
  size_t pos = 0;
  while (pos < head.size()) {
    if (count == 4) {
      error = "too many fields before ident and user: expected [vhost] [forwarded list] client";
      return false;
    }
    Item& item = items[count++];
    if (head[pos] == '"') {
      const size_t close = closing_quote(head, pos + 1);
      if (close == std::string_view::npos) {
        error = "unterminated quoted field before the client address";
        return false;
      }
      item.text = head.substr(pos + 1, close - pos - 1);
      item.quoted = true;
      pos = close + 1;
    } else {
      const size_t start = pos;
      size_t end;
      for (;;) {
        end = head.find(' ', pos);
        if (end == std::string_view::npos) end = head.size();
        if (end < head.size() && end > start && head[end - 1] == ',') {
          item.list = true;
          pos = end + 1;
          while (pos < head.size() && head[pos] == ' ') ++pos;
          continue;
        }
        break;
      }
      item.text = head.substr(start, end - start);
      item.list = item.list || item.text.find(',') != std::string_view::npos;
      pos = end;
    }
    while (pos < head.size() && head[pos] == ' ') ++pos;
  }
  const Item& client = items[count - 1];
  if (client.quoted || client.list) {
    // A list in the client's place: the first entry is the originating client.
    out.put(kForwardedFor, client.text);
    std::string_view first = client.text.substr(0, client.text.find(','));
    while (!first.empty() && first.back() == ' ') first.remove_suffix(1);
    while (!first.empty() && first.front() == ' ') first.remove_prefix(1);
    out.put(kClient, first);
  } else {
    out.put(kClient, client.text);
  }
  for (size_t k = 0; k + 1 < count; ++k) {
    const Item& extra = items[k];
    if (extra.quoted || extra.list) {
      if (out.has(kForwardedFor)) {
        error = "two forwarded-for lists before the client address";
        return false;
      }
      out.put(kForwardedFor, extra.text);
    } else if (k == 0 && !out.has(kVhost)) {
      out.put(kVhost, extra.text);
    } else {
      error = "unexpected field " + excerpt(extra.text) +
              " before the client address (expected [vhost] [forwarded list] client)";
      return false;
    }
  }
  return true;
}

// After the byte count: combined's referer and user agent, then extras.
bool AccessLogScanner::scan_tail(std::string_view line, size_t pos, Captures& out,
                                 std::string& error) const {
  auto quoted = [&](size_t slot, const char* what) {
    // line[pos] == ' ' and line[pos + 1] == '"'
    const size_t close = closing_quote(line, pos + 2);
    if (close == std::string_view::npos) {
      error = std::string("unterminated quoted ") + what + " (no closing '\"')";
      return false;
    }
    out.put(slot, line.substr(pos + 2, close - pos - 2));
    pos = close + 1;
    return true;
  };
  auto at_quote = [&] { return pos + 1 < line.size() && line[pos] == ' ' && line[pos + 1] == '"'; };

  if (pos == line.size()) return true;  // common format (or combined without referer/agent)
  if (combined_) {
    if (!at_quote()) {
      error = "expected a quoted referer after the byte count";
      return false;
    }
    if (!quoted(kReferer, "referer")) return false;
    if (!at_quote()) {
      error = "expected a quoted user agent after the referer";
      return false;
    }
    if (!quoted(kUserAgent, "user agent")) return false;
  } else if (at_quote()) {
    error = "quoted fields after the byte count: a combined-format line?";
    return false;
  }
  // Extras: one quoted X-Forwarded-For and one request time, in either order.
  bool seen_time = false;
  while (pos < line.size()) {
    if (at_quote()) {
      if (out.has(kForwardedFor)) {
        error = "unexpected extra quoted field at the end of the line";
        return false;
      }
      if (!quoted(kForwardedFor, "forwarded-for field")) return false;
      continue;
    }
    if (line[pos] != ' ' || pos + 1 == line.size()) {
      error = "unexpected text at the end of the line";
      return false;
    }
    const size_t start = pos + 1;
    size_t end = line.find(' ', start);
    if (end == std::string_view::npos) end = line.size();
    const std::string_view token = line.substr(start, end - start);
    if (seen_time || !is_seconds(token)) {
      error = "unexpected field " + excerpt(token) + " at the end of the line";
      return false;
    }
    out.put(kRequestTime, token);
    seen_time = true;
    pos = end;
  }
  return true;
}

bool AccessLogScanner::scan(std::string_view line, Captures& out, std::string& error) const {
  // The timestamp: the first " [" of the line.
  const size_t open = line.find(" [");
  if (open == std::string_view::npos) {
    error = "no [timestamp] found";
    return false;
  }
  if (!scan_head(line.substr(0, open), out, error)) return false;
  const size_t close = line.find(']', open + 2);
  if (close == std::string_view::npos) {
    error = "unterminated [timestamp]";
    return false;
  }
  out.put(kTimestamp, line.substr(open + 2, close - open - 2));

  size_t pos = close + 1;
  if (pos + 1 >= line.size() || line[pos] != ' ' || line[pos + 1] != '"') {
    error = "expected a quoted request after the [timestamp]";
    return false;
  }
  const size_t request_end = closing_quote(line, pos + 2);
  if (request_end == std::string_view::npos) {
    error = "unterminated quoted request (no closing '\"')";
    return false;
  }
  const std::string_view request = line.substr(pos + 2, request_end - pos - 2);
  out.put(kRequest, request);
  split_request_line(request, out, kMethod, kPath, kQuery, kProtocol);

  // " status bytes"
  pos = request_end + 1;
  std::string_view fields[2];
  for (auto& field : fields) {
    if (pos >= line.size() || line[pos] != ' ') {
      error = &field == &fields[0] ? "expected a status after the request"
                                   : "expected a byte count after the status";
      return false;
    }
    size_t end = line.find(' ', pos + 1);
    if (end == std::string_view::npos) end = line.size();
    field = line.substr(pos + 1, end - pos - 1);
    pos = end;
  }
  if (!is_count(fields[0])) {
    error = "expected a numeric status after the request, got " + excerpt(fields[0]);
    return false;
  }
  if (!is_count(fields[1])) {
    error = "expected a byte count after the status, got " + excerpt(fields[1]);
    return false;
  }
  out.put(kStatus, fields[0]);
  out.put(kBytes, fields[1]);
  return scan_tail(line, pos, out, error);
}

}  // namespace sluice::parse::text
