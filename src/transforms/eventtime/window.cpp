#include "transforms/eventtime/window.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace sluice {

namespace {

int find_column(const OutputSchema& s, const std::string& name) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

double numeric_at(const Column& c, size_t row) {
  switch (c.type()) {
    case ColumnType::kInt32:
      return c.int32_at(row);
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      return static_cast<double>(c.int64_at(row));
    case ColumnType::kDouble:
      return c.double_at(row);
    case ColumnType::kBool:
      return c.bool_at(row) ? 1 : 0;
    case ColumnType::kString:
      break;
  }
  return 0;
}

void append_value(const Column& col, size_t row, std::string& out) {
  if (col.is_null(row)) {
    out.push_back('\0');
  } else if (col.type() == ColumnType::kString) {
    std::string_view v = col.string_at(row);
    uint32_t n = static_cast<uint32_t>(v.size());
    out.push_back('\1');
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(v);
  } else {
    out.push_back('\1');
    out.append(reinterpret_cast<const char*>(col.fixed_data() + row * col.width()), col.width());
  }
}

// DuckDB quantile_cont: linear interpolation at position q * (n - 1).
double quantile_cont(std::vector<double>& v, double q) {
  double pos = q * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = static_cast<size_t>(std::ceil(pos));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  double a = v[lo];
  if (hi == lo) return a;
  double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return a + (pos - static_cast<double>(lo)) * (b - a);
}

}  // namespace

WindowOperator::WindowOperator(const WindowConfig& config, const OutputSchema& input,
                               int timestamp_column)
    : config_(config),
      size_us_(config.size_ms * 1000),
      slide_us_(config.slide_ms * 1000),
      lateness_us_(config.allowed_lateness_ms * 1000),
      ts_(timestamp_column) {
  for (const auto& g : config.group_by) {
    int c = find_column(input, g);
    if (c < 0) throw std::invalid_argument("group_by: no column '" + g + "'");
    group_cols_.push_back(c);
    group_schema_.push_back(input[c]);
  }
  out_schema_.push_back({"window_start", ColumnType::kTimestamp});
  out_schema_.push_back({"window_end", ColumnType::kTimestamp});
  for (const auto& g : group_schema_) out_schema_.push_back(g);
  for (const auto& a : config.aggregates) {
    if (a.fn == AggregateConfig::kCount) {
      agg_cols_.push_back(-1);
      out_schema_.push_back({a.as, ColumnType::kInt64});
      continue;
    }
    int c = find_column(input, a.field);
    if (c < 0) throw std::invalid_argument("aggregates: no column '" + a.field + "'");
    if (input[c].type == ColumnType::kString) {
      throw std::invalid_argument("aggregates: column '" + a.field + "' is not numeric");
    }
    agg_cols_.push_back(c);
    out_schema_.push_back({a.as, ColumnType::kDouble});
  }
  out_schema_.push_back({"processing_time", ColumnType::kTimestamp});
  groups_ = RecordBatch(group_schema_);
}

std::string WindowOperator::row_signature(const RecordBatch& in, size_t row) const {
  std::string sig;
  append_value(in.columns[ts_], row, sig);
  for (int c : group_cols_) append_value(in.columns[c], row, sig);
  for (int c : agg_cols_) {
    if (c >= 0) append_value(in.columns[c], row, sig);
  }
  return sig;
}

uint32_t WindowOperator::group_id(const RecordBatch& in, size_t row) {
  scratch_.clear();
  for (int c : group_cols_) append_value(in.columns[c], row, scratch_);
  auto [it, inserted] = group_index_.try_emplace(scratch_, static_cast<uint32_t>(groups_.rows()));
  if (inserted) {
    for (size_t i = 0; i < group_cols_.size(); ++i)
      groups_.columns[i].push_from(in.columns[group_cols_[i]], row);
  }
  return it->second;
}

void WindowOperator::accumulate(Acc& acc, const RecordBatch& in, size_t row) {
  const size_t na = agg_cols_.size();
  if (acc.n.empty()) {
    acc.sum.assign(na, 0);
    acc.min.assign(na, std::numeric_limits<double>::infinity());
    acc.max.assign(na, -std::numeric_limits<double>::infinity());
    acc.n.assign(na, 0);
    acc.values.resize(na);
  }
  acc.count++;
  for (size_t a = 0; a < na; ++a) {
    int c = agg_cols_[a];
    if (c < 0 || in.columns[c].is_null(row)) continue;
    double v = numeric_at(in.columns[c], row);
    acc.n[a]++;
    acc.sum[a] += v;
    acc.min[a] = std::min(acc.min[a], v);
    acc.max[a] = std::max(acc.max[a], v);
    if (config_.aggregates[a].fn == AggregateConfig::kQuantile) acc.values[a].push_back(v);
  }
}

void WindowOperator::add(const RecordBatch& in, const std::vector<uint32_t>& rows,
                         int64_t watermark, std::vector<uint32_t>& late) {
  std::vector<int64_t> watermarks(in.rows(), watermark);
  add(in, rows, watermarks.data(), late);
}

void WindowOperator::add(const RecordBatch& in, const std::vector<uint32_t>& rows,
                         const int64_t* watermarks, std::vector<uint32_t>& late) {
  const Column& ts = in.columns[ts_];
  for (uint32_t r : rows) {
    const int64_t watermark = watermarks[r];
    if (ts.is_null(r)) {
      late.push_back(r);  // no event time: no window can take it
      continue;
    }
    int64_t t = ts.int64_at(r);
    int64_t last_start = floor_div(t, slide_us_) * slide_us_;
    bool added = false;
    uint32_t g = 0;
    bool have_group = false;
    for (int64_t start = last_start; start > t - size_us_; start -= slide_us_) {
      if (closed(start, watermark)) continue;
      if (!have_group) {
        g = group_id(in, r);
        have_group = true;
      }
      accumulate(windows_[{start, g}], in, r);
      added = true;
    }
    if (!added) late.push_back(r);
  }
}

size_t WindowOperator::emit(int64_t watermark, int64_t processing_time, RecordBatch& out) {
  size_t emitted = 0;
  auto it = windows_.begin();
  while (it != windows_.end() && closed(it->first.first, watermark)) {
    const auto& [key, acc] = *it;
    size_t c = 0;
    out.columns[c++].push_int64(key.first);
    out.columns[c++].push_int64(key.first + size_us_);
    for (size_t gc = 0; gc < group_cols_.size(); ++gc)
      out.columns[c++].push_from(groups_.columns[gc], key.second);
    for (size_t a = 0; a < agg_cols_.size(); ++a) {
      Column& col = out.columns[c++];
      const auto fn = config_.aggregates[a].fn;
      if (fn == AggregateConfig::kCount) {
        col.push_int64(acc.count);
        continue;
      }
      if (acc.n[a] == 0) {
        col.push_null();
        continue;
      }
      switch (fn) {
        case AggregateConfig::kSum:
          col.push_double(acc.sum[a]);
          break;
        case AggregateConfig::kAvg:
          col.push_double(acc.sum[a] / static_cast<double>(acc.n[a]));
          break;
        case AggregateConfig::kMin:
          col.push_double(acc.min[a]);
          break;
        case AggregateConfig::kMax:
          col.push_double(acc.max[a]);
          break;
        case AggregateConfig::kQuantile: {
          std::vector<double> v = acc.values[a];
          col.push_double(quantile_cont(v, config_.aggregates[a].quantile));
          break;
        }
        case AggregateConfig::kCount:
          break;
      }
    }
    out.columns[c++].push_int64(processing_time);
    ++emitted;
    it = windows_.erase(it);
  }
  return emitted;
}

void WindowOperator::discard_closed(int64_t watermark) {
  auto it = windows_.begin();
  while (it != windows_.end() && closed(it->first.first, watermark)) it = windows_.erase(it);
}

int64_t WindowOperator::rebuild_from(int64_t watermark) const {
  // A row at time t joins windows starting after t - size; the oldest open
  // window starts after watermark - lateness - size.
  return watermark - lateness_us_ - size_us_;
}

}  // namespace sluice
