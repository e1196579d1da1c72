// libFuzzer target: one input is one JSON record through parse + validate +
// preprocess with the schemas of the three example pipelines (flatten,
// structs, enums, regexes, ranges, defaults). Any input must be accepted or
// rejected with a reason, never crash; an accepted record adds rows, a
// rejected one none.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "config/loader.h"
#include "transforms/parse/parser.h"

namespace {

struct Target {
  sluice::PipelineConfig config;
  std::unique_ptr<sluice::Parser> parser;
};

std::vector<Target>& targets() {
  static std::vector<Target> all = [] {
    std::vector<Target> t;
    for (const char* name : {"iot", "clickstream", "user_events"}) {
      Target x;
      x.config =
          sluice::load_pipeline(std::string(SLUICE_SOURCE_DIR) + "/examples/" + name + ".yaml");
      x.parser =
          std::make_unique<sluice::Parser>(x.config.schema, x.config.transforms, x.config.limits);
      t.push_back(std::move(x));
    }
    return t;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the pipeline; the rest is the record.
  Target& t = targets()[data[0] % targets().size()];
  sluice::RawBatch raw;
  raw.add(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1),
          raw.stream_id("fuzz/0"), 0, 0);
  sluice::Parser::pad(raw);
  sluice::RecordBatch rows(t.parser->output_schema());
  std::vector<sluice::Reject> rejects;
  sluice::ParseStats stats;
  std::vector<uint32_t> row_records;
  t.parser->process(raw, rows, rejects, stats, 1700000000000000, &row_records);
  if (stats.records_accepted + stats.records_rejected != 1) std::abort();
  if (!rejects.empty() && rows.rows() != 0) std::abort();  // all or nothing
  if (row_records.size() != rows.rows()) std::abort();
  return 0;
}
