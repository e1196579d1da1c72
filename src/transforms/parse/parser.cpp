// Parser: the façade over the format parsers. It compiles the schema once
// (schema_plan.h) and dispatches once per batch on the input format; each
// format reads values into the shared RecordBuilder, which checks them,
// resolves defaults and writes the rows.
#include "transforms/parse/parser.h"

#include <simdjson.h>

#include <optional>
#include <stdexcept>

#include "transforms/parse/json/json_parser.h"
#include "transforms/parse/schema_plan.h"
#include "transforms/parse/text/text_parser.h"

namespace sluice {

OutputSchema derive_output_schema(const Schema& schema, const TransformsConfig& transforms) {
  parse::Plan plan;
  plan.build(schema, transforms);
  return plan.output;
}

struct Parser::Impl {
  Schema schema;
  parse::Plan plan;
  parse::RecordBuilder builder;
  InputFormat format;
  std::optional<parse::JsonRecordParser> json;
  std::optional<parse::text::TextParser> text;

  Impl(const Schema& s, const TransformsConfig& t, const LimitsConfig& l, InputFormat f,
       const TextFormatConfig& text_config)
      : schema(s), plan(build_plan(schema, t)), builder(plan), format(f) {
    if (format == InputFormat::kJson) {
      json.emplace(plan, l);
    } else {
      text.emplace(plan, format, text_config, l);
    }
  }

  static parse::Plan build_plan(const Schema& s, const TransformsConfig& t) {
    parse::Plan p;
    p.build(s, t);
    return p;
  }
};

Parser::Parser(const Schema& schema, const TransformsConfig& transforms, const LimitsConfig& limits,
               InputFormat format, const TextFormatConfig& text)
    : impl_(std::make_unique<Impl>(schema, transforms, limits, format, text)) {}
Parser::~Parser() = default;
Parser::Parser(Parser&&) noexcept = default;
Parser& Parser::operator=(Parser&&) noexcept = default;

const OutputSchema& Parser::output_schema() const {
  return impl_->plan.output;
}

void Parser::process(const RawBatch& in, RecordBatch& out, std::vector<Reject>& rejects,
                     ParseStats& stats, int64_t ingest_time, std::vector<uint32_t>* row_records) {
  Impl& im = *impl_;
  if (out.columns.size() != im.plan.output.size()) {
    throw std::invalid_argument("Parser::process: output batch does not follow output_schema()");
  }
  static_assert(Parser::kPadding >= simdjson::SIMDJSON_PADDING);
  const size_t first_reject = rejects.size();
  if (im.json) {
    parse::process_records(in, im.builder, out, rejects, stats, ingest_time, row_records,
                           [&](uint32_t, const RawRecord& r) {
                             return im.json->parse(in.bytes(r), in.arena.capacity() - r.begin,
                                                   im.builder);
                           });
  } else {
    im.text->process(in, im.builder, out, rejects, stats, ingest_time, row_records);
  }
  for (size_t i = first_reject; i < rejects.size(); ++i) {
    rejects[i].format = input_format_name(im.format);
  }
}

}  // namespace sluice
