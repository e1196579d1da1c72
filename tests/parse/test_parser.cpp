// Parser happy paths: output schema derivation, flattening, defaults,
// timestamps, metadata columns and the pass fixtures of the three families.
#include <gtest/gtest.h>

#include "core/time.h"
#include "test_schemas.h"
#include "test_util.h"
#include "transforms/parse/parser.h"

namespace sluice {
namespace {

using testing::batch_of;
using testing::clickstream_schema;
using testing::clickstream_transforms;
using testing::fixture;
using testing::read_lines;

constexpr int64_t kIngest = 1714600000000000;

std::vector<std::string> names_of(const OutputSchema& s) {
  std::vector<std::string> out;
  for (const auto& c : s) out.push_back(c.name);
  return out;
}

int64_t ts(const char* iso) {
  return *parse_iso8601(iso);
}

struct ParseRun {
  RecordBatch out;
  std::vector<Reject> rejects;
  ParseStats stats;
};

// Parses `lines` with `parser` into a fresh batch.
void run(Parser& parser, const std::vector<std::string>& lines, ParseRun& r) {
  r.out = RecordBatch(parser.output_schema());
  RawBatch in = batch_of(lines);
  parser.process(in, r.out, r.rejects, r.stats, kIngest);
}

TEST(OutputSchema, ClickstreamWithBarePrefix) {
  OutputSchema s = derive_output_schema(clickstream_schema(), clickstream_transforms(""));
  EXPECT_EQ(names_of(s), (std::vector<std::string>{
                             "session_id", "page_url", "timestamp", "TTI", "TTAR", "action",
                             "target", "time", "action_index", "ingest_timestamp", "source_type"}));
  EXPECT_EQ(s[2].type, ColumnType::kTimestamp);
  EXPECT_EQ(s[3].type, ColumnType::kDouble);
  EXPECT_EQ(s[5].type, ColumnType::kString);
  EXPECT_EQ(s[7].type, ColumnType::kTimestamp);
  EXPECT_EQ(s[8].type, ColumnType::kInt32);
  EXPECT_EQ(s[9].type, ColumnType::kTimestamp);
  EXPECT_EQ(s[10].type, ColumnType::kString);
}

TEST(OutputSchema, ClickstreamWithPrefixNoMetadata) {
  TransformsConfig t;
  t.flatten = FlattenConfig{"user_actions", "action_", ""};
  OutputSchema s = derive_output_schema(clickstream_schema(), t);
  EXPECT_EQ(names_of(s),
            (std::vector<std::string>{"session_id", "page_url", "timestamp", "TTI", "TTAR",
                                      "action_action", "action_target", "action_time"}));
}

TEST(OutputSchema, StructMembersAndEnums) {
  OutputSchema s = derive_output_schema(testing::iot_schema(), TransformsConfig{});
  EXPECT_EQ(names_of(s), (std::vector<std::string>{"event_id", "device_id", "device_type",
                                                   "timestamp", "event_duration", "value", "status",
                                                   "metadata_location", "metadata_firmware"}));
  EXPECT_EQ(s[2].type, ColumnType::kString);  // enum
  EXPECT_EQ(s[6].type, ColumnType::kString);
}

TEST(OutputSchema, ListInMiddleKeepsPosition) {
  Schema schema = clickstream_schema();
  std::swap(schema.fields[3], schema.fields[5]);  // user_actions before TTAR
  TransformsConfig t;
  t.flatten = FlattenConfig{"user_actions", "a_", "i"};
  OutputSchema s = derive_output_schema(schema, t);
  EXPECT_EQ(names_of(s),
            (std::vector<std::string>{"session_id", "page_url", "timestamp", "a_action", "a_target",
                                      "a_time", "i", "TTAR", "TTI"}));
}

TEST(Flatten, ZeroActionsGiveOneRowWithNulls) {
  Parser p(clickstream_schema(), clickstream_transforms(), LimitsConfig{});
  ParseRun r;
  run(p,
      {R"({"session_id":"s","page_url":"/a","timestamp":"2024-05-01T00:00:00Z","TTI":5,"user_actions":[]})"},
      r);
  ASSERT_TRUE(r.rejects.empty()) << r.rejects[0].message;
  ASSERT_EQ(r.out.rows(), 1u);
  const int action = r.out.column_index("action");
  EXPECT_TRUE(r.out.columns[action].is_null(0));
  EXPECT_TRUE(r.out.columns[r.out.column_index("target")].is_null(0));
  EXPECT_TRUE(r.out.columns[r.out.column_index("time")].is_null(0));
  EXPECT_EQ(r.out.columns[r.out.column_index("action_index")].int32_at(0), 0);
  EXPECT_EQ(r.out.columns[r.out.column_index("session_id")].string_at(0), "s");
  EXPECT_EQ(r.out.columns[r.out.column_index("TTI")].double_at(0), 5.0);
  EXPECT_EQ(r.stats.rows_out, 1);
}

TEST(Flatten, AbsentAndNullListGiveOneRow) {
  Parser p(clickstream_schema(), clickstream_transforms(), LimitsConfig{});
  ParseRun r;
  run(p,
      {R"({"session_id":"a","page_url":"/a","timestamp":"2024-05-01T00:00:00Z"})",
       R"({"session_id":"b","page_url":"/a","timestamp":"2024-05-01T00:00:00Z","user_actions":null})"},
      r);
  ASSERT_TRUE(r.rejects.empty());
  ASSERT_EQ(r.out.rows(), 2u);
  for (size_t row = 0; row < 2; ++row) {
    EXPECT_TRUE(r.out.columns[r.out.column_index("action")].is_null(row));
    EXPECT_EQ(r.out.columns[r.out.column_index("action_index")].int32_at(row), 0);
  }
}

TEST(Flatten, ThreeActionsGiveThreeRowsRepeatingTopLevel) {
  Parser p(clickstream_schema(), clickstream_transforms(), LimitsConfig{});
  ParseRun r;
  run(p,
      {R"({"session_id":"s9","page_url":"/cart","timestamp":"2024-05-01T00:00:00Z","TTI":1.5,"TTAR":2.5,)"
       R"("user_actions":[{"action":"click","target":"buy","time":"2024-05-01T00:00:01Z"},)"
       R"({"target":"img","action":"hover"},{"action":"scroll","time":1714521603000}]})"},
      r);
  ASSERT_TRUE(r.rejects.empty()) << r.rejects[0].message;
  ASSERT_EQ(r.out.rows(), 3u);
  EXPECT_EQ(r.stats.records_accepted, 1);
  EXPECT_EQ(r.stats.rows_out, 3);
  const auto& action = r.out.columns[r.out.column_index("action")];
  const auto& target = r.out.columns[r.out.column_index("target")];
  const auto& time = r.out.columns[r.out.column_index("time")];
  const auto& index = r.out.columns[r.out.column_index("action_index")];
  EXPECT_EQ(action.string_at(0), "click");
  EXPECT_EQ(action.string_at(1), "hover");
  EXPECT_EQ(action.string_at(2), "scroll");
  EXPECT_EQ(target.string_at(1), "img");
  EXPECT_TRUE(target.is_null(2));  // missing member -> NULL
  EXPECT_EQ(time.int64_at(0), ts("2024-05-01T00:00:01Z"));
  EXPECT_TRUE(time.is_null(1));
  EXPECT_EQ(time.int64_at(2), ts("2024-05-01T00:00:03Z"));
  for (int32_t row = 0; row < 3; ++row) {
    EXPECT_EQ(index.int32_at(row), row);
    EXPECT_EQ(r.out.columns[r.out.column_index("session_id")].string_at(row), "s9");
    EXPECT_EQ(r.out.columns[r.out.column_index("TTI")].double_at(row), 1.5);
    EXPECT_EQ(r.out.columns[r.out.column_index("TTAR")].double_at(row), 2.5);
    EXPECT_EQ(r.out.columns[r.out.column_index("ingest_timestamp")].int64_at(row), kIngest);
    EXPECT_EQ(r.out.columns[r.out.column_index("source_type")].string_at(row), "clickstream");
  }
}

TEST(Flatten, PrefixedColumnsAreFilled) {
  Parser p(clickstream_schema(), clickstream_transforms("action_"), LimitsConfig{});
  ParseRun r;
  run(p,
      {R"({"session_id":"s","page_url":"/a","timestamp":"2024-05-01T00:00:00Z",)"
       R"("user_actions":[{"action":"click","target":"t1"},{"action":"view","target":"t2"}]})"},
      r);
  ASSERT_EQ(r.out.rows(), 2u);
  EXPECT_EQ(r.out.columns[r.out.column_index("action_action")].string_at(1), "view");
  EXPECT_EQ(r.out.columns[r.out.column_index("action_target")].string_at(0), "t1");
}

TEST(Defaults, MissingTtiBecomesZeroNullTtiStaysNull) {
  Parser p(clickstream_schema(), clickstream_transforms(), LimitsConfig{});
  ParseRun r;
  run(p,
      {R"({"session_id":"s","page_url":"/a","timestamp":"2024-05-01T00:00:00Z","TTAR":7})",
       R"({"session_id":"s","page_url":"/a","timestamp":"2024-05-01T00:00:00Z","TTI":null})"},
      r);
  ASSERT_EQ(r.out.rows(), 2u);
  const auto& tti = r.out.columns[r.out.column_index("TTI")];
  ASSERT_FALSE(tti.is_null(0));
  EXPECT_EQ(tti.double_at(0), 0.0);
  EXPECT_TRUE(tti.is_null(1));  // explicit null on a nullable field
  EXPECT_TRUE(r.out.columns[r.out.column_index("TTAR")].is_null(1));
  EXPECT_EQ(r.out.columns[r.out.column_index("TTAR")].double_at(0), 7.0);
}

TEST(Defaults, NonNullableNullTakesDefaultOfEachType) {
  Schema s;
  auto add = [&](const char* name, FieldType type, const char* def) {
    Field f = testing::make_field(name, type);
    f.nullable = false;
    f.default_value = def;
    if (type == FieldType::kEnum) f.constraints.allowed = {"a", "b"};
    s.fields.push_back(f);
  };
  add("i32", FieldType::kInt32, "-7");
  add("i64", FieldType::kInt64, "9000000000");
  add("d", FieldType::kDouble, "2.5");
  add("b", FieldType::kBool, "true");
  add("t", FieldType::kTimestamp, "2024-01-02T03:04:05Z");
  add("e", FieldType::kEnum, "b");
  add("str", FieldType::kString, "dflt");
  Parser p(s, TransformsConfig{}, LimitsConfig{});
  ParseRun r;
  run(p, {R"({"i32":null,"i64":null,"d":null,"b":null,"t":null,"e":null,"str":null})", "{}"}, r);
  ASSERT_TRUE(r.rejects.empty()) << r.rejects[0].message;
  ASSERT_EQ(r.out.rows(), 2u);
  for (size_t row = 0; row < 2; ++row) {
    EXPECT_EQ(r.out.columns[0].int32_at(row), -7);
    EXPECT_EQ(r.out.columns[1].int64_at(row), 9000000000);
    EXPECT_EQ(r.out.columns[2].double_at(row), 2.5);
    EXPECT_TRUE(r.out.columns[3].bool_at(row));
    EXPECT_EQ(r.out.columns[4].int64_at(row), ts("2024-01-02T03:04:05Z"));
    EXPECT_EQ(r.out.columns[5].string_at(row), "b");
    EXPECT_EQ(r.out.columns[6].string_at(row), "dflt");
  }
}

TEST(Values, ScalarTypesAndEscapes) {
  Schema s;
  s.fields.push_back(testing::make_field("i32", FieldType::kInt32));
  s.fields.push_back(testing::make_field("i64", FieldType::kInt64));
  s.fields.push_back(testing::make_field("b", FieldType::kBool));
  s.fields.push_back(testing::make_field("str", FieldType::kString));
  Parser p(s, TransformsConfig{}, LimitsConfig{});
  ParseRun r;
  run(p, {R"({"i32":-2147483648,"i64":-9223372036854775807,"b":false,"str":"a\"b\u00e9\n"})"}, r);
  ASSERT_TRUE(r.rejects.empty()) << r.rejects[0].message;
  EXPECT_EQ(r.out.columns[0].int32_at(0), INT32_MIN);
  EXPECT_EQ(r.out.columns[1].int64_at(0), -9223372036854775807LL);
  EXPECT_FALSE(r.out.columns[2].bool_at(0));
  EXPECT_FALSE(r.out.columns[2].is_null(0));
  EXPECT_EQ(r.out.columns[3].string_at(0), "a\"b\xc3\xa9\n");
}

TEST(Values, TimestampFormsAndEpochUnits) {
  Schema s;
  Field ms = testing::make_field("ms", FieldType::kTimestamp);
  Field sec = testing::make_field("sec", FieldType::kTimestamp);
  sec.epoch_unit = EpochUnit::kSeconds;
  Field us = testing::make_field("us", FieldType::kTimestamp);
  us.epoch_unit = EpochUnit::kMicros;
  s.fields = {ms, sec, us};
  Parser p(s, TransformsConfig{}, LimitsConfig{});
  ParseRun r;
  run(p,
      {R"({"ms":1714564800123,"sec":1714564800.5,"us":1714564800123456})",
       R"({"ms":"2024-05-01T14:00:00.123+02:00","sec":"2024-05-01","us":"2024-05-01T12:00:00.123456Z"})"},
      r);
  ASSERT_TRUE(r.rejects.empty()) << r.rejects[0].message;
  EXPECT_EQ(r.out.columns[0].int64_at(0), 1714564800123000);
  EXPECT_EQ(r.out.columns[1].int64_at(0), 1714564800500000);
  EXPECT_EQ(r.out.columns[2].int64_at(0), 1714564800123456);
  EXPECT_EQ(r.out.columns[0].int64_at(1), 1714564800123000);
  EXPECT_EQ(r.out.columns[1].int64_at(1), ts("2024-05-01T00:00:00Z"));
  EXPECT_EQ(r.out.columns[2].int64_at(1), 1714564800123456);
}

TEST(Values, StructMembersAbsentOrNullGiveNulls) {
  Parser p(testing::iot_schema(), TransformsConfig{}, LimitsConfig{});
  ParseRun r;
  run(p, read_lines(fixture("iot_pass.ndjson")), r);
  ASSERT_TRUE(r.rejects.empty()) << r.rejects[0].field << " " << r.rejects[0].message;
  ASSERT_EQ(r.out.rows(), 5u);
  const auto& loc = r.out.columns[r.out.column_index("metadata_location")];
  const auto& fw = r.out.columns[r.out.column_index("metadata_firmware")];
  const auto& status = r.out.columns[r.out.column_index("status")];
  EXPECT_EQ(loc.string_at(0), "zone-A");
  EXPECT_EQ(fw.string_at(0), "v1.2.3");
  EXPECT_TRUE(loc.is_null(1));  // metadata absent
  EXPECT_TRUE(status.is_null(1));
  EXPECT_TRUE(loc.is_null(2));  // metadata null
  EXPECT_EQ(loc.string_at(3), "zone-E");
  EXPECT_TRUE(fw.is_null(3));
  EXPECT_EQ(r.out.columns[r.out.column_index("timestamp")].int64_at(0), 1714564800123000);
  EXPECT_EQ(r.out.columns[r.out.column_index("timestamp")].int64_at(4), 1714564800123000);
  EXPECT_EQ(r.out.columns[r.out.column_index("event_duration")].double_at(3), 1000.0);
}

TEST(Fixtures, ClickstreamPassAllAccepted) {
  Parser p(clickstream_schema(), clickstream_transforms(), LimitsConfig{});
  ParseRun r;
  auto lines = read_lines(fixture("clickstream_pass.ndjson"));
  run(p, lines, r);
  for (const auto& rej : r.rejects) ADD_FAILURE() << rej.record_index << " " << rej.message;
  EXPECT_EQ(r.stats.records_in, static_cast<int64_t>(lines.size()));
  EXPECT_EQ(r.stats.records_accepted, static_cast<int64_t>(lines.size()));
  // Rows: 1 + 3 + 1 + 1 + 1 + 2 + 1.
  EXPECT_EQ(r.out.rows(), 10u);
  EXPECT_EQ(r.stats.rows_out, 10);
  const auto& url = r.out.columns[r.out.column_index("page_url")];
  EXPECT_EQ(url.string_at(6), "/caf\xc3\xa9");  // \u00e9 unescaped
  EXPECT_EQ(url.string_at(7), "/\xc3\xbc\xe4\xb8\xad");
  EXPECT_EQ(url.string_at(8), "/\xc3\xbc\xe4\xb8\xad");
  const auto& tti = r.out.columns[r.out.column_index("TTI")];
  EXPECT_EQ(tti.double_at(4), 0.0);  // missing TTI -> default
  EXPECT_TRUE(tti.is_null(5));       // explicit null stays NULL
  EXPECT_EQ(r.out.columns[r.out.column_index("timestamp")].int64_at(4), 1714564800000000);
}

TEST(Fixtures, UserEventsPassAllAccepted) {
  Parser p(testing::user_events_schema(), TransformsConfig{}, LimitsConfig{});
  ParseRun r;
  run(p, read_lines(fixture("user_events_pass.ndjson")), r);
  EXPECT_TRUE(r.rejects.empty());
  ASSERT_EQ(r.out.rows(), 5u);
  EXPECT_EQ(r.out.columns[1].string_at(2), "purchase");
  EXPECT_TRUE(r.out.columns[3].is_null(1));
  EXPECT_EQ(r.out.columns[2].int64_at(2), 1714564800123000);
}

}  // namespace
}  // namespace sluice
