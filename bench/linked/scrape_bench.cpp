// What a /metrics scrape costs the pipeline. A Telemetry set up like a busy
// Kafka pipeline (64 partitions with lag, every reject rule counted, commits
// and batch job runs in the histograms) is
//   1. rendered (Telemetry::metrics_text(), what GET /metrics returns),
//   2. updated by a "pipeline" thread through its hot-path handles
//      (Counter::inc) and its per-batch hook (Telemetry::batch()), first
//      alone, then while a "scraper" thread renders without pause (far more
//      often than any Prometheus would scrape).
// The difference between 2's two runs is what scrapes take from the
// pipeline. Prints medians of RUNS; never part of ctest.
//
//   scrape_bench [RUNS]
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "observability/telemetry.h"

namespace {

using Clock = std::chrono::steady_clock;

// CPU time of the calling thread (other load on the machine does not count).
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

void fill(sluice::obs::Telemetry& t) {
  t.stream_started("kafka", 5000);
  t.source_ready(true);
  std::map<std::string, int64_t> lag;
  for (int p = 0; p < 64; ++p) lag["clickstream/" + std::to_string(p)] = 1000 + p;
  t.kafka_lag(lag);
  std::array<int64_t, sluice::obs::kRejectRules.size()> rejects{};
  for (auto& r : rejects) r = 3;
  for (int i = 0; i < 100; ++i) {
    t.batch(8000, rejects, 39, {"{\"reason\":\"type\"}"});
    sluice::obs::CommitInfo c;
    c.seq = i;
    c.files = 4;
    c.rows = 32000;
    c.bytes = 4 << 20;
    c.seconds = 0.01 * (i % 50);
    t.commit(c);
  }
  for (int i = 0; i < 30; ++i) {
    sluice::obs::JobRunInfo r;
    r.job = i % 2 ? "page_metrics" : "sales_gold";
    r.status = "succeeded";
    r.started_ms = 1000;
    r.finished_ms = 1000 + 100 * i;
    t.job_run(r);
  }
  t.event_time(100, 10, 30.0);
}

struct PipelineCost {
  double inc_ns = 0;    // per Counter::inc
  double batch_ns = 0;  // per Telemetry::batch() (median)
  double batch_p99_ns = 0;
  double batch_max_ns = 0;
  int64_t scrapes = 0;  // renders done meanwhile
};

PipelineCost pipeline_thread(sluice::obs::Telemetry& t, bool scrape) {
  std::atomic<bool> done{false};
  std::atomic<int64_t> scrapes{0};
  std::thread scraper;
  if (scrape) {
    scraper = std::thread([&] {
      while (!done.load(std::memory_order_relaxed)) {
        std::string s = t.metrics_text();
        if (s.empty()) std::abort();
        scrapes.fetch_add(1, std::memory_order_relaxed);
      }
    });
    while (scrapes.load() == 0) std::this_thread::yield();
  }
  PipelineCost cost;
  // Hot path: events_read counted per batch through its pre-bound handle.
  auto& counter = t.registry().counter(sluice::obs::metric::kEventsRead);
  constexpr int kIncs = 20'000'000;
  auto t0 = Clock::now();
  for (int i = 0; i < kIncs; ++i) counter.inc(1);
  cost.inc_ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / kIncs;
  // Per-batch hook (one per 8192 events in sluice run).
  std::array<int64_t, sluice::obs::kRejectRules.size()> rejects{};
  rejects[0] = 1;
  std::vector<double> per_call;
  constexpr int kBatches = 200'000;
  per_call.reserve(kBatches);
  for (int i = 0; i < kBatches; ++i) {
    auto b0 = Clock::now();
    t.batch(8191, rejects, 1, {});
    per_call.push_back(std::chrono::duration<double, std::nano>(Clock::now() - b0).count());
  }
  cost.batch_ns = median(per_call);
  cost.batch_p99_ns = percentile(per_call, 0.99);
  cost.batch_max_ns = *std::max_element(per_call.begin(), per_call.end());
  done = true;
  if (scraper.joinable()) scraper.join();
  cost.scrapes = scrapes.load();
  return cost;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  sluice::obs::Telemetry t("clickstream", "clickstream", {"page_metrics", "sales_gold"});
  fill(t);

  std::vector<double> render_us, render_cpu_us;
  size_t bytes = 0, series = 0;
  for (int r = 0; r < runs * 200; ++r) {
    auto t0 = Clock::now();
    const double c0 = thread_cpu_us();
    std::string s = t.metrics_text();
    render_cpu_us.push_back(thread_cpu_us() - c0);
    render_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    bytes = s.size();
    series = 0;
    for (size_t p = 0; p < s.size(); p = s.find('\n', p) + 1) {
      if (s[p] != '#') ++series;
      if (s.find('\n', p) == std::string::npos) break;
    }
  }
  std::vector<PipelineCost> alone, scraped;
  for (int r = 0; r < runs; ++r) {
    alone.push_back(pipeline_thread(t, false));
    scraped.push_back(pipeline_thread(t, true));
  }
  auto med = [](const std::vector<PipelineCost>& v, double PipelineCost::*f) {
    std::vector<double> x;
    for (const auto& c : v) x.push_back(c.*f);
    return median(x);
  };
  std::vector<double> scrapes;
  for (const auto& c : scraped) scrapes.push_back(static_cast<double>(c.scrapes));
  std::printf(
      "render_us_p50=%.1f render_us_p99=%.1f render_cpu_us_p50=%.1f exposition_bytes=%zu "
      "series=%zu\n"
      "inc_ns_alone=%.2f inc_ns_scraped=%.2f\n"
      "batch_ns_alone=%.0f batch_ns_scraped=%.0f batch_p99_ns_alone=%.0f "
      "batch_p99_ns_scraped=%.0f batch_max_ns_alone=%.0f batch_max_ns_scraped=%.0f "
      "scrapes_during_run=%.0f\n",
      median(render_us), percentile(render_us, 0.99), median(render_cpu_us), bytes, series,
      med(alone, &PipelineCost::inc_ns), med(scraped, &PipelineCost::inc_ns),
      med(alone, &PipelineCost::batch_ns), med(scraped, &PipelineCost::batch_ns),
      med(alone, &PipelineCost::batch_p99_ns), med(scraped, &PipelineCost::batch_p99_ns),
      med(alone, &PipelineCost::batch_max_ns), med(scraped, &PipelineCost::batch_max_ns),
      median(scrapes));
  return 0;
}
