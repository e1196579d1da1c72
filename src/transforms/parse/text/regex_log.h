// Custom line formats: one RE2 pattern whose named groups are the captures
// (`(?P<status>\d{3})` fills the schema field `status`). The whole line must
// match. A group that did not take part in the match, or matched "-", leaves
// its field missing. Timestamps are read with `source.text.time_format`
// (log_time.h), or as ISO-8601 / epoch numbers without one.
//
// Threading: a RegexScanner is immutable after construction (RE2 is
// thread-safe); scan() keeps its submatch array in the scanner, so one
// scanner serves one thread.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "transforms/parse/text/captures.h"

namespace sluice::parse::text {

class RegexScanner {
 public:
  // Throws std::invalid_argument when the pattern does not compile, has no
  // named group, or more than kMaxCaptures groups.
  explicit RegexScanner(const std::string& pattern);

  std::span<const CaptureSpec> captures() const { return captures_; }

  bool scan(std::string_view line, Captures& out, std::string& error);

 private:
  std::unique_ptr<RE2> re_;
  std::vector<std::string> names_;
  std::vector<CaptureSpec> captures_;
  std::vector<int> group_of_slot_;        // RE2 group index per capture slot
  std::vector<re2::StringPiece> groups_;  // the last match's groups
};

}  // namespace sluice::parse::text
