// Apache access logs, read by a hand-written scanner (no regex on the hot
// path): the common log format
//   %h %l %u %t "%r" %>s %b
//   127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326
// and the combined format (also nginx's default `combined`), which adds
//   "%{Referer}i" "%{User-agent}i"
// plus what real servers put around them:
//   - a virtual host before the client (vhost_combined without the port):
//       www.example.com 192.168.0.1 - - [...] ...
//   - an X-Forwarded-For list, quoted or bare, before the client, or in the
//     client's place:   "10.5.1.1, 199.96.1.1" 10.2.1.185 - - [...]
//                       10.0.0.2, 10.0.0.1, 127.0.0.1 - - [...]
//   - after the combined fields, a quoted X-Forwarded-For ("-" when absent,
//     nginx's "$http_x_forwarded_for") and/or a request time in seconds.
// The combined format also takes common-format lines (no referer and user
// agent: both missing), as servers mixing LogFormats write them.
//
// Threading: an AccessLogScanner is immutable; scan() may run on several
// threads with different Captures.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "transforms/parse/text/captures.h"

namespace sluice::parse::text {

// Capture slots of the access-log formats.
enum AccessLogSlot : uint8_t {
  kVhost,
  kForwardedFor,
  kClient,
  kIdent,
  kUser,
  kTimestamp,
  kRequest,
  kMethod,
  kPath,
  kQuery,
  kProtocol,
  kStatus,
  kBytes,
  kReferer,
  kUserAgent,
  kRequestTime,
  kAccessLogSlots
};

// The captures, by slot: name, how the text is written, alias.
inline constexpr CaptureSpec kAccessLogCaptures[kAccessLogSlots] = {
    {"vhost", CaptureKind::kPlain, {}},            // virtual host, when the line starts with one
    {"forwarded_for", CaptureKind::kEscaped, {}},  // X-Forwarded-For list, as written
    {"client", CaptureKind::kPlain, {}},           // %h: client IPv4/IPv6 address or host name;
                                                   // a list in its place: the list's first entry
    {"ident", CaptureKind::kPlain, {}},            // %l: identd user, almost always "-"
    {"user", CaptureKind::kPlain, {}},             // %u: authenticated user
    {"timestamp", CaptureKind::kClfTime, {}},      // %t without the brackets
    {"request", CaptureKind::kEscaped, {}},        // %r: the request line as written
    {"method", CaptureKind::kPlain, {}},           // request line split: GET
    {"path", CaptureKind::kEscaped, {}},           //   /index.html (still %-encoded)
    {"query", CaptureKind::kEscaped, {}},          //   a=1&b=2 (after '?'; missing without '?')
    {"protocol", CaptureKind::kPlain, {}},         //   HTTP/1.1 (missing for HTTP/0.9 lines)
    {"status", CaptureKind::kPlain, {}},           // %>s
    {"bytes", CaptureKind::kPlain, {}},            // %b: body bytes, "-" for none
    {"referer", CaptureKind::kEscaped, {}},        // combined: %{Referer}i
    {"user_agent", CaptureKind::kEscaped, {}},     // combined: %{User-agent}i
    {"request_time", CaptureKind::kPlain, {}},     // trailing request time (seconds), if any
};

// Splits a request line ("GET /a?b=1 HTTP/1.1") into method, path, query and
// protocol slots of `out`. A line that does not start with an upper-case
// method and a space (an empty request, "-", bytes of a TLS handshake sent
// to a plain-text port) is not split: only the request itself is kept.
void split_request_line(std::string_view request, Captures& out, size_t method_slot,
                        size_t path_slot, size_t query_slot, size_t protocol_slot);

// Position of the '"' closing a quoted field whose text starts at `from`
// (backslash escapes skipped), or npos.
size_t closing_quote(std::string_view line, size_t from);

class AccessLogScanner {
 public:
  explicit AccessLogScanner(bool combined) : combined_(combined) {}

  static std::span<const CaptureSpec> captures() { return kAccessLogCaptures; }

  // Fills `out` from `line`. False: `error` says what did not match.
  bool scan(std::string_view line, Captures& out, std::string& error) const;

 private:
  bool scan_head(std::string_view head, Captures& out, std::string& error) const;
  bool scan_tail(std::string_view line, size_t pos, Captures& out, std::string& error) const;

  bool combined_;
};

}  // namespace sluice::parse::text
