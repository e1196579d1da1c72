// libFuzzer target: one input is one text log line through the text parsers
// (apache_combined, apache_common, syslog, an nginx log_format and a regex
// with a strptime-like time_format), with typed fields and constraints.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "config/loader.h"
#include "transforms/parse/parser.h"

namespace {

const char* kSchema = R"(
sink:
  lake: {path: ./lake}
schema:
  timestamp_field: timestamp
  fields:
    - {name: timestamp, type: timestamp}
)";

struct Target {
  sluice::PipelineConfig config;
  std::unique_ptr<sluice::Parser> parser;
};

Target make(const std::string& source, const std::string& extra_fields) {
  Target t;
  t.config = sluice::load_pipeline_from_string(
      "name: fuzz\nsource:\n  type: file\n  file: {path: x}\n" + source + kSchema + extra_fields,
      "fuzz.yaml");
  t.parser = std::make_unique<sluice::Parser>(t.config.schema, t.config.transforms, t.config.limits,
                                              t.config.source.format, t.config.source.text);
  return t;
}

std::vector<Target>& targets() {
  static std::vector<Target> all = [] {
    std::vector<Target> t;
    const std::string access =
        "    - {name: client, type: string}\n    - {name: status, type: int32, min: 100}\n"
        "    - {name: bytes, type: int64}\n    - {name: path, type: string}\n";
    t.push_back(
        make("  format: apache_combined\n", access + "    - {name: user_agent, type: string}\n"));
    t.push_back(make("  format: apache_common\n", access));
    t.push_back(make("  format: syslog\n",
                     "    - {name: hostname, type: string}\n    - {name: severity, type: int32}\n"
                     "    - {name: message, type: string}\n"));
    t.push_back(
        make("  format: nginx\n  text: {log_format: '$remote_addr - $remote_user "
             "[$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" "
             "\"$http_user_agent\" $request_time'}\n",
             access + "    - {name: request_time, type: double}\n"));
    t.push_back(
        make("  format: regex\n  text: {pattern: '(?P<timestamp>\\w{3} \\w{3} \\d+ "
             "[\\d:]+ \\d{4}) \\[(?P<level>\\w+)\\] (?P<message>.*)', time_format: '%a "
             "%b %d %H:%M:%S %Y'}\n",
             "    - {name: level, type: string}\n    - {name: message, type: string}\n"));
    return t;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Target& t = targets()[data[0] % targets().size()];
  sluice::RawBatch raw;
  raw.add(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1),
          raw.stream_id("fuzz/0"), 0, 0);
  sluice::Parser::pad(raw);
  sluice::RecordBatch rows(t.parser->output_schema());
  std::vector<sluice::Reject> rejects;
  sluice::ParseStats stats;
  t.parser->process(raw, rows, rejects, stats, 1700000000000000);
  if (!rejects.empty() && rows.rows() != 0) std::abort();
  return 0;
}
