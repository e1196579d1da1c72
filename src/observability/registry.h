// Metrics registry: counters, gauges and fixed-bucket histograms. Series are
// registered once (name from metric_names.h, labels bound then) and return a
// handle; hot code only touches that handle's atomics, never a lock or a
// name lookup. expose() renders the Prometheus text format 0.0.4.
//
// Threading: every method may be called from any thread. Registration and
// expose() take the registry's mutex; handle updates are lock-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "observability/metric_names.h"

namespace sluice::obs {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(int64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  void observe(double v);
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (the last is +Inf)
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// One sample produced at scrape time by a collector.
struct Sample {
  Labels labels;
  double value = 0;
};

// Formats a sample value: integers without a fraction, +Inf/-Inf/NaN as
// Prometheus spells them, otherwise the shortest round-trip form.
std::string format_value(double v);
// Label value escaping of the text format: backslash, double quote, newline.
std::string escape_label_value(const std::string& v);
// HELP text escaping: backslash and newline.
std::string escape_help(const std::string& v);

class Registry {
 public:
  // `base`: labels on every series (e.g. {"pipeline", "clickstream"}).
  explicit Registry(Labels base = {});
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Same def and labels: the same handle. Throws std::logic_error for a name
  // not in kAllMetrics or a type that does not match the def.
  Counter& counter(const MetricDef& def, const Labels& labels = {});
  Gauge& gauge(const MetricDef& def, const Labels& labels = {});
  Histogram& histogram(const MetricDef& def, std::span<const double> bounds,
                       const Labels& labels = {});
  // Samples computed at scrape time (process metrics, per-partition lag).
  void collector(const MetricDef& def, std::function<void(std::vector<Sample>&)> fn);

  // Prometheus text exposition format 0.0.4, families in kAllMetrics order.
  std::string expose() const;

 private:
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    std::vector<std::unique_ptr<Series>> series;
    std::vector<std::function<void(std::vector<Sample>&)>> collectors;
  };
  Series& series(const MetricDef& def, MetricType type, const Labels& labels);

  Labels base_;
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace sluice::obs
