// The `batch:` section of a pipeline file: jobs, checks, dependencies, and
// the file/line/key errors for bad ones.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "core/error.h"

namespace sluice {
namespace {

const std::string kBase = R"(name: t
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

ConfigError expect_error(const std::string& batch) {
  try {
    load_pipeline_from_string(kBase + batch, "p.yaml");
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError for:\n" << batch;
  return ConfigError("", 0, "", "");
}

TEST(BatchConfig, FullJob) {
  PipelineConfig c = load_pipeline_from_string(kBase + R"(batch:
  - name: daily
    sql: SELECT CAST(ts AS DATE) AS day, count(*) AS n FROM {{t}} GROUP BY 1
    output: daily_out
    partition_by: [year, month, day]
    date_column: day
    key: [day]
    warehouse_table: daily_wh
    csv: /tmp/daily.csv
    checks:
      - {type: row_count, min: 1, max: 10}
      - {type: not_null, columns: [day, n]}
      - {type: range, column: n, min: 0}
      - {type: unique, columns: day}
      - {type: freshness, column: day, max_age: 2d, relative_to: window_end}
  - name: second
    sql: SELECT * FROM daily_out
    depends_on: [daily]
)",
                                               "p.yaml");
  ASSERT_EQ(c.batch_jobs.size(), 2u);
  const BatchJobConfig& j = c.batch_jobs[0];
  EXPECT_EQ(j.name, "daily");
  EXPECT_NE(j.sql.find("{{t}}"), std::string::npos);
  EXPECT_EQ(j.output_table, "daily_out");
  EXPECT_EQ(j.partition_by, (std::vector<std::string>{"year", "month", "day"}));
  EXPECT_EQ(j.key, (std::vector<std::string>{"day"}));
  EXPECT_EQ(j.warehouse_table, "daily_wh");
  EXPECT_EQ(j.csv_path, "/tmp/daily.csv");
  ASSERT_EQ(j.checks.size(), 5u);
  EXPECT_EQ(j.checks[0].kind, QualityCheckConfig::kRowCount);
  EXPECT_EQ(j.checks[0].min.value(), 1);
  EXPECT_EQ(j.checks[0].max.value(), 10);
  EXPECT_EQ(j.checks[1].kind, QualityCheckConfig::kNotNull);
  EXPECT_EQ(j.checks[1].columns, (std::vector<std::string>{"day", "n"}));
  EXPECT_EQ(j.checks[2].kind, QualityCheckConfig::kRange);
  EXPECT_FALSE(j.checks[2].max.has_value());
  EXPECT_EQ(j.checks[3].kind, QualityCheckConfig::kUnique);
  EXPECT_EQ(j.checks[3].columns, (std::vector<std::string>{"day"}));
  EXPECT_EQ(j.checks[4].kind, QualityCheckConfig::kFreshness);
  EXPECT_EQ(j.checks[4].max_age_ms, 2 * 86400 * 1000LL);
  EXPECT_EQ(j.checks[4].relative_to, "window_end");
  EXPECT_EQ(j.checks[4].line, 26);
  const BatchJobConfig& s = c.batch_jobs[1];
  EXPECT_EQ(s.output_table, "second");
  EXPECT_EQ(s.warehouse_table, "second");
  EXPECT_EQ(s.partition_by, (std::vector<std::string>{"day"}));
  EXPECT_EQ(s.date_column, "day");
  EXPECT_EQ(s.depends_on, (std::vector<std::string>{"daily"}));
}

TEST(BatchConfig, NoBatchSectionMeansNoJobs) {
  EXPECT_TRUE(load_pipeline_from_string(kBase, "p.yaml").batch_jobs.empty());
}

TEST(BatchConfig, ShippedExamplesDeclareTheirJobs) {
  auto names = [](const std::string& file) {
    std::vector<std::string> out;
    for (const auto& j :
         load_pipeline(std::string(SLUICE_SOURCE_DIR) + "/examples/" + file).batch_jobs) {
      out.push_back(j.name);
      EXPECT_FALSE(j.checks.empty()) << j.name << " has no quality checks";
    }
    return out;
  };
  EXPECT_EQ(names("clickstream.yaml"), (std::vector<std::string>{"page_metrics", "sales_gold"}));
  EXPECT_EQ(names("user_events.yaml"), (std::vector<std::string>{"user_daily"}));
  EXPECT_EQ(names("iot.yaml"), (std::vector<std::string>{"iot_p95"}));
}

TEST(BatchConfig, Errors) {
  ConfigError e = expect_error("batch:\n  - name: a\n    sql: SELECT 1\n    bogus: 1\n");
  EXPECT_EQ(e.key(), "batch[0].bogus");
  EXPECT_EQ(e.line(), 15);
  EXPECT_NE(std::string(e.what()).find("unknown key"), std::string::npos);

  e = expect_error("batch:\n  - name: a\n");
  EXPECT_EQ(e.key(), "batch(a).sql");

  e = expect_error("batch:\n  - {name: a, sql: x}\n  - {name: a, sql: y}\n");
  EXPECT_EQ(e.key(), "batch[1].name");
  EXPECT_EQ(e.line(), 14);

  e = expect_error("batch:\n  - {name: a, sql: x, depends_on: [b]}\n");
  EXPECT_EQ(e.key(), "batch(a).depends_on");
  EXPECT_NE(std::string(e.what()).find("unknown job 'b'"), std::string::npos);

  e = expect_error(
      "batch:\n  - {name: a, sql: x, depends_on: [b]}\n  - {name: b, sql: x, depends_on: a}\n");
  EXPECT_NE(std::string(e.what()).find("cycle"), std::string::npos);

  e = expect_error("batch:\n  - {name: a, sql: x, checks: [{type: nope}]}\n");
  EXPECT_EQ(e.key(), "batch(a).checks[0].type");

  e = expect_error("batch:\n  - {name: a, sql: x, checks: [{type: range, column: c}]}\n");
  EXPECT_EQ(e.key(), "batch(a).checks[0]");

  e = expect_error(
      "batch:\n  - {name: a, sql: x, checks: [{type: freshness, column: c, max_age: soon}]}\n");
  EXPECT_EQ(e.key(), "batch(a).checks[0].max_age");

  e = expect_error("batch:\n  - {name: a, sql: x, warehouse_table: 'a-b'}\n");
  EXPECT_EQ(e.key(), "batch(a).warehouse_table");

  e = expect_error("batch:\n  - {name: ../x, sql: x}\n");
  EXPECT_EQ(e.key(), "batch[0].name");

  e = expect_error("batch: {name: a}\n");
  EXPECT_EQ(e.key(), "batch");
}

}  // namespace
}  // namespace sluice
