// Text formats, error paths: every fail fixture line is rejected with its
// rule, field and reason (never a crash, never a partial row), oversized
// lines, and the configurations a text parser refuses at construction.
#include "text_test_util.h"

namespace sluice {
namespace {

using namespace testing;

constexpr const char* kNginxFormat =
    R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
    R"("$http_referer" "$http_user_agent" $request_time $upstream_response_time )"
    R"("$http_x_forwarded_for")";

TEST(TextFailFixtures, ApacheCombined) {
  Parser p(access_schema(), {}, {}, InputFormat::kApacheCombined);
  check_fail_fixture(p, "apache_combined", "apache_combined");
}

TEST(TextFailFixtures, ApacheCommon) {
  Parser p(access_schema(false), {}, {}, InputFormat::kApacheCommon);
  check_fail_fixture(p, "apache_common", "apache_common");
}

TEST(TextFailFixtures, Nginx) {
  TextFormatConfig t;
  t.log_format = kNginxFormat;
  Parser p(schema_of({{"client", FieldType::kString},
                      {"timestamp", FieldType::kTimestamp},
                      {"status", FieldType::kInt32},
                      {"request_time", FieldType::kDouble}}),
           {}, {}, InputFormat::kNginx, t);
  check_fail_fixture(p, "nginx", "nginx");
}

TEST(TextFailFixtures, Syslog) {
  Parser p(schema_of({{"timestamp", FieldType::kTimestamp}, {"message", FieldType::kString}}), {},
           {}, InputFormat::kSyslog);
  check_fail_fixture(p, "syslog", "syslog");
}

TEST(TextFailFixtures, Regex) {
  TextFormatConfig t;
  t.pattern =
      R"(\[(?P<timestamp>[^\]]+)\] \[(?P<level>[a-z]+)\] (?:\[client (?P<client>[^\]]+)\] )?)"
      R"((?P<message>.*))";
  t.time_format = "%a %b %d %H:%M:%S %Y";
  Schema s = schema_of({{"timestamp", FieldType::kTimestamp},
                        {"level", FieldType::kEnum},
                        {"message", FieldType::kString}});
  s.fields[1].constraints.allowed = {"error", "notice"};
  Parser p(s, {}, {}, InputFormat::kRegex, t);
  check_fail_fixture(p, "regex", "regex");
}

TEST(TextLimits, LineOverTheLimitIsRejected) {
  LimitsConfig limits;
  limits.max_record_bytes = 100;
  Parser p(access_schema(), {}, limits, InputFormat::kApacheCombined);
  const std::string ok =
      R"(192.0.2.1 - - [03/Mar/2025:09:15:02 +0000] "GET / HTTP/1.1" 200 5 "-" "ua")";
  const std::string big = R"(192.0.2.1 - - [03/Mar/2025:09:15:02 +0000] "GET /)" +
                          std::string(200, 'a') + R"( HTTP/1.1" 200 5 "-" "ua")";
  TextRun r = parse_text(p, {ok, big, ok});
  EXPECT_EQ(r.out.rows(), 2u);
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].record_index, 1u);
  EXPECT_EQ(r.rejects[0].rule, "record_size");
}

TEST(TextLimits, RejectedLineLeavesNoPartialRow) {
  // The status passes, the timestamp after it fails: nothing of the line stays.
  Parser p(access_schema(), {}, {}, InputFormat::kApacheCombined);
  TextRun r = parse_text(
      p, {R"(192.0.2.1 - - [03/Mar/2025:09:15:02 +0000] "GET / HTTP/1.1" 200 5 "-" "ua")",
          R"(192.0.2.2 - - [33/Mar/2025:09:15:02 +0000] "GET / HTTP/1.1" 200 5 "-" "ua")"});
  EXPECT_EQ(r.out.rows(), 1u);
  for (const Column& c : r.out.columns) EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(r.stats.records_rejected, 1);
  EXPECT_EQ(r.stats.records_accepted, 1);
}

TEST(TextConfig, FieldWithoutCaptureIsRefusedNamingTheCaptures) {
  try {
    Parser p(schema_of({{"status", FieldType::kInt32}, {"latency", FieldType::kDouble}}), {}, {},
             InputFormat::kApacheCombined);
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no capture fills field 'latency'"), std::string::npos) << what;
    EXPECT_NE(what.find("request_time"), std::string::npos) << what;
  }
}

TEST(TextConfig, NestedFieldsAreRefused) {
  Schema s = schema_of({{"status", FieldType::kInt32}});
  Field meta = make_field("meta", FieldType::kStruct);
  meta.children.push_back(make_field("x", FieldType::kString));
  s.fields.push_back(meta);
  EXPECT_THROW(Parser(s, {}, {}, InputFormat::kApacheCombined), std::invalid_argument);
}

TEST(TextConfig, BadFormatOptionsAreRefused) {
  const Schema s = schema_of({{"status", FieldType::kString}});
  auto refused = [&](InputFormat f, TextFormatConfig t) {
    EXPECT_THROW(Parser(s, {}, {}, f, t), std::invalid_argument);
  };
  refused(InputFormat::kNginx, {});                                     // no log_format
  refused(InputFormat::kNginx, TextFormatConfig{"no variables here"});  // nothing to capture
  refused(InputFormat::kNginx, TextFormatConfig{"$status$request"});    // adjacent
  refused(InputFormat::kNginx, TextFormatConfig{"${status"});           // unterminated
  refused(InputFormat::kNginx, TextFormatConfig{"$time_local $time_iso8601 $status"});  // twice
  refused(InputFormat::kRegex, {});                                            // no pattern
  refused(InputFormat::kRegex, TextFormatConfig{"", "(unclosed"});             // bad regex
  refused(InputFormat::kRegex, TextFormatConfig{"", "[0-9]+"});                // no named group
  refused(InputFormat::kRegex, TextFormatConfig{"", "(?P<status>.*)", "%Q"});  // bad time_format
}

}  // namespace
}  // namespace sluice
