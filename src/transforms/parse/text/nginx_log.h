// nginx access logs in a user-supplied log_format, compiled once into a
// scanner. The format is nginx.conf syntax: variables `$name` or `${name}`,
// everything else literal text, e.g. the default `combined`:
//   $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
//   "$http_referer" "$http_user_agent"
// A variable's value runs up to the first occurrence of the literal text that
// follows it (nginx escapes '"' and '\' inside values as \x22 and \x5C, so a
// quoted value cannot hold its closing quote), or to the end of the line for
// a final variable. Two variables with no text between them cannot be told
// apart and are refused.
//
// Well-known variables take the names the access-log formats use, so one
// schema fits both (the variable's own name binds too):
//   $remote_addr client   $remote_user user   $time_local timestamp (CLF)
//   $time_iso8601 timestamp (RFC 3339)   $msec timestamp (epoch seconds)
//   $request request, split into method, path, query, protocol
//   $status status   $body_bytes_sent bytes   $http_referer referer
//   $http_user_agent user_agent   $http_x_forwarded_for forwarded_for
//   $request_time request_time   $host vhost
// Any other variable binds by its own name ($upstream_response_time ->
// upstream_response_time), its text decoded like a quoted value.
//
// Threading: an NginxScanner is immutable after construction.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "transforms/parse/text/captures.h"

namespace sluice::parse::text {

class NginxScanner {
 public:
  // Throws std::invalid_argument for an empty format, a format without
  // variables, adjacent variables or too many variables.
  explicit NginxScanner(std::string_view log_format);

  std::span<const CaptureSpec> captures() const { return captures_; }

  bool scan(std::string_view line, Captures& out, std::string& error) const;

 private:
  struct Step {
    uint8_t slot = 0;
    std::string_view variable;  // for messages
    size_t min_length = 0;      // the value's shortest form (a CLF time has a space inside)
    std::string after;          // literal text that follows; empty: to the end of the line
  };
  uint8_t slot_for(std::string_view variable);

  std::string leading_;  // literal text before the first variable
  std::vector<Step> steps_;
  std::vector<CaptureSpec> captures_;
  std::deque<std::string> names_;  // storage of the names captures_ points to
  int request_slot_ = -1;
  uint8_t method_slot_ = 0, path_slot_ = 0, query_slot_ = 0, protocol_slot_ = 0;
};

}  // namespace sluice::parse::text
