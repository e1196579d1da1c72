// Synthetic web server access-log lines for `sluice generate access-log` and
// `source.generate.family: access-log`: the combined format (Apache's
// LogFormat "combined", nginx's default) plus the request time in seconds,
// as many servers append it:
//   203.0.113.7 - - [01/Jan/2025:01:00:00 +0100] "GET /product/playstation5 HTTP/1.1" 200 48213
//     "https://shop.example.com/search?q=console" "Mozilla/5.0 (...) Chrome/131.0" 0.043
// Mix: methods (GET, HEAD; POST/PUT/DELETE/OPTIONS on the API and cart), statuses
// (200 ~78%, 304, 301/302, 404 ~7%, 401/403, 5xx ~2.5%), a few thousand
// clients with heavy hitters, ~8% IPv6, ~12% bots and crawlers (some probing
// /wp-login.php or /.env, some sending an empty request, "-" or the bytes of
// a TLS handshake), rare multi-GB downloads (byte counts beyond 2^31). Times
// are written in the server's zone, +0100. Malformed lines (--malformed) are
// cut in the user agent, lose their timestamp, carry a non-numeric status,
// invalid UTF-8, or are not access-log lines at all.
//
// Threading: pure function of its arguments.
#pragma once

#include <cstdint>
#include <string>

#include "sources/generate/generator.h"

namespace sluice::generate {

// Appends the line of event `index` (no newline) drawn from `content_seed`,
// stamped `ts_ms` (UTC milliseconds).
void access_log_line(uint64_t content_seed, int64_t ts_ms, Corruption corruption, std::string& out);

}  // namespace sluice::generate
