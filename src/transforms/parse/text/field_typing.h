// The one function that turns a text capture into a typed schema value, for
// every text format: the field's type says what to produce, the capture's
// kind says how its text is written (escapes, which timestamp layout).
// Checks (range, regex, enum, max_length) are the RecordBuilder's, shared
// with JSON.
//
// Threading: a TypingContext belongs to one parser.
#pragma once

#include <string>
#include <string_view>

#include "transforms/parse/schema_plan.h"
#include "transforms/parse/text/captures.h"
#include "transforms/parse/text/log_time.h"

namespace sluice::parse::text {

// Decoded strings of the current record. Sized for the record before its
// captures are typed, so views into it stay valid until the record is emitted.
class DecodeBuffer {
 public:
  // Makes room for `bytes` decoded bytes and forgets the previous record's.
  void reset(size_t bytes) {
    if (storage_.size() < bytes) storage_.resize(bytes);
    used_ = 0;
  }
  // `n` bytes of room; the caller writes at most n and then calls commit().
  char* room() { return storage_.data() + used_; }
  std::string_view commit(size_t n) {
    std::string_view v(storage_.data() + used_, n);
    used_ += n;
    return v;
  }

 private:
  std::string storage_;
  size_t used_ = 0;
};

struct TypingContext {
  TimeContext time;                         // year inference, default zone
  const TimeFormat* time_format = nullptr;  // for kPlain/kEscaped timestamps (regex format)
  DecodeBuffer decoded;
};

// Reads `text` (a capture of `kind`, not "-") into `out` as node `n`'s type
// and checks the field's constraints. False: rb.reject names the field, the
// rule ("type", "range", "regex", "enum", "max_length") and the value.
bool type_capture(const Node& n, CaptureKind kind, std::string_view text, TypingContext& ctx,
                  RecordBuilder& rb, Value& out);

// Syslog facility and severity names (RFC 5424 table 1 and 2 keywords).
std::string_view facility_name(int facility);
std::string_view severity_name(int severity);

}  // namespace sluice::parse::text
