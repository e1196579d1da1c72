// Parser error paths: every fail fixture is rejected with the expected rule
// and field (never a crash), all-or-nothing records, type edge cases, and
// configurations the parser refuses at construction.
#include <gtest/gtest.h>
#include <cstring>

#include <sstream>

#include "test_schemas.h"
#include "test_util.h"
#include "transforms/parse/parser.h"

namespace sluice {
namespace {

using testing::batch_of;
using testing::fixture;
using testing::read_lines;

struct Expected {
  std::string rule;
  std::string field;
};

std::vector<Expected> read_expected(const std::string& path) {
  std::vector<Expected> out;
  for (const auto& line : read_lines(path)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    Expected e;
    ss >> e.rule >> e.field;
    if (e.field == "-") e.field.clear();
    out.push_back(e);
  }
  return out;
}

void check_fail_fixture(const Schema& schema, const TransformsConfig& transforms,
                        const std::string& family) {
  LimitsConfig limits;
  limits.max_record_bytes = 4096;
  limits.max_depth = 32;
  Parser parser(schema, transforms, limits);
  const auto lines = read_lines(fixture(family + "_fail.ndjson"));
  const auto expected = read_expected(fixture(family + "_fail.expected"));
  ASSERT_EQ(lines.size(), expected.size()) << family;
  ASSERT_FALSE(lines.empty());

  RawBatch in = batch_of(lines);
  RecordBatch out(parser.output_schema());
  std::vector<Reject> rejects;
  ParseStats stats;
  parser.process(in, out, rejects, stats, 0);

  EXPECT_EQ(out.rows(), 0u) << family << ": a failing record produced rows";
  EXPECT_EQ(stats.records_in, static_cast<int64_t>(lines.size()));
  EXPECT_EQ(stats.records_rejected, static_cast<int64_t>(lines.size()));
  EXPECT_EQ(stats.records_accepted, 0);
  EXPECT_EQ(stats.rows_out, 0);
  ASSERT_EQ(rejects.size(), lines.size());
  for (size_t i = 0; i < rejects.size(); ++i) {
    const Reject& r = rejects[i];
    EXPECT_EQ(r.record_index, i);
    EXPECT_EQ(r.rule, expected[i].rule) << family << " line " << i + 1 << ": " << r.message;
    EXPECT_EQ(r.field, expected[i].field) << family << " line " << i + 1 << ": " << r.message;
    EXPECT_FALSE(r.message.empty());
    EXPECT_LE(r.message.size(), 400u);  // offending values are truncated
  }
}

TEST(FailFixtures, Clickstream) {
  check_fail_fixture(testing::clickstream_schema(), testing::clickstream_transforms(),
                     "clickstream");
}

TEST(FailFixtures, UserEvents) {
  check_fail_fixture(testing::user_events_schema(), TransformsConfig{}, "user_events");
}

TEST(FailFixtures, Iot) {
  check_fail_fixture(testing::iot_schema(), TransformsConfig{}, "iot");
}

TEST(FailFixtures, InterleavedWithPassRecordsCountsAddUp) {
  Parser parser(testing::iot_schema(), TransformsConfig{}, LimitsConfig{});
  const auto pass = read_lines(fixture("iot_pass.ndjson"));
  const auto fail = read_lines(fixture("iot_fail.ndjson"));
  std::vector<std::string> lines;
  std::vector<bool> good;
  for (size_t i = 0; i < std::max(pass.size(), fail.size()); ++i) {
    if (i < fail.size()) lines.push_back(fail[i]), good.push_back(false);
    if (i < pass.size()) lines.push_back(pass[i]), good.push_back(true);
  }
  RawBatch in = batch_of(lines);
  RecordBatch out(parser.output_schema());
  std::vector<Reject> rejects;
  ParseStats stats;
  parser.process(in, out, rejects, stats, 0);
  EXPECT_EQ(stats.records_accepted + stats.records_rejected, stats.records_in);
  EXPECT_EQ(stats.records_accepted, static_cast<int64_t>(pass.size()));
  EXPECT_EQ(stats.records_rejected, static_cast<int64_t>(fail.size()));
  EXPECT_EQ(out.rows(), pass.size());
  for (const Reject& r : rejects) EXPECT_FALSE(good[r.record_index]) << r.record_index;
  // Accepted rows are exactly the pass records, in order.
  const int id = out.column_index("event_duration");
  EXPECT_EQ(out.columns[id].double_at(0), 120.5);
  EXPECT_EQ(out.columns[id].double_at(2), 0.0);
  EXPECT_EQ(out.columns[id].double_at(3), 1000.0);
}

TEST(AllOrNothing, RejectInLastElementLeavesNoRows) {
  Parser parser(testing::clickstream_schema(), testing::clickstream_transforms(), LimitsConfig{});
  RawBatch in = batch_of({
      R"({"session_id":"ok1","page_url":"/a","timestamp":"2024-05-01T00:00:00Z"})",
      R"({"session_id":"bad","page_url":"/a","timestamp":"2024-05-01T00:00:00Z",)"
      R"("user_actions":[{"action":"a"},{"action":"b"},{"action":"c","time":"never"}]})",
      R"({"session_id":"bad2","page_url":"/a","user_actions":[{"action":"a"},{"action":"b"}]})",
      R"({"session_id":"ok2","page_url":"/a","timestamp":"2024-05-01T00:00:00Z","user_actions":[{"action":"z"}]})",
  });
  RecordBatch out(parser.output_schema());
  std::vector<Reject> rejects;
  ParseStats stats;
  parser.process(in, out, rejects, stats, 0);
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(rejects[0].record_index, 1u);
  EXPECT_EQ(rejects[0].field, "user_actions[2].time");
  EXPECT_NE(rejects[0].message.find("never"), std::string::npos) << rejects[0].message;
  EXPECT_EQ(rejects[1].record_index, 2u);
  EXPECT_EQ(rejects[1].field, "timestamp");
  EXPECT_EQ(rejects[1].rule, "required");
  ASSERT_EQ(out.rows(), 2u);
  for (const auto& c : out.columns) EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(out.columns[0].string_at(0), "ok1");
  EXPECT_EQ(out.columns[0].string_at(1), "ok2");
  EXPECT_EQ(out.columns[out.column_index("action")].string_at(1), "z");
}

struct Case {
  const char* json;
  const char* rule;
  const char* field;
};

TEST(Types, MismatchesAndConstraints) {
  Schema s;
  Field i32 = testing::make_field("i32", FieldType::kInt32);
  i32.constraints.min = -10;
  i32.constraints.max = 10;
  s.fields.push_back(i32);
  s.fields.push_back(testing::make_field("i64", FieldType::kInt64));
  s.fields.push_back(testing::make_field("b", FieldType::kBool));
  Field str = testing::make_field("str", FieldType::kString);
  str.constraints.max_length = 4;
  str.constraints.allowed = {"x", "yy", "toolong"};
  s.fields.push_back(str);
  Field nn = testing::make_field("nn", FieldType::kString);
  nn.nullable = false;
  s.fields.push_back(nn);
  Parser parser(s, TransformsConfig{}, LimitsConfig{});
  const std::vector<Case> cases = {
      {R"({"i32":3.5})", "type", "i32"},
      {R"({"i32":3000000000})", "type", "i32"},
      {R"({"i32":"3"})", "type", "i32"},
      {R"({"i32":11})", "range", "i32"},
      {R"({"i32":-11})", "range", "i32"},
      {R"({"i64":99999999999999999999})", "type", "i64"},
      {R"({"i64":1e3})", "type", "i64"},
      {R"({"i64":{}})", "type", "i64"},
      {R"({"b":1})", "type", "b"},
      {R"({"b":"true"})", "type", "b"},
      {R"({"str":"toolong"})", "max_length", "str"},
      {R"({"str":"z"})", "enum", "str"},
      {R"({"str":1})", "type", "str"},
      {R"({"nn":null})", "null", "nn"},
      {R"({"i32":1,"i32":20})", "range", "i32"},
      {R"({"i32":-})", "json", ""},
  };
  std::vector<std::string> lines;
  for (const auto& c : cases) lines.push_back(c.json);
  lines.push_back(R"({"i32":10,"i64":-1,"b":true,"str":"yy","nn":"v"})");
  RawBatch in = batch_of(lines);
  RecordBatch out(parser.output_schema());
  std::vector<Reject> rejects;
  ParseStats stats;
  parser.process(in, out, rejects, stats, 0);
  ASSERT_EQ(rejects.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(rejects[i].rule, cases[i].rule) << cases[i].json << ": " << rejects[i].message;
    EXPECT_EQ(rejects[i].field, cases[i].field) << cases[i].json;
  }
  ASSERT_EQ(out.rows(), 1u);
  EXPECT_EQ(out.columns[0].int32_at(0), 10);
  EXPECT_EQ(out.columns[3].string_at(0), "yy");
}

TEST(Types, MessagesCarryTruncatedValue) {
  Parser parser(testing::iot_schema(), TransformsConfig{}, LimitsConfig{});
  const std::string long_id(500, 'q');
  RawBatch in = batch_of({R"({"event_id":")" + long_id + R"("})"});
  RecordBatch out(parser.output_schema());
  std::vector<Reject> rejects;
  ParseStats stats;
  parser.process(in, out, rejects, stats, 0);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].rule, "regex");
  EXPECT_NE(rejects[0].message.find("qqqq"), std::string::npos);
  EXPECT_NE(rejects[0].message.find("..."), std::string::npos);
  EXPECT_LT(rejects[0].message.size(), 250u);
}

TEST(Limits, DepthLimitCountsOnlyStructure) {
  LimitsConfig limits;
  limits.max_depth = 4;
  Parser parser(testing::user_events_schema(), TransformsConfig{}, limits);
  const std::string base = R"("user_id":"u","event_type":"view","timestamp":"2024-05-01")";
  RawBatch in = batch_of({
      "{" + base + R"(,"x":[[[1]]]})",                     // depth 4: ok
      "{" + base + R"(,"x":[[[[1]]]]})",                   // depth 5
      "{" + base + R"(,"x":"[[[[[[[[{{{{{{","y":[[1]]})",  // brackets inside a string
      "{" + base + R"(,"x":"\"[[[[[[[[[[[[","y":[[1]]})",  // escaped quote
  });
  RecordBatch out(parser.output_schema());
  std::vector<Reject> rejects;
  ParseStats stats;
  parser.process(in, out, rejects, stats, 0);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].record_index, 1u);
  EXPECT_EQ(rejects[0].rule, "depth");
  EXPECT_EQ(out.rows(), 3u);
}

TEST(Limits, RecordSizeIsCheckedBeforeParsing) {
  LimitsConfig limits;
  limits.max_record_bytes = 64;
  Parser parser(testing::user_events_schema(), TransformsConfig{}, limits);
  const std::string ok = R"({"user_id":"u","event_type":"view","timestamp":"2024-05-01"})";
  ASSERT_LE(ok.size(), 64u);
  RawBatch in = batch_of({ok, "{" + std::string(100, ' ') + "}"});
  RecordBatch out(parser.output_schema());
  std::vector<Reject> rejects;
  ParseStats stats;
  parser.process(in, out, rejects, stats, 0);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].rule, "record_size");
  EXPECT_EQ(rejects[0].record_index, 1u);
}

TEST(Construction, ListWithoutFlattenIsRefused) {
  try {
    Parser p(testing::clickstream_schema(), TransformsConfig{}, LimitsConfig{});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("user_actions"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("flatten"), std::string::npos);
  }
  EXPECT_THROW(derive_output_schema(testing::clickstream_schema(), TransformsConfig{}),
               std::invalid_argument);
}

TEST(Construction, BadFlattenTargets) {
  TransformsConfig t;
  t.flatten = FlattenConfig{"nope", "", ""};
  EXPECT_THROW(Parser(testing::clickstream_schema(), t, LimitsConfig{}), std::invalid_argument);
  t.flatten = FlattenConfig{"page_url", "", ""};
  EXPECT_THROW(Parser(testing::clickstream_schema(), t, LimitsConfig{}), std::invalid_argument);
}

TEST(Construction, DuplicateColumnsBadRegexBadDefault) {
  // Bare prefix + a top-level field named like a member.
  Schema dup = testing::clickstream_schema();
  dup.fields.push_back(testing::make_field("target", FieldType::kString));
  EXPECT_THROW(Parser(dup, testing::clickstream_transforms(""), LimitsConfig{}),
               std::invalid_argument);
  EXPECT_NO_THROW(Parser(dup, testing::clickstream_transforms("a_"), LimitsConfig{}));

  Schema re = testing::user_events_schema();
  re.fields[0].constraints.regex = "([a-z";
  EXPECT_THROW(Parser(re, TransformsConfig{}, LimitsConfig{}), std::invalid_argument);

  Schema def = testing::user_events_schema();
  def.fields[1].default_value = "scroll";  // not an allowed enum value
  EXPECT_THROW(Parser(def, TransformsConfig{}, LimitsConfig{}), std::invalid_argument);
  Schema num = testing::clickstream_schema();
  num.fields[3].default_value = "zero";
  EXPECT_THROW(Parser(num, testing::clickstream_transforms(), LimitsConfig{}),
               std::invalid_argument);
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

// Every prefix of every pass record, and every pass record with one byte
// replaced by a structural or invalid byte: no crash, every record accounted
// for, and no row from a record that was not accepted.
TEST(Robustness, TruncationsAndByteFlipsNeverCrash) {
  Parser parser(testing::clickstream_schema(), testing::clickstream_transforms(), LimitsConfig{});
  std::vector<std::string> lines;
  for (const auto& line : read_lines(fixture("clickstream_pass.ndjson"))) {
    for (size_t n = 0; n < line.size(); ++n) lines.push_back(line.substr(0, n));
    const char flips[] = {'{', '}', '[', ']', '"', '\\', ',', ':', '\xff', '\0'};
    for (size_t at = 0; at < line.size(); ++at) {
      std::string mutated = line;
      mutated[at] = flips[at % sizeof flips];
      lines.push_back(mutated);
    }
  }
  RawBatch in = batch_of(lines);
  RecordBatch out(parser.output_schema());
  std::vector<Reject> rejects;
  ParseStats stats;
  parser.process(in, out, rejects, stats, 0);
  EXPECT_EQ(stats.records_in, static_cast<int64_t>(lines.size()));
  EXPECT_EQ(stats.records_accepted + stats.records_rejected, stats.records_in);
  EXPECT_EQ(static_cast<int64_t>(rejects.size()), stats.records_rejected);
  EXPECT_GT(stats.records_rejected, static_cast<int64_t>(lines.size() / 2));
  EXPECT_EQ(static_cast<int64_t>(out.rows()), stats.rows_out);
  for (const auto& c : out.columns) EXPECT_EQ(c.size(), out.rows());
  for (const Reject& r : rejects) {
    EXPECT_FALSE(r.rule.empty());
    EXPECT_LT(r.record_index, lines.size());
  }
}

// In-place parsing reads the next records' bytes as simdjson's padding: it
// must never let them complete a truncated record. Every record parsed in a
// padded batch gives the same result as the same record parsed alone, copied.
TEST(Robustness, InPlaceParsingMatchesCopiedParsing) {
  Parser parser(testing::clickstream_schema(), testing::clickstream_transforms(), LimitsConfig{});
  std::vector<std::string> lines;
  for (const auto& line : read_lines(fixture("clickstream_pass.ndjson"))) {
    for (size_t n = 0; n <= line.size(); ++n) lines.push_back(line.substr(0, n));
  }
  lines.push_back("123");
  lines.push_back("456}");
  RawBatch in = batch_of(lines);
  Parser::pad(in);
  RecordBatch out(parser.output_schema());
  std::vector<Reject> rejects;
  ParseStats stats;
  parser.process(in, out, rejects, stats, 0);

  RecordBatch alone_out(parser.output_schema());
  std::vector<Reject> alone_rejects;
  ParseStats alone_stats;
  for (size_t i = 0; i < lines.size(); ++i) {
    RawBatch one = batch_of({lines[i]});
    one.arena.shrink_to_fit();  // no room for padding: the record is copied
    std::vector<Reject> r;
    parser.process(one, alone_out, r, alone_stats, 0);
    for (Reject& x : r) {
      x.record_index = static_cast<uint32_t>(i);
      alone_rejects.push_back(x);
    }
  }
  EXPECT_EQ(stats.records_accepted, alone_stats.records_accepted);
  ASSERT_EQ(rejects.size(), alone_rejects.size());
  for (size_t i = 0; i < rejects.size(); ++i) {
    EXPECT_EQ(rejects[i].record_index, alone_rejects[i].record_index);
    EXPECT_EQ(rejects[i].rule, alone_rejects[i].rule) << lines[rejects[i].record_index];
  }
  // Whole lines are accepted (a prefix may be too: trailing blanks); the two
  // scalars are not, though together they would read "123456}".
  EXPECT_GE(stats.records_accepted,
            static_cast<int64_t>(read_lines(fixture("clickstream_pass.ndjson")).size()));
  ASSERT_GE(rejects.size(), 2u);
  EXPECT_EQ(rejects[rejects.size() - 2].record_index, lines.size() - 2);
  EXPECT_EQ(rejects.back().record_index, lines.size() - 1);
  ASSERT_EQ(out.rows(), alone_out.rows());
  for (size_t c = 0; c < out.columns.size(); ++c) {
    const Column& a = out.columns[c];
    const Column& b = alone_out.columns[c];
    for (size_t row = 0; row < out.rows(); ++row) {
      ASSERT_EQ(a.is_null(row), b.is_null(row));
      if (a.is_null(row)) continue;
      if (a.type() == ColumnType::kString) {
        EXPECT_EQ(a.string_at(row), b.string_at(row));
      } else {
        EXPECT_EQ(std::memcmp(a.fixed_data() + row * a.width(), b.fixed_data() + row * b.width(),
                              a.width()),
                  0);
      }
    }
  }
}

}  // namespace
}  // namespace sluice
