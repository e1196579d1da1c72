// Text formats, happy paths: the pass fixtures of every format
// (tests/fixtures/text/*_pass.log, one corner per line), the time and escape
// readers they rely on, nginx log_format compilation, and the access-log
// scanner against an RE2 reference pattern.
#include <re2/re2.h>

#include "text_test_util.h"
#include "transforms/parse/text/escapes.h"
#include "transforms/parse/text/log_time.h"
#include "transforms/parse/text/nginx_log.h"

namespace sluice {
namespace {

using namespace testing;
using parse::text::TimeContext;
using parse::text::TimeFormat;

constexpr const char* kNginxFormat =
    R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
    R"("$http_referer" "$http_user_agent" $request_time $upstream_response_time )"
    R"("$http_x_forwarded_for")";

Schema nginx_schema() {
  return schema_of({{"client", FieldType::kString},
                    {"user", FieldType::kString},
                    {"timestamp", FieldType::kTimestamp},
                    {"request", FieldType::kString},
                    {"method", FieldType::kString},
                    {"path", FieldType::kString},
                    {"query", FieldType::kString},
                    {"protocol", FieldType::kString},
                    {"status", FieldType::kInt32},
                    {"bytes", FieldType::kInt64},
                    {"referer", FieldType::kString},
                    {"user_agent", FieldType::kString},
                    {"request_time", FieldType::kDouble},
                    {"upstream_response_time", FieldType::kString},
                    {"forwarded_for", FieldType::kString}});
}

Schema syslog_schema() {
  return schema_of({{"priority", FieldType::kInt32},
                    {"facility", FieldType::kString},
                    {"severity", FieldType::kString},
                    {"version", FieldType::kInt32},
                    {"timestamp", FieldType::kTimestamp},
                    {"hostname", FieldType::kString},
                    {"app_name", FieldType::kString},
                    {"procid", FieldType::kString},
                    {"msgid", FieldType::kString},
                    {"structured_data", FieldType::kString},
                    {"message", FieldType::kString}});
}

// An Apache error log ("[Sun Mar 02 04:47:44 2025] [notice] ...") as a regex.
TextFormatConfig error_log_regex() {
  TextFormatConfig t;
  t.pattern =
      R"(\[(?P<timestamp>[^\]]+)\] \[(?P<level>[a-z]+)\] (?:\[client (?P<client>[^\]]+)\] )?)"
      R"((?P<message>.*))";
  t.time_format = "%a %b %d %H:%M:%S %Y";
  return t;
}

Schema error_log_schema() {
  Schema s = schema_of({{"timestamp", FieldType::kTimestamp},
                        {"level", FieldType::kEnum},
                        {"client", FieldType::kString},
                        {"message", FieldType::kString}});
  s.fields[1].constraints.allowed = {"emerg", "alert",  "crit", "error",
                                     "warn",  "notice", "info", "debug"};
  return s;
}

int64_t ts(const char* iso) {
  return *parse_iso8601(iso);
}

TEST(TextFixtures, ApacheCombinedPass) {
  Parser p(access_schema(), {}, {}, InputFormat::kApacheCombined);
  check_pass_fixture(p, "apache_combined");
}

TEST(TextFixtures, ApacheCommonPass) {
  Parser p(access_schema(false), {}, {}, InputFormat::kApacheCommon);
  check_pass_fixture(p, "apache_common");
}

TEST(TextFixtures, NginxPass) {
  TextFormatConfig t;
  t.log_format = kNginxFormat;
  Parser p(nginx_schema(), {}, {}, InputFormat::kNginx, t);
  check_pass_fixture(p, "nginx");
}

TEST(TextFixtures, SyslogPass) {
  Parser p(syslog_schema(), {}, {}, InputFormat::kSyslog);
  check_pass_fixture(p, "syslog");
}

TEST(TextFixtures, RegexPass) {
  Parser p(error_log_schema(), {}, {}, InputFormat::kRegex, error_log_regex());
  check_pass_fixture(p, "regex");
}

TEST(TextLines, CrlfEndingIsDropped) {
  Parser p(access_schema(), {}, {}, InputFormat::kApacheCombined);
  TextRun r = parse_text(
      p, {"192.0.2.1 - - [03/Mar/2025:09:15:02 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"ua\"\r"});
  ASSERT_EQ(r.out.rows(), 1u);
  EXPECT_EQ(cell(r.out, "user_agent", 0), "ua");
}

TEST(TextLines, OutputColumnsFollowTheSchemaAndMetadata) {
  TransformsConfig t;
  t.add_fields.ingest_timestamp_column = "ingest_timestamp";
  t.add_fields.source_type = "access_log";
  Parser p(schema_of({{"status", FieldType::kInt32}, {"client", FieldType::kString}}), t, {},
           InputFormat::kApacheCombined);
  ASSERT_EQ(p.output_schema().size(), 4u);
  TextRun r = parse_text(
      p, {"192.0.2.1 - - [03/Mar/2025:09:15:02 +0000] \"GET / HTTP/1.1\" 503 5 \"-\" \"ua\""});
  ASSERT_EQ(r.out.rows(), 1u);
  EXPECT_EQ(cell(r.out, "status", 0), 503);
  EXPECT_EQ(cell(r.out, "client", 0), "192.0.2.1");
  EXPECT_EQ(r.out.columns[2].int64_at(0), kTextIngest);
  EXPECT_EQ(cell(r.out, "source_type", 0), "access_log");
}

TEST(TextLines, DashFieldTakesTheDefault) {
  Schema s = schema_of({{"bytes", FieldType::kInt64}, {"user", FieldType::kString}});
  s.fields[0].default_value = "0";
  Parser p(s, {}, {}, InputFormat::kApacheCombined);
  TextRun r = parse_text(
      p, {"192.0.2.1 - - [03/Mar/2025:09:15:02 +0000] \"GET / HTTP/1.1\" 304 - \"-\" \"ua\""});
  ASSERT_EQ(r.out.rows(), 1u);
  EXPECT_EQ(cell(r.out, "bytes", 0), 0);
  EXPECT_EQ(cell(r.out, "user", 0), nullptr);
}

TEST(TextLines, SyslogFacilityAndSeverityAsNumbers) {
  Parser p(schema_of({{"facility", FieldType::kInt32}, {"severity", FieldType::kInt32}}), {}, {},
           InputFormat::kSyslog);
  TextRun r = parse_text(p, {"<165>1 2003-10-11T22:14:15.003Z h app - - - msg"});
  ASSERT_EQ(r.out.rows(), 1u);
  EXPECT_EQ(cell(r.out, "facility", 0), 20);
  EXPECT_EQ(cell(r.out, "severity", 0), 5);
}

TEST(TextLines, SyslogAliasesBindToo) {
  Parser p(
      schema_of(
          {{"tag", FieldType::kString}, {"pid", FieldType::kInt64}, {"msg", FieldType::kString}}),
      {}, {}, InputFormat::kSyslog);
  TextRun r = parse_text(p, {"Mar  1 00:00:01 host sshd[24200]: Invalid user admin"});
  ASSERT_EQ(r.out.rows(), 1u);
  EXPECT_EQ(cell(r.out, "tag", 0), "sshd");
  EXPECT_EQ(cell(r.out, "pid", 0), 24200);
  EXPECT_EQ(cell(r.out, "msg", 0), "Invalid user admin");
}

TEST(TextLines, SyslogYearFromTheIngestTime) {
  Parser p(schema_of({{"timestamp", FieldType::kTimestamp}}), {}, {}, InputFormat::kSyslog);
  const std::vector<std::string> lines = {"Dec 31 23:59:59 h a: x", "Jan  1 00:00:01 h a: x"};
  // Read on New Year's morning: December is last year's.
  TextRun jan = parse_text(p, lines, ts("2026-01-01T00:00:05Z"));
  EXPECT_EQ(cell(jan.out, "timestamp", 0), "2025-12-31T23:59:59.000000Z");
  EXPECT_EQ(cell(jan.out, "timestamp", 1), "2026-01-01T00:00:01.000000Z");
  // Read on New Year's Eve: January's line comes from a clock a little ahead.
  TextRun dec = parse_text(p, lines, ts("2025-12-31T23:59:58Z"));
  EXPECT_EQ(cell(dec.out, "timestamp", 0), "2025-12-31T23:59:59.000000Z");
  EXPECT_EQ(cell(dec.out, "timestamp", 1), "2026-01-01T00:00:01.000000Z");
  // Read in the summer: both are this year's.
  TextRun jul = parse_text(p, lines, ts("2025-07-01T00:00:00Z"));
  EXPECT_EQ(cell(jul.out, "timestamp", 0), "2024-12-31T23:59:59.000000Z");
  EXPECT_EQ(cell(jul.out, "timestamp", 1), "2025-01-01T00:00:01.000000Z");
}

TEST(TextLines, SyslogFixedYearAndZone) {
  TextFormatConfig t;
  t.year = 2005;
  t.utc_offset_minutes = 120;
  Parser p(schema_of({{"timestamp", FieldType::kTimestamp}}), {}, {}, InputFormat::kSyslog, t);
  TextRun r = parse_text(p, {"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass"});
  ASSERT_EQ(r.out.rows(), 1u);
  EXPECT_EQ(cell(r.out, "timestamp", 0), "2005-06-14T13:16:01.000000Z");
}

TEST(TextLines, RegexTimeFormatWithoutSeparators) {
  // HDFS-style "081109 203615 148 INFO dfs.DataNode$PacketResponder: ..."
  TextFormatConfig t;
  t.pattern = R"((?P<timestamp>\d{6} \d{6}) (?P<pid>\d+) (?P<level>[A-Z]+) (?P<component>\S+): )"
              R"((?P<message>.*?blk_(?P<block>-?\d+).*))";
  t.time_format = "%y%m%d %H%M%S";
  Parser p(schema_of({{"timestamp", FieldType::kTimestamp},
                      {"pid", FieldType::kInt32},
                      {"component", FieldType::kString},
                      {"block", FieldType::kInt64}}),
           {}, {}, InputFormat::kRegex, t);
  TextRun r = parse_text(
      p, {"081109 203807 222 INFO dfs.DataNode$PacketResponder: PacketResponder 0 for block "
          "blk_-6952295868487656571 terminating"});
  ASSERT_EQ(r.out.rows(), 1u) << (r.rejects.empty() ? "" : r.rejects[0].message);
  EXPECT_EQ(cell(r.out, "timestamp", 0), "2008-11-09T20:38:07.000000Z");
  EXPECT_EQ(cell(r.out, "pid", 0), 222);
  EXPECT_EQ(cell(r.out, "component", 0), "dfs.DataNode$PacketResponder");
  EXPECT_EQ(cell(r.out, "block", 0), -6952295868487656571LL);
}

TEST(TextLines, RegexUnmatchedOptionalGroupIsMissing) {
  Parser p(error_log_schema(), {}, {}, InputFormat::kRegex, error_log_regex());
  TextRun r = parse_text(p, {"[Sun Mar 02 04:47:44 2025] [info] no client here"});
  ASSERT_EQ(r.out.rows(), 1u);
  EXPECT_EQ(cell(r.out, "client", 0), nullptr);
}

TEST(NginxFormat, VariableNamesBindAsAliases) {
  TextFormatConfig t;
  t.log_format = "${remote_addr} [$time_iso8601] $status $upstream_addr";
  Parser p(schema_of({{"remote_addr", FieldType::kString},
                      {"status", FieldType::kInt32},
                      {"upstream_addr", FieldType::kString}}),
           {}, {}, InputFormat::kNginx, t);
  TextRun r = parse_text(p, {"10.0.0.1 [2025-04-04T10:00:00+02:00] 200 10.1.1.1:80"});
  ASSERT_EQ(r.out.rows(), 1u) << (r.rejects.empty() ? "" : r.rejects[0].message);
  EXPECT_EQ(cell(r.out, "remote_addr", 0), "10.0.0.1");
  EXPECT_EQ(cell(r.out, "status", 0), 200);
  EXPECT_EQ(cell(r.out, "upstream_addr", 0), "10.1.1.1:80");
}

TEST(NginxFormat, IsoAndEpochTimestamps) {
  for (const char* format : {"$time_iso8601 $status", "$msec $status"}) {
    TextFormatConfig t;
    t.log_format = format;
    Parser p(schema_of({{"timestamp", FieldType::kTimestamp}}), {}, {}, InputFormat::kNginx, t);
    const std::string line = std::string(format).starts_with("$msec")
                                 ? "1743753600.250 200"
                                 : "2025-04-04T10:00:00.250+02:00 200";
    TextRun r = parse_text(p, {line});
    ASSERT_EQ(r.out.rows(), 1u) << format;
    EXPECT_EQ(cell(r.out, "timestamp", 0), std::string(format).starts_with("$msec")
                                               ? "2025-04-04T08:00:00.250000Z"
                                               : "2025-04-04T08:00:00.250000Z")
        << format;
  }
}

TEST(NginxFormat, CompilesDefaultCombinedLikeApache) {
  TextFormatConfig t;
  t.log_format = R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
                 R"("$http_referer" "$http_user_agent")";
  Schema s = access_schema();
  s.fields.erase(s.fields.begin(), s.fields.begin() + 2);  // no vhost, forwarded_for
  std::erase_if(s.fields,
                [](const Field& f) { return f.name == "ident" || f.name == "request_time"; });
  Parser nginx(s, {}, {}, InputFormat::kNginx, t);
  Parser apache(s, {}, {}, InputFormat::kApacheCombined);
  const std::vector<std::string> lines = {
      R"(203.0.113.1 - - [04/Apr/2025:10:00:00 +0000] "GET /a?b=c HTTP/1.1" 200 10 "-" "ua 1")",
      R"(2001:db8::1 - bob [04/Apr/2025:10:00:01 -0500] "-" 408 - "https://r/" "-")"};
  TextRun a = parse_text(nginx, lines);
  TextRun b = parse_text(apache, lines);
  ASSERT_EQ(a.out.rows(), 2u);
  ASSERT_EQ(b.out.rows(), 2u);
  for (size_t row = 0; row < 2; ++row) {
    for (const Field& f : s.fields) {
      EXPECT_EQ(cell(a.out, f.name, row), cell(b.out, f.name, row)) << f.name << " row " << row;
    }
  }
}

// The scanner agrees with a plain RE2 reading of the combined format on the
// pass fixture's lines that the reference pattern covers.
TEST(AccessLogScanner, AgreesWithRe2Reference) {
  static const RE2 kCombined(
      R"re((?P<client>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<timestamp>[^\]]+)\] )re"
      R"re("(?P<method>[A-Z]+) (?P<path>[^ ?"]+)(?:\?(?P<query>[^ "]*))? (?P<protocol>HTTP/[0-9.]+)" )re"
      R"re((?P<status>\d{3}) (?P<bytes>\d+|-) "(?P<referer>[^"\\]*)" "(?P<user_agent>[^"\\]*)")re");
  ASSERT_TRUE(kCombined.ok());
  Parser p(access_schema(), {}, {}, InputFormat::kApacheCombined);
  const auto lines = read_lines(text_fixture("apache_combined_pass.log"));
  TextRun r = parse_text(p, lines);
  ASSERT_EQ(r.out.rows(), lines.size());
  size_t compared = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string client, ident, user, stamp, method, path, query, protocol, status, bytes, referer,
        agent;
    if (!RE2::FullMatch(lines[i], kCombined, &client, &ident, &user, &stamp, &method, &path, &query,
                        &protocol, &status, &bytes, &referer, &agent)) {
      continue;
    }
    ++compared;
    auto text_or_null = [](const std::string& s) -> nlohmann::json {
      return s.empty() || s == "-" ? nlohmann::json(nullptr) : nlohmann::json(s);
    };
    EXPECT_EQ(cell(r.out, "client", i), client) << i;
    EXPECT_EQ(cell(r.out, "user", i), text_or_null(user)) << i;
    int64_t micros = 0;
    ASSERT_TRUE(parse::text::parse_clf_time(stamp, micros));
    EXPECT_EQ(cell(r.out, "timestamp", i), format_iso8601(micros)) << i;
    EXPECT_EQ(cell(r.out, "method", i), method) << i;
    EXPECT_EQ(cell(r.out, "path", i), path) << i;
    EXPECT_EQ(cell(r.out, "query", i), text_or_null(query)) << i;
    EXPECT_EQ(cell(r.out, "protocol", i), protocol) << i;
    EXPECT_EQ(cell(r.out, "status", i), std::stoi(status)) << i;
    EXPECT_EQ(cell(r.out, "bytes", i),
              bytes == "-" ? nlohmann::json(nullptr) : nlohmann::json(std::stoll(bytes)))
        << i;
    EXPECT_EQ(cell(r.out, "referer", i), text_or_null(referer)) << i;
    EXPECT_EQ(cell(r.out, "user_agent", i), text_or_null(agent)) << i;
  }
  EXPECT_GE(compared, 8u);
}

TEST(LogTime, CommonLogFormat) {
  int64_t us = 0;
  ASSERT_TRUE(parse::text::parse_clf_time("10/Oct/2000:13:55:36 -0700", us));
  EXPECT_EQ(format_iso8601(us), "2000-10-10T20:55:36.000000Z");
  ASSERT_TRUE(parse::text::parse_clf_time("10/Oct/2000:13:55:36.5 +01:00", us));
  EXPECT_EQ(format_iso8601(us), "2000-10-10T12:55:36.500000Z");
  ASSERT_TRUE(parse::text::parse_clf_time("29/Feb/2024:00:00:00 +0000", us));
  for (const char* bad : {"29/Feb/2025:00:00:00 +0000", "10/Oct/2000:13:55:36", "10/Oct/2000",
                          "1/Oct/2000:13:55:36 +0000", "10/Oct/2000:24:00:00 +0000",
                          "10/Oct/2000:13:55:36 +2400", "10/oct/2000:13:55:36 +0000x"}) {
    EXPECT_FALSE(parse::text::parse_clf_time(bad, us)) << bad;
  }
}

TEST(LogTime, FractionDigitsAreADecimalFraction) {
  // ".138633" is 0.138633 s (not 138633 ns): with %f after a dot, and in
  // the fixed layouts, with 1 to 9 digits.
  TimeContext ctx;
  int64_t us = 0;
  TimeFormat f("%Y-%m-%d %H:%M:%S.%f");
  ASSERT_TRUE(f.parse("2025-01-02 03:04:05.138633", ctx, us));
  EXPECT_EQ(format_iso8601(us), "2025-01-02T03:04:05.138633Z");
  ASSERT_TRUE(f.parse("2025-01-02 03:04:05.1", ctx, us));
  EXPECT_EQ(format_iso8601(us), "2025-01-02T03:04:05.100000Z");
  ASSERT_TRUE(f.parse("2025-01-02 03:04:05.123456789", ctx, us));
  EXPECT_EQ(format_iso8601(us), "2025-01-02T03:04:05.123456Z");
  EXPECT_FALSE(f.parse("2025-01-02 03:04:05", ctx, us));
  ctx.reference_micros = ts("2025-06-01T00:00:00Z");
  ASSERT_TRUE(parse::text::parse_bsd_time("Jun  1 00:00:00.138633", ctx, us));
  EXPECT_EQ(format_iso8601(us), "2025-06-01T00:00:00.138633Z");
}

TEST(LogTime, TimeFormats) {
  TimeContext ctx;
  ctx.reference_micros = ts("2025-06-01T00:00:00Z");
  int64_t us = 0;
  ASSERT_TRUE(TimeFormat("%a %b %d %H:%M:%S %Y").parse("Sun Dec 04 04:47:44 2005", ctx, us));
  EXPECT_EQ(format_iso8601(us), "2005-12-04T04:47:44.000000Z");
  ASSERT_TRUE(TimeFormat("%d/%B/%Y:%T %z").parse("04/December/2005:04:47:44 -0130", ctx, us));
  EXPECT_EQ(format_iso8601(us), "2005-12-04T06:17:44.000000Z");
  ASSERT_TRUE(TimeFormat("%s").parse("1733288864", ctx, us));
  EXPECT_EQ(format_iso8601(us), "2024-12-04T05:07:44.000000Z");
  // No year: inferred like syslog's; a space matches padding.
  ASSERT_TRUE(TimeFormat("%b %e %T").parse("May  9 10:00:00", ctx, us));
  EXPECT_EQ(format_iso8601(us), "2025-05-09T10:00:00.000000Z");
  // No zone: the context's.
  ctx.utc_offset_minutes = -60;
  ASSERT_TRUE(TimeFormat("%Y-%m-%dT%H:%M:%S").parse("2025-01-01T00:00:00", ctx, us));
  EXPECT_EQ(format_iso8601(us), "2025-01-01T01:00:00.000000Z");
  EXPECT_FALSE(TimeFormat("%Y-%m-%d").parse("2025-02-30", ctx, us));
  EXPECT_FALSE(TimeFormat("%Y-%m-%d").parse("2025-01-01 trailing", ctx, us));
  EXPECT_THROW(TimeFormat("%Y-%Q"), std::invalid_argument);
  EXPECT_THROW(TimeFormat("%Y%"), std::invalid_argument);
}

TEST(Escapes, DecodesApacheAndNginxEscapes) {
  auto decode = [](std::string_view s) {
    std::string out(s.size(), '\0');
    out.resize(parse::text::decode_escapes(s, out.data()));
    return out;
  };
  EXPECT_EQ(decode(R"(a\"b\\c)"), "a\"b\\c");
  EXPECT_EQ(decode(R"(\x22x\x5C)"), "\"x\\");
  EXPECT_EQ(decode(R"(caf\xc3\xa9)"), "caf\xc3\xa9");
  EXPECT_EQ(decode(R"(tab\tnl\n)"), "tab\tnl\n");
  EXPECT_EQ(decode(R"(keep\q and \xZZ and end\)"), R"(keep\q and \xZZ and end\)");
}

}  // namespace
}  // namespace sluice
