#include <gtest/gtest.h>

#include <cstdlib>

#include "config/loader.h"
#include "core/error.h"

namespace sluice {
namespace {

const char* kMinimal = R"(name: t
source:
  type: file
  file: {path: in.ndjson}
schema:
  timestamp_field: ts
  fields:
    - {name: id, type: string, required: true}
    - {name: ts, type: timestamp}
sink:
  lake: {path: /tmp/lake}
)";

// Loads `yaml` and returns the ConfigError it raises; fails the test if none.
ConfigError expect_error(const std::string& yaml, const ConfigOverrides& o = {}) {
  try {
    load_pipeline_from_string(yaml, "p.yaml", o);
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

TEST(Config, ShippedExamplesLoad) {
  for (const char* name : {"clickstream", "user_events", "iot"}) {
    std::string path = std::string(SLUICE_SOURCE_DIR) + "/examples/" + name + ".yaml";
    PipelineConfig c = load_pipeline(path);
    EXPECT_EQ(c.name, name);
    EXPECT_EQ(c.lake.table, name);
    EXPECT_EQ(c.lake.partition_by.size(), 4u);
    EXPECT_EQ(c.schema.timestamp_field, "timestamp");
  }
  PipelineConfig click =
      load_pipeline(std::string(SLUICE_SOURCE_DIR) + "/examples/clickstream.yaml");
  ASSERT_TRUE(click.transforms.flatten.has_value());
  EXPECT_EQ(click.transforms.flatten->field, "user_actions");
  EXPECT_EQ(click.schema.find("TTI")->default_value.value(), "0");
  EXPECT_EQ(click.source.type, SourceType::kKafka);
}

TEST(Config, MinimalDefaults) {
  PipelineConfig c = load_pipeline_from_string(kMinimal, "p.yaml");
  EXPECT_EQ(c.lake.table, "t");
  EXPECT_EQ(c.lake.compression, Compression::kZstd);
  EXPECT_EQ(c.dlq.path, "/tmp/lake/_dlq/t.ndjson");
  EXPECT_TRUE(c.schema.fields[0].required);
  EXPECT_FALSE(c.schema.fields[0].nullable);
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
  ConfigError e = expect_error(
      replace(kMinimal, "  lake: {path: /tmp/lake}", "  lake: {path: /tmp/lake}\n  lakes: 1"));
  EXPECT_EQ(e.file(), "p.yaml");
  EXPECT_EQ(e.line(), 12);
  EXPECT_EQ(e.key(), "sink.lakes");
  EXPECT_NE(std::string(e.what()).find("unknown key"), std::string::npos);
}

TEST(Config, BadFieldTypeAndConstraints) {
  ConfigError t = expect_error(replace(kMinimal, "type: timestamp}", "type: timestmp}"));
  EXPECT_EQ(t.line(), 9);
  EXPECT_EQ(t.key(), "schema.fields(ts).type");
  ConfigError r = expect_error(replace(kMinimal, "required: true}", "required: true, regex: '('}"));
  EXPECT_EQ(r.key(), "schema.fields(id).regex");
  ConfigError m = expect_error(replace(kMinimal, "required: true}", "required: true, min: 3}"));
  EXPECT_EQ(m.key(), "schema.fields(id).min");
  ConfigError d = expect_error(
      replace(kMinimal, "{name: ts, type: timestamp}",
              "{name: ts, type: timestamp}\n    - {name: n, type: int32, default: abc}"));
  EXPECT_EQ(d.key(), "schema.fields(n).default");
  EXPECT_EQ(d.line(), 10);
  ConfigError e = expect_error(replace(kMinimal, "{name: ts, type: timestamp}",
                                       "{name: ts, type: timestamp}\n    - {name: e, type: enum}"));
  EXPECT_EQ(e.key(), "schema.fields(e).values");
}

TEST(Config, ListNeedsFlatten) {
  std::string yaml = replace(kMinimal, "{name: ts, type: timestamp}",
                             "{name: ts, type: timestamp}\n    - {name: l, type: list, fields: "
                             "[{name: a, type: string}]}");
  ConfigError e = expect_error(yaml);
  EXPECT_EQ(e.key(), "schema.fields(l)");
  EXPECT_EQ(e.line(), 10);
  PipelineConfig ok =
      load_pipeline_from_string(yaml + "transforms:\n  - {type: flatten, field: l}\n", "p.yaml");
  EXPECT_EQ(ok.transforms.flatten->prefix, "l_");
  ConfigError unknown = expect_error(yaml + "transforms:\n  - {type: explode, field: l}\n");
  EXPECT_EQ(unknown.key(), "transforms(explode).type");
}

TEST(Config, SyntaxErrorHasLine) {
  ConfigError e = expect_error("name: t\nsource: [unclosed\n");
  EXPECT_GE(e.line(), 2);
  EXPECT_EQ(e.key(), "(syntax)");
}

TEST(Config, MissingSectionsAndBadEnums) {
  EXPECT_EQ(expect_error(replace(kMinimal, "sink:\n  lake: {path: /tmp/lake}\n", "")).key(),
            "sink");
  EXPECT_EQ(expect_error(replace(kMinimal, "type: file", "type: ftp")).key(), "source.type");
  EXPECT_EQ(
      expect_error(replace(kMinimal, "{path: /tmp/lake}", "{path: /tmp/lake, compression: lz5}"))
          .key(),
      "sink.lake.compression");
  EXPECT_EQ(
      expect_error(replace(kMinimal, "{path: /tmp/lake}", "{path: /tmp/lake, table: ../x}")).key(),
      "sink.lake.table");
  EXPECT_EQ(expect_error(replace(kMinimal, "timestamp_field: ts", "timestamp_field: id")).key(),
            "schema.timestamp_field");
}

TEST(Config, EnvironmentAndOverrides) {
  ::setenv("SLUICE_TEST_LAKE", "/data/lake", 1);
  PipelineConfig c = load_pipeline_from_string(
      replace(kMinimal, "/tmp/lake", "\"${SLUICE_TEST_LAKE}\""), "p.yaml");
  EXPECT_EQ(c.lake.path, "/data/lake");
  ::unsetenv("SLUICE_TEST_UNSET");
  PipelineConfig d = load_pipeline_from_string(
      replace(kMinimal, "/tmp/lake", "\"${SLUICE_TEST_UNSET:-/fallback}\""), "p.yaml");
  EXPECT_EQ(d.lake.path, "/fallback");
  ConfigError e = expect_error(replace(kMinimal, "/tmp/lake", "\"${SLUICE_TEST_UNSET}\""));
  EXPECT_EQ(e.key(), "sink.lake.path");
  EXPECT_NE(std::string(e.what()).find("SLUICE_TEST_UNSET"), std::string::npos);

  PipelineConfig o = load_pipeline_from_string(
      kMinimal, "p.yaml", {{"sink.lake.path", "/over"}, {"source.file.follow", "true"}});
  EXPECT_EQ(o.lake.path, "/over");
  EXPECT_TRUE(o.source.file.follow);
  EXPECT_EQ(expect_error(kMinimal, {{"sink.lake.bogus", "1"}}).key(), "sink.lake.bogus");
  EXPECT_EQ(parse_override("a.b=c=d").second, "c=d");
  EXPECT_THROW(parse_override("novalue"), ConfigError);
}

TEST(Config, LakeEncoderKeys) {
  PipelineConfig d = load_pipeline_from_string(kMinimal, "p.yaml");
  EXPECT_EQ(d.lake.encoders, 0);  // one per core
  EXPECT_EQ(d.lake.max_open_files, 512);
  EXPECT_EQ(d.lake.encoder, LakeEncoder::kNative);
  EXPECT_EQ(d.lake.max_partition_buffer_bytes, 64LL << 20);
  EXPECT_EQ(d.lake.max_buffer_bytes, 256LL << 20);
  EXPECT_EQ(d.lake.max_queued_bytes, 128LL << 20);
  PipelineConfig c = load_pipeline_from_string(
      replace(kMinimal, "lake: {path: /tmp/lake}",
              "lake: {path: /tmp/lake, encoders: 1, max_open_files: 64, encoder: duckdb, "
              "max_partition_buffer_bytes: 2048, max_buffer_bytes: 4096, max_queued_bytes: 8192}"),
      "p.yaml");
  EXPECT_EQ(c.lake.encoders, 1);
  EXPECT_EQ(c.lake.max_open_files, 64);
  EXPECT_EQ(c.lake.encoder, LakeEncoder::kDuckDb);
  EXPECT_EQ(c.lake.max_partition_buffer_bytes, 2048);
  EXPECT_EQ(c.lake.max_buffer_bytes, 4096);
  EXPECT_EQ(c.lake.max_queued_bytes, 8192);
  EXPECT_EQ(expect_error(replace(kMinimal, "lake: {path: /tmp/lake}",
                                 "lake: {path: /tmp/lake, encoders: 65}"))
                .key(),
            "sink.lake.encoders");
  EXPECT_EQ(expect_error(kMinimal, {{"sink.lake.encoder", "arrow"}}).key(), "sink.lake.encoder");
  EXPECT_EQ(expect_error(kMinimal, {{"sink.lake.max_buffer_bytes", "10"}}).key(),
            "sink.lake.max_buffer_bytes");
  ConfigError e = expect_error(kMinimal, {{"sink.lake.max_open_files", "0"}});
  EXPECT_EQ(e.key(), "sink.lake.max_open_files");
}

TEST(Config, GenerateSpread) {
  using Kind = TimeSpread::Kind;
  EXPECT_EQ(parse_time_spread("single"), (TimeSpread{Kind::kSingle, 0}));
  EXPECT_EQ(parse_time_spread("live"), (TimeSpread{Kind::kLive, 0}));
  EXPECT_EQ(parse_time_spread("backfill:72"), (TimeSpread{Kind::kBackfill, 72}));
  EXPECT_EQ(parse_time_spread("backfill:87600"), (TimeSpread{Kind::kBackfill, 87600}));
  for (const char* bad : {"", "Live", "backfill", "backfill:", "backfill:0", "backfill:87601",
                          "backfill:-1", "backfill:7x", "backfill:123456", "single "}) {
    EXPECT_FALSE(parse_time_spread(bad).has_value()) << bad;
  }

  const ConfigOverrides generate = {{"source.type", "generate"},
                                    {"source.generate", "{family: iot, spread: 'backfill:24'}"}};
  PipelineConfig c = load_pipeline_from_string(kMinimal, "p.yaml", generate);
  EXPECT_EQ(c.source.generate.spread, (TimeSpread{Kind::kBackfill, 24}));
  EXPECT_FALSE(c.source.generate.duplicates_pct.has_value());  // the family's default
  c = load_pipeline_from_string(
      kMinimal, "p.yaml",
      {{"source.type", "generate"}, {"source.generate", "{family: iot, duplicates: 0}"}});
  EXPECT_FALSE(c.source.generate.spread.has_value());
  EXPECT_EQ(c.source.generate.duplicates_pct, 0);
  ConfigError e = expect_error(kMinimal, {{"source.type", "generate"},
                                          {"source.generate", "{family: iot, spread: hourly}"}});
  EXPECT_EQ(e.key(), "source.generate.spread");
  EXPECT_NE(std::string(e.what()).find("backfill:HOURS"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace sluice
