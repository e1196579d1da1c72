// Parse + validate + preprocess in one pass: turns a RawBatch of records --
// JSON objects (json/) or text log lines (text/: Apache, nginx, syslog,
// custom regex) -- into columnar output rows (flattened, defaulted, with
// metadata columns) plus a list of rejects. Shared by the streaming path and
// batch ETL. The schema checks, defaults and row emission are the same for
// every format (schema_plan.h).
//
// Threading: a Parser is used by one thread at a time (it owns a reusable
// simdjson parser and scratch buffers). Several Parsers built from the same
// config may run in parallel on different batches; they share nothing.
// Construction compiles the schema and the format once (regexes, defaults,
// column plan, log_format) and may throw std::invalid_argument; process()
// never throws for bad input records: they become Rejects.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "core/batch.h"
#include "core/record.h"
#include "core/schema.h"

namespace sluice {

// Why one input record was not accepted.
struct Reject {
  uint32_t record_index = 0;  // index into RawBatch::records
  std::string field;          // dotted path, e.g. "user_actions[2].action"; empty for record-level
  // One of: "json", "format" (a text line not in its format), "utf8",
  // "record_size", "depth", "required", "null", "type", "range", "regex",
  // "enum", "max_length".
  std::string rule;
  std::string message;  // human readable, with the offending value (truncated)
  // The input format (input_format_name(): "json", "apache_combined", ...).
  const char* format = nullptr;
};

struct ParseStats {
  int64_t records_in = 0;
  int64_t records_accepted = 0;
  int64_t records_rejected = 0;
  int64_t rows_out = 0;
};

// Columns produced for `schema` under `transforms`: top-level scalars in
// schema order (struct `s` member `m` -> `s_m`), the flattened list's element
// members (`prefix + member`) and index column where the list was, then the
// ingest timestamp and source type columns if configured.
// Throws std::invalid_argument for impossible combinations (a list that is not
// flattened, flatten of a missing or non-list field, duplicate column names).
OutputSchema derive_output_schema(const Schema& schema, const TransformsConfig& transforms);

class Parser {
 public:
  // Throws std::invalid_argument (with an explanation) when the schema and
  // transforms cannot work together, a regex does not compile, or a default
  // cannot be converted to its field's type.
  // `format` and `text`: how records are read (source.format, source.text).
  Parser(const Schema& schema, const TransformsConfig& transforms, const LimitsConfig& limits,
         InputFormat format = InputFormat::kJson, const TextFormatConfig& text = {});
  ~Parser();
  Parser(Parser&&) noexcept;
  Parser& operator=(Parser&&) noexcept;
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Valid for the lifetime of this Parser.
  const OutputSchema& output_schema() const;

  // Appends the accepted rows of `in` to `out` (constructed from
  // output_schema()); one Reject per rejected record is appended to
  // `rejects`. A record is all or nothing: a rejected record adds no row.
  // `ingest_time` is the ingest timestamp column's value (UTC micros).
  // If `row_records` is given, the index (into in.records) of the record
  // each appended row came from is appended to it, row by row.
  // Records are parsed in place when the arena has kPadding bytes of
  // capacity past its end (see pad()); otherwise each is copied first.
  void process(const RawBatch& in, RecordBatch& out, std::vector<Reject>& rejects,
               ParseStats& stats, int64_t ingest_time,
               std::vector<uint32_t>* row_records = nullptr);

  // Text formats: `ingest_time` is also the reference for stamps without a
  // year (RFC 3164 syslog).
  // Readable bytes simdjson needs after a record (their content is ignored).
  static constexpr size_t kPadding = 64;
  // Reserves kPadding bytes of capacity after the arena, so that process()
  // parses every record where it lies.
  static void pad(RawBatch& batch) { batch.arena.reserve(batch.arena.size() + kPadding); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
