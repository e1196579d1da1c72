// Event-time watermark over several source streams (Kafka partitions,
// files): per stream the largest event time seen minus a delay; the
// pipeline watermark is the minimum over active streams, so a slow stream
// holds it back, and a stream idle for longer than the timeout does not.
//
// Threading: single-threaded (the runner's writer thread).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>

namespace sluice {

inline constexpr int64_t kNoWatermark = std::numeric_limits<int64_t>::min();

class WatermarkTracker {
 public:
  WatermarkTracker(int64_t delay_us, int64_t idle_timeout_ms)
      : delay_us_(delay_us), idle_timeout_ms_(idle_timeout_ms) {}

  // `max_event_us`: the largest event time among rows from `stream` just seen.
  void observe(const std::string& stream, int64_t max_event_us, int64_t now_ms);
  // Restores per-stream maxima (from the commit log) and the last watermark.
  void restore(const std::map<std::string, int64_t>& stream_max, int64_t watermark, int64_t now_ms);

  // The current watermark (UTC micros), kNoWatermark before any row. Never
  // decreases.
  int64_t advance(int64_t now_ms);
  int64_t current() const { return watermark_; }
  const std::map<std::string, int64_t>& stream_max() const { return max_; }

 private:
  int64_t delay_us_;
  int64_t idle_timeout_ms_;
  std::map<std::string, int64_t> max_;
  std::map<std::string, int64_t> last_seen_ms_;
  int64_t watermark_ = kNoWatermark;
};

}  // namespace sluice
