#include "observability/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace sluice::obs {

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()))
    throw std::logic_error("histogram bounds must be sorted");
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  // First bucket whose upper bound is >= v (buckets are `le`, inclusive).
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(acc);
  }
  s.count = acc;  // consistent with the buckets even while observations race
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 9.0e15)
    return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

std::string escape_label_value(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

const char* type_name(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void write_labels(std::string& out, const Labels& base, const Labels& labels,
                  const char* extra_name = nullptr, const std::string& extra_value = {}) {
  if (base.empty() && labels.empty() && !extra_name) return;
  out += '{';
  bool first = true;
  auto one = [&](const std::string& k, const std::string& v) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    out += escape_label_value(v);
    out += '"';
  };
  for (const auto& [k, v] : base) one(k, v);
  for (const auto& [k, v] : labels) one(k, v);
  if (extra_name) one(extra_name, extra_value);
  out += '}';
}

const MetricDef* find_def(const std::string& name) {
  for (const auto& d : kAllMetrics) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

}  // namespace

Registry::Registry(Labels base) : base_(std::move(base)) {}

Registry::Series& Registry::series(const MetricDef& def, MetricType type, const Labels& labels) {
  const MetricDef* known = find_def(def.name);
  if (!known) throw std::logic_error(std::string("metric not in kAllMetrics: ") + def.name);
  if (known->type != type || def.type != type)
    throw std::logic_error(std::string("metric registered with the wrong type: ") + def.name);
  std::lock_guard lock(mu_);
  Family& f = families_[def.name];
  for (auto& s : f.series) {
    if (s->labels == labels) return *s;
  }
  f.series.push_back(std::make_unique<Series>());
  f.series.back()->labels = labels;
  return *f.series.back();
}

Counter& Registry::counter(const MetricDef& def, const Labels& labels) {
  Series& s = series(def, MetricType::kCounter, labels);
  std::lock_guard lock(mu_);
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::gauge(const MetricDef& def, const Labels& labels) {
  Series& s = series(def, MetricType::kGauge, labels);
  std::lock_guard lock(mu_);
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Registry::histogram(const MetricDef& def, std::span<const double> bounds,
                               const Labels& labels) {
  Series& s = series(def, MetricType::kHistogram, labels);
  std::lock_guard lock(mu_);
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(bounds);
  return *s.histogram;
}

void Registry::collector(const MetricDef& def, std::function<void(std::vector<Sample>&)> fn) {
  const MetricDef* known = find_def(def.name);
  if (!known || known->type == MetricType::kHistogram)
    throw std::logic_error(std::string("collector for an unknown or histogram metric: ") +
                           def.name);
  std::lock_guard lock(mu_);
  families_[def.name].collectors.push_back(std::move(fn));
}

std::string Registry::expose() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const MetricDef& def : kAllMetrics) {
    auto it = families_.find(def.name);
    if (it == families_.end()) continue;
    const Family& f = it->second;
    std::vector<Sample> collected;
    for (const auto& fn : f.collectors) fn(collected);
    if (f.series.empty() && collected.empty()) continue;
    const std::string name = def.name;
    out += "# HELP " + name + " " + escape_help(def.help) + "\n";
    out += "# TYPE " + name + " " + type_name(def.type) + "\n";
    for (const auto& s : f.series) {
      if (s->histogram) {
        Histogram::Snapshot h = s->histogram->snapshot();
        for (size_t i = 0; i <= h.bounds.size(); ++i) {
          out += name + "_bucket";
          write_labels(out, base_, s->labels, "le",
                       i < h.bounds.size() ? format_value(h.bounds[i]) : "+Inf");
          out += " " + std::to_string(h.cumulative[i]) + "\n";
        }
        out += name + "_sum";
        write_labels(out, base_, s->labels);
        out += " " + format_value(h.sum) + "\n";
        out += name + "_count";
        write_labels(out, base_, s->labels);
        out += " " + std::to_string(h.count) + "\n";
      } else {
        out += name;
        write_labels(out, base_, s->labels);
        out += " ";
        out += s->counter ? std::to_string(s->counter->value())
                          : format_value(s->gauge ? s->gauge->value() : 0.0);
        out += "\n";
      }
    }
    for (const Sample& s : collected) {
      out += name;
      write_labels(out, base_, s.labels);
      out += " " + format_value(s.value) + "\n";
    }
  }
  return out;
}

}  // namespace sluice::obs
