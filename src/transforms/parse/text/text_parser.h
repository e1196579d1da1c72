// Text log lines -> typed rows: one scanner per format (access_log.h,
// nginx_log.h, syslog.h, regex_log.h) finds the captures of a line, schema
// fields bound to captures by name are typed by type_capture()
// (field_typing.h), and the shared RecordBuilder checks, resolves and emits
// them. The format is chosen once per batch; the record loop is a template
// over the scanner, so no call per line goes through an interface.
//
// Per line: a trailing '\r' is dropped; a line over limits.max_record_bytes
// is rejected ("record_size"), so is invalid UTF-8 ("utf8"), a blank line
// ("format"), and a line the scanner does not match ("format", with what was
// expected where). Captures equal to "-" leave their field missing.
//
// Threading: a TextParser is used by one thread at a time.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "transforms/parse/schema_plan.h"
#include "transforms/parse/text/access_log.h"
#include "transforms/parse/text/field_typing.h"
#include "transforms/parse/text/nginx_log.h"
#include "transforms/parse/text/regex_log.h"
#include "transforms/parse/text/syslog.h"

namespace sluice::parse::text {

class TextParser {
 public:
  // Throws std::invalid_argument when the schema cannot be filled from the
  // format: a struct or list field, a field no capture of the format fills
  // (the message lists the captures), a bad log_format, pattern or
  // time_format.
  TextParser(const Plan& plan, InputFormat format, const TextFormatConfig& config,
             const LimitsConfig& limits);

  void process(const RawBatch& in, RecordBuilder& rb, RecordBatch& out,
               std::vector<Reject>& rejects, ParseStats& stats, int64_t ingest_time,
               std::vector<uint32_t>* row_records);

  // The captures of the configured format (for documentation and tests).
  std::span<const CaptureSpec> captures() const;

 private:
  struct Binding {
    const Node* node = nullptr;
    uint8_t slot = 0;
    CaptureKind kind = CaptureKind::kPlain;
  };

  template <typename Scanner>
  void run(Scanner& scanner, const RawBatch& in, RecordBuilder& rb, RecordBatch& out,
           std::vector<Reject>& rejects, ParseStats& stats, int64_t ingest_time,
           std::vector<uint32_t>* row_records);
  template <typename Scanner>
  bool parse_line(Scanner& scanner, std::string_view line, RecordBuilder& rb);

  const Plan& plan_;
  InputFormat format_;
  LimitsConfig limits_;
  std::optional<AccessLogScanner> access_;
  std::optional<NginxScanner> nginx_;
  std::optional<SyslogScanner> syslog_;
  std::optional<RegexScanner> regex_;
  std::unique_ptr<TimeFormat> time_format_;
  std::vector<Binding> bindings_;
  Captures captures_;
  TypingContext typing_;
  std::string error_;
};

}  // namespace sluice::parse::text
