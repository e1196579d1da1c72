// The registry's Prometheus text output (format 0.0.4), checked line by line
// against the format's rules: HELP/TYPE once per family before its samples,
// label value escaping, cumulative histogram buckets ending in +Inf with
// _sum and _count, and every registered name in the one list of metrics.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.h"
#include "observability/http_server.h"
#include "observability/metric_names.h"
#include "observability/registry.h"
#include "observability/telemetry.h"

namespace sluice::obs {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

TEST(Exposition, CounterAndGaugeWithHelpTypeAndBaseLabel) {
  Registry r(Labels{{"pipeline", "p1"}});
  Counter& c = r.counter(metric::kEventsRead);
  c.inc(41);
  c.inc();
  r.gauge(metric::kWatermarkDelay).set(2.5);
  std::string text = r.expose();
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(lines(text), (std::vector<std::string>{
                             "# HELP sluice_events_read_total Events read from the source.",
                             "# TYPE sluice_events_read_total counter",
                             "sluice_events_read_total{pipeline=\"p1\"} 42",
                             "# HELP sluice_watermark_delay_seconds Wall clock minus the "
                             "event-time watermark (0 without a watermark).",
                             "# TYPE sluice_watermark_delay_seconds gauge",
                             "sluice_watermark_delay_seconds{pipeline=\"p1\"} 2.5",
                         }));
}

TEST(Exposition, LabelValuesEscapeBackslashQuoteAndNewline) {
  Registry r(Labels{{"pipeline", "a\\b\"c\nd"}});
  r.counter(metric::kRowsWritten, {{"table", "t\"1"}}).inc(3);
  auto l = lines(r.expose());
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[2], "sluice_rows_written_total{pipeline=\"a\\\\b\\\"c\\nd\",table=\"t\\\"1\"} 3");
  EXPECT_EQ(escape_label_value("x\\y\"z\n"), "x\\\\y\\\"z\\n");
  EXPECT_EQ(escape_help("a\\b\nc\"d"), "a\\\\b\\nc\"d");  // HELP keeps double quotes
}

TEST(Exposition, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry r;
  const double bounds[] = {0.1, 1.0, 10.0};
  Histogram& h = r.histogram(metric::kLakeCommitDuration, bounds);
  h.observe(0.05);
  h.observe(0.1);  // le is inclusive
  h.observe(0.5);
  h.observe(20);
  auto l = lines(r.expose());
  const std::string n = "sluice_lake_commit_duration_seconds";
  EXPECT_EQ(l, (std::vector<std::string>{
                   "# HELP " + n + " Time a lake commit takes (flush, DLQ sync, commit log).",
                   "# TYPE " + n + " histogram",
                   n + "_bucket{le=\"0.1\"} 2",
                   n + "_bucket{le=\"1\"} 3",
                   n + "_bucket{le=\"10\"} 3",
                   n + "_bucket{le=\"+Inf\"} 4",
                   n + "_sum 20.65",
                   n + "_count 4",
               }));
}

TEST(Exposition, ValuesAndSpecialFloats) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(1e6), "1000000");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_value(0.0 / 0.0), "NaN");
}

TEST(Exposition, SameLabelsSameHandleAndUnknownNamesRejected) {
  Registry r;
  EXPECT_EQ(&r.counter(metric::kLakeFiles, {{"table", "a"}}),
            &r.counter(metric::kLakeFiles, {{"table", "a"}}));
  EXPECT_NE(&r.counter(metric::kLakeFiles, {{"table", "a"}}),
            &r.counter(metric::kLakeFiles, {{"table", "b"}}));
  MetricDef rogue{"sluice_rogue_total", MetricType::kCounter, "x", ""};
  EXPECT_THROW(r.counter(rogue), std::logic_error);
  EXPECT_THROW(r.gauge(metric::kEventsRead), std::logic_error);  // a counter
}

TEST(Exposition, CollectorSamplesAtScrapeTime) {
  Registry r(Labels{{"pipeline", "p"}});
  int calls = 0;
  r.collector(metric::kKafkaLag, [&](std::vector<Sample>& out) {
    ++calls;
    out.push_back({{{"topic", "t"}, {"partition", "0"}}, 7});
  });
  auto l = lines(r.expose());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(l.back(), "sluice_kafka_consumer_lag{pipeline=\"p\",topic=\"t\",partition=\"0\"} 7");
}

// Every line of a full Telemetry scrape follows the format: comments are
// HELP/TYPE of a known metric, given once and before the family's samples;
// sample lines are `name{labels} value` with the family's name (plus
// _bucket/_sum/_count for histograms); counters end in _total.
TEST(Exposition, TelemetryScrapeFollowsTheFormatRules) {
  Telemetry t("clickstream", "clickstream", {"daily"});
  t.events_read(10);
  std::array<int64_t, kRejectRules.size()> rej{};
  rej[reject_rule_index("type")] = 2;
  rej[reject_rule_index("no-such-rule")] = 1;
  t.batch(7, rej, 3, {R"({"rule":"type"})"});
  t.commit({1, 0, 2, 7, 1234, 0.02});
  t.kafka_lag({{"topic-a/3", 12}});
  t.job_run({"daily", "succeeded", 1, 1, 1000, 3000, ""});
  const std::string text = t.metrics_text();
  std::set<std::string> typed, helped, sampled;
  std::string current;
  std::string type;
  const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*",?)*\})? (\S+)$)");
  const std::regex comment(R"(^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$)");
  for (const std::string& l : lines(text)) {
    std::smatch m;
    if (l.rfind("#", 0) == 0) {
      ASSERT_TRUE(std::regex_match(l, m, comment)) << l;
      if (m[1] == "HELP") {
        EXPECT_TRUE(helped.insert(m[2]).second) << "HELP twice: " << l;
        EXPECT_FALSE(sampled.count(m[2])) << "HELP after samples: " << l;
        current = m[2];
      } else {
        EXPECT_EQ(m[2], current) << "TYPE without its HELP first: " << l;
        EXPECT_TRUE(typed.insert(m[2]).second) << l;
        type = m[3];
        EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram") << l;
        if (type == "counter") {
          EXPECT_TRUE(current.ends_with("_total")) << l;
        }
      }
      continue;
    }
    ASSERT_TRUE(std::regex_match(l, m, sample)) << l;
    std::string name = m[1];
    if (type == "histogram") {
      EXPECT_TRUE(name == current + "_bucket" || name == current + "_sum" ||
                  name == current + "_count")
          << l;
    } else {
      EXPECT_EQ(name, current) << l;
    }
    EXPECT_NE(l.find("pipeline=\"clickstream\""), std::string::npos) << l;
    sampled.insert(current);
    bool known = false;
    for (const auto& d : kAllMetrics) known = known || current == d.name;
    EXPECT_TRUE(known) << l;
  }
  EXPECT_NE(text.find("sluice_events_read_total{pipeline=\"clickstream\"} 10\n"),
            std::string::npos);
  EXPECT_NE(text.find("sluice_events_rejected_total{pipeline=\"clickstream\",rule=\"type\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("sluice_events_rejected_total{pipeline=\"clickstream\",rule=\"other\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("sluice_lake_bytes_written_total{pipeline=\"clickstream\",table="
                      "\"clickstream\"} 1234\n"),
            std::string::npos);
  EXPECT_NE(text.find("sluice_kafka_consumer_lag{pipeline=\"clickstream\",topic=\"topic-a\","
                      "partition=\"3\"} 12\n"),
            std::string::npos);
  EXPECT_NE(text.find("sluice_batch_job_runs_total{pipeline=\"clickstream\",job=\"daily\","
                      "status=\"succeeded\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("sluice_orchestrator_last_success_timestamp_seconds{pipeline=\"clickstream\","
                      "job=\"daily\"} 3\n"),
            std::string::npos);
  for (const char* p : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                        "process_start_time_seconds"}) {
    EXPECT_TRUE(sampled.count(p)) << p;
  }
}

TEST(Exposition, MetricNamesFollowPrometheusNaming) {
  std::set<std::string> names;
  for (const auto& d : kAllMetrics) {
    std::string n = d.name;
    EXPECT_TRUE(names.insert(n).second) << "duplicate " << n;
    EXPECT_TRUE(n.rfind("sluice_", 0) == 0 || n.rfind("process_", 0) == 0) << n;
    EXPECT_EQ(d.type == MetricType::kCounter, n.ends_with("_total")) << n;
    if (d.type == MetricType::kHistogram) {
      EXPECT_TRUE(n.ends_with("_seconds")) << n;
    }
  }
}

TEST(Telemetry, ReadinessFollowsSourceCommitsAndStop) {
  Telemetry t("p", "t", {});
  EXPECT_FALSE(t.readiness(0).ready);  // nothing started
  t.stream_started("kafka", 5000);
  t.source_ready(false, "no Kafka partitions assigned yet");
  EXPECT_EQ(t.readiness(0).reason, "no Kafka partitions assigned yet");
  t.source_ready(true);
  EXPECT_TRUE(t.readiness(0).ready);
  std::array<int64_t, kRejectRules.size()> none{};
  t.batch(1, none, 0, {});  // data now waits for a commit
  const int64_t later = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() +
                        3600 * 1000;
  EXPECT_NE(t.readiness(later).reason.find("no lake commit"), std::string::npos);
  t.commit_failed("disk full");
  EXPECT_EQ(t.readiness(0).reason, "the last lake commit failed: disk full");
  t.commit({1, 0, 1, 1, 10, 0.001});
  EXPECT_TRUE(t.readiness(later).ready);
  t.stream_stopped();
  EXPECT_EQ(t.readiness(0).reason, "the stream has stopped");
}

TEST(Telemetry, DlqRingKeepsTheNewestSamplesFirst) {
  Telemetry t("p", "t", {});
  std::array<int64_t, kRejectRules.size()> none{};
  for (int i = 0; i < 60; ++i) t.batch(0, none, 1, {"{\"n\":" + std::to_string(i) + "}"});
  EXPECT_EQ(t.dlq_json(2), R"([{"n":59},{"n":58}])");
  std::string all = t.dlq_json(1000);
  EXPECT_EQ(std::count(all.begin(), all.end(), '{'),
            static_cast<long>(Telemetry::kRecentDlq));  // bounded
}

// Stopping right after start-up must not hang (cpp-httplib ignores stop()
// before its accept loop runs); a second server on a busy port must fail.
TEST(HttpServer, StopsRightAfterStartAndRefusesABusyPort) {
  Telemetry t("p", "t", {});
  for (int i = 0; i < 50; ++i) {
    HttpServer s(t, "127.0.0.1:0");
    EXPECT_GT(s.port(), 0);
  }
  HttpServer first(t, "127.0.0.1:0");
  EXPECT_THROW(HttpServer(t, "127.0.0.1:" + std::to_string(first.port())), RuntimeError);
  EXPECT_THROW(HttpServer(t, "127.0.0.1:x"), std::invalid_argument);
  EXPECT_EQ(first.url(), "http://127.0.0.1:" + std::to_string(first.port()) + "/");
}

}  // namespace
}  // namespace sluice::obs
