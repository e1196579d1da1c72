// source.format and source.text: the text formats' keys, their defaults and
// the errors (file:line: key: message) a bad text configuration raises.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "core/error.h"

namespace sluice {
namespace {

const char* kAccess = R"(name: web
source:
  type: file
  format: apache_combined
  file: {path: access.log}
schema:
  timestamp_field: timestamp
  fields:
    - {name: client, type: string}
    - {name: timestamp, type: timestamp}
    - {name: status, type: int32}
sink:
  lake: {path: /tmp/lake}
)";

ConfigError expect_error(const std::string& yaml) {
  try {
    load_pipeline_from_string(yaml, "p.yaml");
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError for:\n" << yaml;
  return ConfigError("", 0, "", "");
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(TextConfig, AccessLogExampleLoads) {
  PipelineConfig c = load_pipeline(std::string(SLUICE_SOURCE_DIR) + "/examples/access_logs.yaml");
  EXPECT_EQ(c.source.format, InputFormat::kApacheCombined);
  EXPECT_EQ(c.lake.partition_by.size(), 4u);
  EXPECT_EQ(c.batch_jobs.at(0).name, "path_hourly");
}

TEST(TextConfig, FormatAndDefaults) {
  PipelineConfig c = load_pipeline_from_string(kAccess, "p.yaml");
  EXPECT_EQ(c.source.format, InputFormat::kApacheCombined);
  EXPECT_TRUE(c.source.kafka.split_lines);  // text: one record per line of a message
  EXPECT_EQ(c.source.text.utc_offset_minutes, 0);
  EXPECT_FALSE(c.source.text.year.has_value());
  PipelineConfig json = load_pipeline_from_string(
      replace(kAccess, "format: apache_combined", "format: json"), "p.yaml");
  EXPECT_EQ(json.source.format, InputFormat::kJson);
  EXPECT_FALSE(json.source.kafka.split_lines);
}

TEST(TextConfig, TextOptions) {
  std::string yaml = replace(kAccess, "format: apache_combined", R"(format: syslog
  text: {timezone: "-05:30", year: 2005}
  kafka: {brokers: b, topic: t, group: g, split_lines: false})");
  yaml = replace(yaml, "- {name: client, type: string}", "- {name: hostname, type: string}");
  yaml = replace(yaml, "- {name: status, type: int32}", "- {name: severity, type: int32}");
  PipelineConfig c = load_pipeline_from_string(yaml, "p.yaml");
  EXPECT_EQ(c.source.format, InputFormat::kSyslog);
  EXPECT_EQ(c.source.text.utc_offset_minutes, -330);
  EXPECT_EQ(c.source.text.year.value(), 2005);
  EXPECT_FALSE(c.source.kafka.split_lines);
}

TEST(TextConfig, Errors) {
  ConfigError e = expect_error(replace(kAccess, "apache_combined", "apache_xml"));
  EXPECT_EQ(e.key(), "source.format");
  EXPECT_EQ(e.line(), 4);

  // A field the format does not produce, caught when loading.
  e = expect_error(
      replace(kAccess, "- {name: status, type: int32}", "- {name: latency, type: double}"));
  EXPECT_EQ(e.key(), "source.format");
  EXPECT_NE(std::string(e.what()).find("no capture fills field 'latency'"), std::string::npos);

  e = expect_error(replace(kAccess, "apache_combined", "nginx"));
  EXPECT_EQ(e.key(), "source.text.log_format");

  e = expect_error(replace(kAccess, "format: apache_combined",
                           "format: nginx\n  text: {log_format: '$status$request'}"));
  EXPECT_EQ(e.key(), "source.format");
  EXPECT_NE(std::string(e.what()).find("no text between them"), std::string::npos);

  e = expect_error(
      replace(kAccess, "format: apache_combined", "format: regex\n  text: {pattern: '[0-9]+'}"));
  EXPECT_EQ(e.key(), "source.text.pattern");

  e = expect_error(
      replace(kAccess, "format: apache_combined",
              "format: regex\n  text: {pattern: '(?P<status>\\d+', time_format: '%Y'}"));
  EXPECT_EQ(e.key(), "source.text.pattern");

  e = expect_error(replace(kAccess, "format: apache_combined",
                           "format: apache_combined\n  text: {pattern: '(?P<status>\\d+)'}"));
  EXPECT_EQ(e.key(), "source.text.pattern");

  e = expect_error(
      replace(kAccess, "format: apache_combined", "format: json\n  text: {year: 2020}"));
  EXPECT_EQ(e.key(), "source.text");

  e = expect_error(replace(kAccess, "format: apache_combined",
                           "format: syslog\n  text: {timezone: Europe/Paris}"));
  EXPECT_EQ(e.key(), "source.text.timezone");

  e = expect_error(replace(kAccess, "format: apache_combined",
                           "format: apache_combined\n  text: {colour: red}"));
  EXPECT_EQ(e.key(), "source.text.colour");
}

}  // namespace
}  // namespace sluice
