// Loading batch results into a real PostgreSQL 15 server (libpq, COPY): the
// rows arrive, a re-run of a day replaces it (no duplicates), and a failed
// load leaves the previous rows intact.
#include <gtest/gtest.h>

#include "batch/batch_job.h"
#include "batch_test_util.h"
#include "core/error.h"
#include "pg_fixture.h"

namespace sluice {
namespace {

std::string click(const std::string& page, const std::string& ts, double tti, int actions) {
  std::string j = "{\"session_id\":\"s\",\"page_url\":\"https://x.test/" + page +
                  "\",\"timestamp\":\"" + ts + "\",\"TTI\":" + std::to_string(tti) +
                  ",\"TTAR\":1,\"user_actions\":[";
  for (int a = 0; a < actions; ++a) j += std::string(a ? "," : "") + "{\"action\":\"x\"}";
  return j + "]}\n";
}

TEST(PostgresWarehouse, LoadsAndReplacesDays) {
  batchtest::PostgresServer pg;
  batchtest::TempDir tmp;
  const std::string lake = tmp.path() + "/lake";
  batchtest::ingest(
      "clickstream",
      click("a", "2025-01-01T10:00:00Z", 100, 5) + click("a", "2025-01-01T11:00:00Z", 200, 0) +
          click("b", "2025-01-01T12:00:00Z", 7, 1) + click("a", "2025-01-02T12:00:00Z", 1, 1),
      lake);
  PipelineConfig c = batchtest::pipeline_for("clickstream", "unused", lake);
  BatchRunOptions o;
  o.lake_dir = lake;
  o.warehouse = pg.uri();
  run_batch_job(c, "page_metrics", o);
  EXPECT_EQ(pg.query_value("SELECT count(*) FROM page_metrics"), "3");
  EXPECT_EQ(pg.query_value("SELECT events || '/' || avg_tti FROM page_metrics WHERE page_url = "
                           "'https://x.test/a' AND day = '2025-01-01'"),
            "2/150");
  EXPECT_EQ(pg.query_value("SELECT data_type FROM information_schema.columns WHERE table_name = "
                           "'page_metrics' AND column_name = 'day'"),
            "date");

  // Re-running both days, and then one day, never duplicates.
  o.days = std::vector<Day>{*Day::parse("2025-01-01"), *Day::parse("2025-01-02")};
  run_batch_job(c, "page_metrics", o);
  o.days = std::vector<Day>{*Day::parse("2025-01-02")};
  run_batch_job(c, "page_metrics", o);
  EXPECT_EQ(pg.query_value("SELECT count(*) FROM page_metrics"), "3");
  EXPECT_EQ(pg.query_value("SELECT count(*) FROM (SELECT page_url, day FROM page_metrics GROUP BY "
                           "1, 2 HAVING count(*) > 1) d"),
            "0");

  // New data for day 1 replaces exactly that day's rows.
  batchtest::ingest("clickstream", click("c", "2025-01-01T13:00:00Z", 3, 0), lake, "more");
  o.days.reset();
  run_batch_job(c, "page_metrics", o);
  EXPECT_EQ(pg.query_value("SELECT count(*) FROM page_metrics WHERE day = '2025-01-01'"), "3");
  EXPECT_EQ(pg.query_value("SELECT count(*) FROM page_metrics"), "4");

  // A load that fails (an incompatible column type) leaves the old rows.
  c.batch_jobs[0].sql =
      "SELECT page_url, CAST(\"timestamp\" AS DATE) AS day, 'many' AS events, 0.0 AS avg_tti, "
      "0.0 AS avg_ttar FROM {{clickstream}} WHERE action_index = 0 GROUP BY ALL";
  o.days = std::vector<Day>{*Day::parse("2025-01-01")};
  EXPECT_THROW(run_batch_job(c, "page_metrics", o), RuntimeError);
  EXPECT_EQ(pg.query_value("SELECT count(*) FROM page_metrics WHERE day = '2025-01-01'"), "3");
  EXPECT_EQ(pg.query_value("SELECT sum(events) FROM page_metrics"), "5");
}

}  // namespace
}  // namespace sluice
