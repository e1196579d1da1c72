// Event-time watermark over several source streams (Kafka partitions,
// files): per stream the largest event time seen minus a delay; the
// pipeline watermark is the minimum over active streams, so a slow stream
// holds it back, and a stream idle for longer than the timeout does not.
// The pipeline watermark closes windows and evicts dedupe state; a row is
// judged (late, duplicate) against its own stream's watermark as it stood
// before the row (see EventTimeStage), so that judgement depends only on
// the stream's order, never on batch sizes or arrival speed.
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
  // A stream the source has (an assigned Kafka partition) that has not
  // produced rows yet: it holds the watermark back like any active stream
  // until it produces or stays silent past the idle timeout. Without this,
  // the first partition to deliver would close windows under the others.
  void expect(const std::string& stream, int64_t now_ms);
  // A stream this process no longer reads (a revoked Kafka partition): it
  // stops holding the watermark back, and its maximum is forgotten so that a
  // later re-assignment restores the then-current one from the log.
  void forget(const std::string& stream);
  // Restores per-stream maxima (from the commit log) and the last watermark.
  void restore(const std::map<std::string, int64_t>& stream_max, int64_t watermark, int64_t now_ms);

  // The current watermark (UTC micros), kNoWatermark before any row. Never
  // decreases.
  int64_t advance(int64_t now_ms);
  int64_t current() const { return watermark_; }
  int64_t delay_us() const { return delay_us_; }
  // The largest event time seen on `stream`, kNoWatermark if none.
  int64_t max_of(const std::string& stream) const {
    auto it = max_.find(stream);
    return it == max_.end() ? kNoWatermark : it->second;
  }
  const std::map<std::string, int64_t>& stream_max() const { return max_; }

 private:
  int64_t delay_us_;
  int64_t idle_timeout_ms_;
  std::map<std::string, int64_t> max_;
  std::map<std::string, int64_t> last_seen_ms_;
  std::map<std::string, int64_t> expected_since_ms_;  // expect()ed, no rows yet
  int64_t watermark_ = kNoWatermark;
};

}  // namespace sluice
