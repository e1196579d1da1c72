// The shipped batch jobs against hand-made inputs, with expectations computed
// here in C++ (not with the jobs' SQL): per-event averages, the IoT 3-sigma
// filter and 500-event rule at their boundaries, quality gates, and re-run
// idempotence in the lake, the DuckDB warehouse and the CSV.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "batch/batch_job.h"
#include "batch/lake_table.h"
#include "batch/quality.h"
#include "batch_test_util.h"
#include "sinks/lake/lake_writer.h"
#include "storage/fs_util.h"

namespace sluice {
namespace {

using batchtest::TempDir;

struct ClickEvent {
  std::string page;
  std::string ts;
  std::optional<double> tti;
  double ttar;
  int actions;
};

std::string click_json(const ClickEvent& e, int id) {
  std::string j = "{\"session_id\":\"s" + std::to_string(id) + "\",\"page_url\":\"https://x.test/" +
                  e.page + "\",\"timestamp\":\"" + e.ts + "\"";
  if (e.tti) j += ",\"TTI\":" + std::to_string(*e.tti);
  j += ",\"TTAR\":" + std::to_string(e.ttar) + ",\"user_actions\":[";
  for (int a = 0; a < e.actions; ++a) {
    j += std::string(a ? "," : "") + "{\"action\":\"click\",\"target\":\"#b" + std::to_string(a) +
         "\",\"time\":" + std::to_string(1000 + a) + "}";
  }
  return j + "]}\n";
}

std::string clicks_ndjson(const std::vector<ClickEvent>& events, int first_id = 0) {
  std::string out;
  for (size_t i = 0; i < events.size(); ++i) out += click_json(events[i], first_id + int(i));
  return out;
}

struct PageDay {
  int64_t events = 0;
  double tti_sum = 0, ttar_sum = 0;
};

// Expected page_metrics: per (page, day), averaged over events.
std::map<std::pair<std::string, std::string>, PageDay> expected_page_metrics(
    const std::vector<ClickEvent>& events) {
  std::map<std::pair<std::string, std::string>, PageDay> out;
  for (const auto& e : events) {
    PageDay& p = out[{"https://x.test/" + e.page, e.ts.substr(0, 10)}];
    p.events += 1;
    p.tti_sum += e.tti.value_or(0);
    p.ttar_sum += e.ttar;
  }
  return out;
}

class BatchJobs : public ::testing::Test {
 protected:
  std::string lake() const { return tmp_.path() + "/lake"; }
  BatchRunOptions options(std::optional<std::vector<Day>> days) const {
    BatchRunOptions o;
    o.lake_dir = lake();
    o.days = std::move(days);
    o.warehouse = "duckdb:" + tmp_.path() + "/wh.duckdb";
    o.csv_path = tmp_.path() + "/out.csv";
    return o;
  }
  PipelineConfig clickstream() const {
    return batchtest::pipeline_for("clickstream", "unused", lake());
  }
  TempDir tmp_;
};

const std::vector<ClickEvent> kClicks = {
    {"a", "2025-01-01T10:00:00Z", 100, 10, 9},           // many actions: must not weigh more
    {"a", "2025-01-01T11:00:00Z", 300, 30, 0},           // no actions: still one event
    {"a", "2025-01-01T12:00:00Z", std::nullopt, 20, 1},  // missing TTI counts as 0
    {"b", "2025-01-01T13:00:00Z", 50, 5, 3},
    {"a", "2025-01-02T09:00:00Z", 40, 4, 2},
};

TEST_F(BatchJobs, PageMetricsAveragesOverEventsNotRows) {
  batchtest::ingest("clickstream", clicks_ndjson(kClicks), lake());
  auto reports = run_batch_job(clickstream(), "page_metrics", options(std::nullopt));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].days.size(), 2u);  // both days are new

  auto expected = expected_page_metrics(kClicks);
  DuckDb db;
  DuckResult r;
  db.query("SELECT page_url, day::VARCHAR, events, avg_tti, avg_ttar FROM read_parquet('" + lake() +
               "/page_metrics/**/*.parquet', hive_partitioning = false) ORDER BY ALL",
           r);
  ASSERT_EQ(r.rows(), expected.size());
  size_t row = 0;
  for (const auto& [key, p] : expected) {
    EXPECT_EQ(r.string_at(0, row), key.first);
    EXPECT_EQ(r.string_at(1, row), key.second);
    EXPECT_EQ(r.int64_at(2, row), p.events);
    EXPECT_NEAR(r.double_at(3, row), p.tti_sum / p.events, 1e-9);
    EXPECT_NEAR(r.double_at(4, row), p.ttar_sum / p.events, 1e-9);
    ++row;
  }
  // Page a on day 1: (100 + 300 + 0) / 3, not the row-weighted 1200 / 11.
  EXPECT_NEAR(r.double_at(3, 0), 400.0 / 3, 1e-9);
}

TEST_F(BatchJobs, RerunReplacesTheDayEverywhere) {
  batchtest::ingest("clickstream", clicks_ndjson(kClicks), lake());
  const std::vector<Day> day1{*Day::parse("2025-01-01")};
  auto first = run_batch_job(clickstream(), "page_metrics", options(day1));
  ASSERT_EQ(first.back().rows, 2);  // pages a and b on day 1

  auto check_everywhere = [&](int64_t rows, int64_t events_a) {
    DuckDb db;
    // Day 1 through the log, through a glob, in the warehouse and in the CSV.
    LiveTable live = read_live_table(lake() + "/page_metrics");
    int64_t day1_rows = 0;
    for (const auto& f : live.files)
      if (f.day == day1[0]) day1_rows += f.rows;
    EXPECT_EQ(day1_rows, rows);
    const std::string day1_where = " WHERE day = DATE '2025-01-01'";
    EXPECT_EQ(batchtest::scalar(db, "SELECT count(*) FROM read_parquet('" + lake() +
                                        "/page_metrics/**/*.parquet', hive_partitioning = false)" +
                                        day1_where),
              rows);
    EXPECT_EQ(batchtest::scalar(
                  db, "SELECT count(*) FROM read_csv('" + tmp_.path() + "/out.csv')" + day1_where),
              rows);
    db.execute("ATTACH '" + tmp_.path() + "/wh.duckdb' AS wh (READ_ONLY)");
    EXPECT_EQ(batchtest::scalar(db, "SELECT count(*) FROM wh.page_metrics" + day1_where), rows);
    EXPECT_EQ(batchtest::scalar(db, "SELECT events FROM wh.page_metrics" + day1_where +
                                        " AND page_url = 'https://x.test/a'"),
              events_a);
  };
  check_everywhere(2, 3);
  auto again = run_batch_job(clickstream(), "page_metrics", options(day1));
  EXPECT_EQ(again.back().rows, 2);
  check_everywhere(2, 3);

  // Only day 2 is new for --since-last (day 1 was processed at the input's
  // current commit); after that nothing is.
  auto since = run_batch_job(clickstream(), "page_metrics", options(std::nullopt));
  EXPECT_EQ(since.back().days, std::vector<Day>{*Day::parse("2025-01-02")});
  EXPECT_TRUE(
      run_batch_job(clickstream(), "page_metrics", options(std::nullopt)).back().days.empty());

  // Late data for day 1: --since-last picks day 1 alone and replaces it.
  batchtest::ingest("clickstream", clicks_ndjson({{"a", "2025-01-01T23:00:00Z", 10, 1, 0}}, 100),
                    lake(), "late");
  auto late = run_batch_job(clickstream(), "page_metrics", options(std::nullopt));
  EXPECT_EQ(late.back().days, day1);
  check_everywhere(2, 4);
  // The replaced files are gone from disk, not only from the log.
  int64_t parquet = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(lake() + "/page_metrics")) {
    parquet += e.path().extension() == ".parquet";
  }
  EXPECT_EQ(parquet, 2);  // one per day
  // The lake's own check agrees: replaced files are not reported missing.
  VerifyReport report = verify_table(lake() + "/page_metrics");
  EXPECT_TRUE(report.ok) << (report.problems.empty() ? "" : report.problems[0]);
  EXPECT_EQ(report.files, 2);
}

TEST_F(BatchJobs, FailedQualityCheckPublishesNothing) {
  batchtest::ingest("clickstream", clicks_ndjson(kClicks), lake());
  PipelineConfig c = clickstream();
  QualityCheckConfig range;
  range.kind = QualityCheckConfig::kRange;
  range.columns = {"avg_tti"};
  range.max = 100;
  c.batch_jobs[0].checks.push_back(range);
  try {
    run_batch_job(c, "page_metrics", options(std::vector<Day>{*Day::parse("2025-01-01")}));
    FAIL() << "no QualityError";
  } catch (const QualityError& e) {
    ASSERT_EQ(e.failures().size(), 1u);
    EXPECT_EQ(e.failures()[0].check, "range(avg_tti)");
    EXPECT_NE(e.failures()[0].message.find("1 offending"), std::string::npos) << e.what();
    EXPECT_NE(e.failures()[0].message.find("133.33"), std::string::npos) << e.what();  // page a
  }
  EXPECT_TRUE(read_live_table(lake() + "/page_metrics").files.empty());
  EXPECT_FALSE(lakefs::exists(tmp_.path() + "/wh.duckdb"));
  EXPECT_FALSE(lakefs::exists(tmp_.path() + "/out.csv"));
  EXPECT_FALSE(lakefs::exists(lake() + "/_sluice_batch/page_metrics.json"));
}

TEST_F(BatchJobs, SalesGoldJoinsReferenceData) {
  // A product page of the shipped product master: a path, as in seed 000.
  std::vector<ClickEvent> events = {
      {"product/playstation5", "2025-01-01T10:00:00Z", 100, 10, 1},
      {"product/playstation5", "2025-01-01T10:30:00Z", 200, 20, 0},
  };
  std::string ndjson;
  for (size_t i = 0; i < events.size(); ++i) {
    std::string j = click_json(events[i], int(i));
    j.replace(j.find("https://x.test/"), 15, "/");
    ndjson += j;
  }
  batchtest::ingest("clickstream", ndjson, lake());
  auto reports = run_batch_job(clickstream(), "sales_gold", options(std::nullopt));
  ASSERT_EQ(reports.size(), 2u);  // page_metrics first (depends_on)
  EXPECT_EQ(reports[0].job, "page_metrics");
  DuckDb db;
  DuckResult r;
  db.query("SELECT region, product_id, avg_tti, revenue FROM read_csv('" + tmp_.path() +
               "/out.csv') ORDER BY region",
           r);
  // One row per region of P100 in the shipped sales.csv.
  DuckResult sales;
  db.query(std::string("SELECT Region, Revenue FROM read_csv('") + SLUICE_SOURCE_DIR +
               "/examples/data/sales.csv') WHERE ProductID = 'P100' ORDER BY Region",
           sales);
  ASSERT_GT(sales.rows(), 0u);
  ASSERT_EQ(r.rows(), sales.rows());
  for (size_t i = 0; i < r.rows(); ++i) {
    EXPECT_EQ(r.string_at(0, i), sales.string_at(0, i));
    EXPECT_EQ(r.string_at(1, i), "P100");
    EXPECT_NEAR(r.double_at(2, i), 150, 1e-9);
    EXPECT_NEAR(r.double_at(3, i), sales.double_at(1, i), 1e-6);
  }
}

// --- IoT ---------------------------------------------------------------------

std::string uuid(int type, int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012x", type, i);
  return buf;
}

std::string iot_json(int type_index, const std::string& type, int i, double duration) {
  char ts[40];
  std::snprintf(ts, sizeof ts, "2025-01-01T%02d:%02d:%02d.%03dZ", (i / 3600) % 24, (i / 60) % 60,
                i % 60, type_index);
  return "{\"event_id\":\"" + uuid(type_index, i) +
         "\",\"device_id\":\"device-001\",\"device_type\":\"" + type + "\",\"timestamp\":\"" + ts +
         "\",\"event_duration\":" + std::to_string(duration) +
         ",\"value\":1.5,\"status\":\"normal\",\"metadata\":{\"location\":\"zone-A\","
         "\"firmware\":\"v1.0.0\"}}\n";
}

// p95 with linear interpolation between closest ranks.
double p95(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double pos = 0.95 * double(v.size() - 1);
  size_t lo = size_t(std::floor(pos));
  if (lo + 1 >= v.size()) return v.back();
  return v[lo] + (pos - double(lo)) * (v[lo + 1] - v[lo]);
}

TEST_F(BatchJobs, IotP95SigmaFilterAnd500EventRule) {
  // Durations as the JSON carries them (6 decimals), so expectations match.
  auto duration = [](int i) { return std::stod(std::to_string(50 + i * 0.4 + 0.25)); };
  std::string ndjson;
  std::map<std::string, std::vector<double>> distinct;
  // motion: exactly 500 distinct events, the last five far outliers.
  for (int i = 0; i < 500; ++i) {
    double d = i >= 495 ? 1000.0 : duration(i);
    ndjson += iot_json(1, "motion", i, d);
    distinct["motion"].push_back(d);
  }
  // light: 499 distinct events plus 20 exact duplicates -> excluded.
  for (int i = 0; i < 499; ++i) {
    ndjson += iot_json(2, "light", i, duration(i));
    distinct["light"].push_back(duration(i));
  }
  for (int i = 0; i < 20; ++i) ndjson += iot_json(2, "light", i, duration(i));
  // humidity: 600 distinct plus duplicates, no outlier beyond 3 sigma.
  for (int i = 0; i < 600; ++i) {
    ndjson += iot_json(3, "humidity", i, duration(i) * 2);
    distinct["humidity"].push_back(duration(i) * 2);
  }
  for (int i = 0; i < 30; ++i) ndjson += iot_json(3, "humidity", i * 7, duration(i * 7) * 2);

  batchtest::ingest("iot", ndjson, lake());
  PipelineConfig iot = batchtest::pipeline_for("iot", "unused", lake());
  auto reports = run_batch_job(iot, "iot_p95", options(std::nullopt));
  ASSERT_EQ(reports.back().rows, 2);  // motion and humidity, not light

  DuckDb db;
  DuckResult r;
  db.query("SELECT device_type, distinct_events, kept_events, p95_duration FROM read_csv('" +
               tmp_.path() + "/out.csv') ORDER BY device_type",
           r);
  ASSERT_EQ(r.rows(), 2u);
  size_t row = 0;
  for (const std::string type : {"humidity", "motion"}) {
    const std::vector<double>& v = distinct[type];
    double mean = 0, var = 0;
    for (double x : v) mean += x;
    mean /= double(v.size());
    for (double x : v) var += (x - mean) * (x - mean);
    double sd = std::sqrt(var / double(v.size()));
    std::vector<double> kept;
    for (double x : v)
      if (std::fabs(x - mean) <= 3 * sd) kept.push_back(x);
    EXPECT_EQ(r.string_at(0, row), type);
    EXPECT_EQ(r.int64_at(1, row), int64_t(v.size()));
    EXPECT_EQ(r.int64_at(2, row), int64_t(kept.size()));
    EXPECT_NEAR(r.double_at(3, row), p95(kept), 1e-6);
    if (type == std::string("motion")) {
      EXPECT_EQ(kept.size(), 495u);                 // the outliers went
      EXPECT_GT(std::fabs(p95(v) - p95(kept)), 1);  // and it mattered
    } else {
      EXPECT_EQ(kept.size(), 600u);
    }
    ++row;
  }
}

TEST_F(BatchJobs, UnknownJobAndOutOfRangeDays) {
  PipelineConfig c = clickstream();
  EXPECT_THROW(run_batch_job(c, "nope", options(std::nullopt)), RuntimeError);
  batchtest::ingest("clickstream", clicks_ndjson(kClicks), lake());
  // A job whose rows fall outside the selected day is refused (it could not
  // be replaced idempotently).
  c.batch_jobs[0].sql = "SELECT DATE '2030-01-01' AS day, count(*) AS n FROM {{clickstream}}";
  c.batch_jobs[0].checks.clear();
  c.batch_jobs[0].key.clear();
  try {
    run_batch_job(c, "page_metrics", options(std::vector<Day>{*Day::parse("2025-01-01")}));
    FAIL() << "no error";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("2030-01-01"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sluice
