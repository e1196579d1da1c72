// Helpers for the text-format tests: schemas of the formats' fields, the
// fixtures' expectations, and parsing lines into a batch.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/time.h"
#include "test_schemas.h"
#include "test_util.h"
#include "transforms/parse/parser.h"

namespace sluice::testing {

// 2025-03-15T12:00:00Z: the ingest time of the text tests (syslog years).
constexpr int64_t kTextIngest = 1742040000000000;

inline std::string text_fixture(const std::string& name) {
  return std::string(SLUICE_FIXTURES_DIR) + "/text/" + name;
}

inline Schema schema_of(const std::vector<std::pair<std::string, FieldType>>& fields) {
  Schema s;
  for (const auto& [name, type] : fields) s.fields.push_back(make_field(name, type));
  return s;
}

inline Schema access_schema(bool combined = true) {
  std::vector<std::pair<std::string, FieldType>> f = {
      {"vhost", FieldType::kString},    {"forwarded_for", FieldType::kString},
      {"client", FieldType::kString},   {"ident", FieldType::kString},
      {"user", FieldType::kString},     {"timestamp", FieldType::kTimestamp},
      {"request", FieldType::kString},  {"method", FieldType::kString},
      {"path", FieldType::kString},     {"query", FieldType::kString},
      {"protocol", FieldType::kString}, {"status", FieldType::kInt32},
      {"bytes", FieldType::kInt64},     {"request_time", FieldType::kDouble}};
  if (combined) {
    f.push_back({"referer", FieldType::kString});
    f.push_back({"user_agent", FieldType::kString});
  }
  Schema s = schema_of(f);
  for (Field& field : s.fields) {
    if (field.name == "client") field.required = true;
    if (field.name == "status") field.constraints.max = 599;
  }
  s.timestamp_field = "timestamp";
  return s;
}

struct TextRun {
  RecordBatch out;
  std::vector<Reject> rejects;
  ParseStats stats;
};

inline TextRun parse_text(Parser& parser, const std::vector<std::string>& lines,
                          int64_t ingest = kTextIngest) {
  TextRun r;
  r.out = RecordBatch(parser.output_schema());
  RawBatch in = batch_of(lines);
  parser.process(in, r.out, r.rejects, r.stats, ingest);
  return r;
}

// Lines of a fixture's .expected file, comments and blank lines left out.
inline std::vector<std::string> expectations(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& line : read_lines(path)) {
    if (line.empty() || line[0] == '#') continue;
    out.push_back(line);
  }
  return out;
}

// The value of row `row` of column `name` as JSON (timestamps as ISO-8601).
inline nlohmann::json cell(const RecordBatch& b, const std::string& name, size_t row) {
  const int ci = b.column_index(name);
  if (ci < 0) throw std::runtime_error("no column " + name);
  const Column& c = b.columns[static_cast<size_t>(ci)];
  if (c.is_null(row)) return nullptr;
  switch (c.type()) {
    case ColumnType::kString:
      return std::string(c.string_at(row));
    case ColumnType::kInt32:
      return c.int32_at(row);
    case ColumnType::kInt64:
      return c.int64_at(row);
    case ColumnType::kDouble:
      return c.double_at(row);
    case ColumnType::kBool:
      return c.bool_at(row);
    case ColumnType::kTimestamp:
      return format_iso8601(c.int64_at(row));
  }
  return nullptr;
}

// Every line of `<name>_pass.log` is accepted with the fields of the
// matching line of `<name>_pass.expected`.
inline void check_pass_fixture(Parser& parser, const std::string& name) {
  const auto lines = read_lines(text_fixture(name + "_pass.log"));
  const auto expected = expectations(text_fixture(name + "_pass.expected"));
  ASSERT_EQ(lines.size(), expected.size()) << name;
  TextRun r = parse_text(parser, lines);
  for (const Reject& rej : r.rejects) {
    ADD_FAILURE() << name << " line " << rej.record_index + 1 << " rejected: " << rej.field << ": "
                  << rej.rule << ": " << rej.message;
  }
  ASSERT_EQ(r.out.rows(), lines.size()) << name;
  for (size_t i = 0; i < lines.size(); ++i) {
    const nlohmann::json want = nlohmann::json::parse(expected[i]);
    for (const auto& [field, value] : want.items()) {
      EXPECT_EQ(cell(r.out, field, i), value) << name << " line " << i + 1 << " field " << field;
    }
  }
}

// Every line of `<name>_fail.log` is rejected with the rule, field and
// message words of the matching line of `<name>_fail.expected`.
inline void check_fail_fixture(Parser& parser, const std::string& name, const char* format_name) {
  const auto lines = read_lines(text_fixture(name + "_fail.log"));
  const auto expected = expectations(text_fixture(name + "_fail.expected"));
  ASSERT_EQ(lines.size(), expected.size()) << name;
  TextRun r = parse_text(parser, lines);
  EXPECT_EQ(r.out.rows(), 0u) << name;
  ASSERT_EQ(r.rejects.size(), lines.size()) << name;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::istringstream ss(expected[i]);
    std::string rule, field, words;
    ss >> rule >> field;
    std::getline(ss, words);
    if (field == "-") field.clear();
    if (!words.empty() && words[0] == ' ') words.erase(0, 1);
    const Reject& rej = r.rejects[i];
    EXPECT_EQ(rej.record_index, i);
    EXPECT_EQ(rej.rule, rule) << name << " line " << i + 1 << ": " << rej.message;
    EXPECT_EQ(rej.field, field) << name << " line " << i + 1 << ": " << rej.message;
    EXPECT_NE(rej.message.find(words), std::string::npos)
        << name << " line " << i + 1 << ": '" << rej.message << "' lacks '" << words << "'";
    ASSERT_NE(rej.format, nullptr);
    EXPECT_STREQ(rej.format, format_name);
  }
}

}  // namespace sluice::testing
