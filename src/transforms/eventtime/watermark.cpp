#include "transforms/eventtime/watermark.h"

#include <algorithm>

namespace sluice {

void WatermarkTracker::observe(const std::string& stream, int64_t max_event_us, int64_t now_ms) {
  auto [it, inserted] = max_.try_emplace(stream, max_event_us);
  if (!inserted) it->second = std::max(it->second, max_event_us);
  last_seen_ms_[stream] = now_ms;
  expected_since_ms_.erase(stream);
}

void WatermarkTracker::expect(const std::string& stream, int64_t now_ms) {
  if (max_.count(stream)) return;
  expected_since_ms_.try_emplace(stream, now_ms);
}

void WatermarkTracker::forget(const std::string& stream) {
  max_.erase(stream);
  last_seen_ms_.erase(stream);
  expected_since_ms_.erase(stream);
}

void WatermarkTracker::restore(const std::map<std::string, int64_t>& stream_max, int64_t watermark,
                               int64_t now_ms) {
  for (const auto& [s, m] : stream_max) {
    max_[s] = m;
    last_seen_ms_[s] = now_ms;
  }
  watermark_ = std::max(watermark_, watermark);
}

int64_t WatermarkTracker::advance(int64_t now_ms) {
  if (max_.empty()) return watermark_;
  for (const auto& [s, since] : expected_since_ms_) {
    if (now_ms - since <= idle_timeout_ms_) return watermark_;  // still waiting for its first row
  }
  int64_t active_min = std::numeric_limits<int64_t>::max();
  int64_t overall_max = std::numeric_limits<int64_t>::min();
  bool any_active = false;
  for (const auto& [s, m] : max_) {
    overall_max = std::max(overall_max, m);
    if (now_ms - last_seen_ms_[s] <= idle_timeout_ms_) {
      active_min = std::min(active_min, m);
      any_active = true;
    }
  }
  // With every stream idle, nothing holds the watermark back any more.
  int64_t basis = any_active ? active_min : overall_max;
  watermark_ = std::max(watermark_, basis - delay_us_);
  return watermark_;
}

}  // namespace sluice
