// Time as the orchestrator sees it: wall-clock now and sleeping, behind an
// interface so tests drive retries, schedules and SLAs with a fake clock.
//
// Threading: SystemClock is stateless. ManualClock is synchronized: any
// thread may read or advance it; sleep_ms() only advances it (never blocks).
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace sluice {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t now_ms() = 0;
  // Blocks (or pretends to) for `ms`.
  virtual void sleep_ms(int64_t ms) = 0;
};

class SystemClock : public Clock {
 public:
  int64_t now_ms() override;
  void sleep_ms(int64_t ms) override;
};

// A fake clock for tests: sleep_ms() records the request and advances time.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t start_ms) : now_(start_ms) {}
  int64_t now_ms() override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void sleep_ms(int64_t ms) override {
    std::lock_guard lock(mu_);
    sleeps_.push_back(ms);
    now_ += ms;
  }
  void advance_ms(int64_t ms) {
    std::lock_guard lock(mu_);
    now_ += ms;
  }
  std::vector<int64_t> sleeps() {
    std::lock_guard lock(mu_);
    return sleeps_;
  }

 private:
  std::mutex mu_;
  int64_t now_;
  std::vector<int64_t> sleeps_;
};

}  // namespace sluice
