// JSON records (one object per record, NDJSON) read with simdjson On Demand
// into a RecordBuilder: keys matched to schema fields, values typed and
// checked as they are walked, structs and the flattened list descended into.
//
// Threading: a JsonRecordParser is used by one thread at a time (it owns a
// reusable simdjson parser and a copy buffer).
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "config/pipeline.h"
#include "transforms/parse/schema_plan.h"

namespace sluice::parse {

class JsonRecordParser {
 public:
  JsonRecordParser(const Plan& plan, const LimitsConfig& limits);

  // Parses one record into `rb` (started here, finished on success).
  // `capacity`: readable bytes from bytes.data() (at least bytes.size());
  // the record is parsed in place when it leaves simdjson's padding,
  // otherwise copied first. False: rb.reject says why.
  bool parse(std::string_view bytes, size_t capacity, RecordBuilder& rb);

 private:
  struct Walk;  // one record's walk over the document

  const Plan& plan_;
  LimitsConfig limits_;
  simdjson::ondemand::parser json_;
  std::string buffer_;
};

}  // namespace sluice::parse
