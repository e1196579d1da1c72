#include "transforms/parse/text/text_parser.h"

#include <fmt/format.h>

#include <stdexcept>

#include "transforms/parse/utf8.h"

namespace sluice::parse::text {

TextParser::TextParser(const Plan& plan, InputFormat format, const TextFormatConfig& config,
                       const LimitsConfig& limits)
    : plan_(plan), format_(format), limits_(limits) {
  const char* name = input_format_name(format);
  switch (format) {
    case InputFormat::kApacheCommon:
      access_.emplace(false);
      break;
    case InputFormat::kApacheCombined:
      access_.emplace(true);
      break;
    case InputFormat::kNginx:
      if (config.log_format.empty()) {
        throw std::invalid_argument("format nginx needs source.text.log_format");
      }
      nginx_.emplace(config.log_format);
      break;
    case InputFormat::kSyslog:
      syslog_.emplace();
      break;
    case InputFormat::kRegex:
      if (config.pattern.empty()) {
        throw std::invalid_argument("format regex needs source.text.pattern");
      }
      regex_.emplace(config.pattern);
      break;
    case InputFormat::kJson:
      throw std::invalid_argument("TextParser: json is not a text format");
  }
  if (!config.time_format.empty()) {
    time_format_ = std::make_unique<TimeFormat>(config.time_format);
    typing_.time_format = time_format_.get();
  }
  typing_.time.year = config.year;
  typing_.time.utc_offset_minutes = config.utc_offset_minutes;

  if (plan_.list_field) {
    throw std::invalid_argument(
        fmt::format("format {}: a text line has no lists to flatten (field '{}')", name,
                    plan_.list_field->name));
  }
  const std::span<const CaptureSpec> specs = captures();
  for (const Node& n : plan_.top_nodes) {
    if (n.object_plan >= 0) {
      throw std::invalid_argument(fmt::format(
          "format {}: field '{}' is a struct; text formats fill flat fields only", name, n.path));
    }
    int found = -1;
    for (size_t slot = 0; slot < specs.size(); ++slot) {
      if (specs[slot].name == n.field->name ||
          (!specs[slot].alias.empty() && specs[slot].alias == n.field->name)) {
        found = static_cast<int>(slot);
        break;
      }
    }
    if (found < 0) {
      std::vector<std::string_view> names;
      for (const CaptureSpec& c : specs) names.push_back(c.name);
      throw std::invalid_argument(
          fmt::format("format {}: no capture fills field '{}' (the format has: {})", name, n.path,
                      fmt::join(names, ", ")));
    }
    bindings_.push_back(
        Binding{&n, static_cast<uint8_t>(found), specs[static_cast<size_t>(found)].kind});
  }
}

std::span<const CaptureSpec> TextParser::captures() const {
  if (access_) return access_->captures();
  if (nginx_) return nginx_->captures();
  if (syslog_) return syslog_->captures();
  return regex_->captures();
}

template <typename Scanner>
bool TextParser::parse_line(Scanner& scanner, std::string_view line, RecordBuilder& rb) {
  rb.start();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > limits_.max_record_bytes) {
    return rb.fail_record("record_size", fmt::format("line is {} bytes, the limit is {}",
                                                     line.size(), limits_.max_record_bytes));
  }
  if (line.find_first_not_of(" \t") == std::string_view::npos) {
    return rb.fail_record("format", "blank line");
  }
  if (!is_valid_utf8(line)) return rb.fail_record("utf8", "the line is not valid UTF-8");
  captures_.clear();
  if (!scanner.scan(line, captures_, error_)) return rb.fail_record("format", std::move(error_));
  // Decoding never lengthens a capture, and captures overlap at most twice
  // (the request line and its parts).
  typing_.decoded.reset(2 * line.size());
  Value* values = rb.top();
  for (const Binding& b : bindings_) {
    if (!captures_.has(b.slot)) continue;
    const std::string_view text = captures_.text[b.slot];
    if (text.size() == 1 && text[0] == '-') continue;  // '-': missing
    if (!type_capture(*b.node, b.kind, text, typing_, rb, values[b.node->slot])) return false;
  }
  return rb.finish();
}

template <typename Scanner>
void TextParser::run(Scanner& scanner, const RawBatch& in, RecordBuilder& rb, RecordBatch& out,
                     std::vector<Reject>& rejects, ParseStats& stats, int64_t ingest_time,
                     std::vector<uint32_t>* row_records) {
  process_records(
      in, rb, out, rejects, stats, ingest_time, row_records,
      [&](uint32_t, const RawRecord& r) { return parse_line(scanner, in.bytes(r), rb); });
}

void TextParser::process(const RawBatch& in, RecordBuilder& rb, RecordBatch& out,
                         std::vector<Reject>& rejects, ParseStats& stats, int64_t ingest_time,
                         std::vector<uint32_t>* row_records) {
  typing_.time.reference_micros = ingest_time;
  switch (format_) {
    case InputFormat::kApacheCommon:
    case InputFormat::kApacheCombined:
      run(*access_, in, rb, out, rejects, stats, ingest_time, row_records);
      break;
    case InputFormat::kNginx:
      run(*nginx_, in, rb, out, rejects, stats, ingest_time, row_records);
      break;
    case InputFormat::kSyslog:
      run(*syslog_, in, rb, out, rejects, stats, ingest_time, row_records);
      break;
    case InputFormat::kRegex:
      run(*regex_, in, rb, out, rejects, stats, ingest_time, row_records);
      break;
    case InputFormat::kJson:
      break;
  }
}

}  // namespace sluice::parse::text
