// Runs an Orchestrator's loop on its own thread, beside a stream, and stops
// and joins it on stop() or destruction. Used by `sluice run` and `sluice demo`.
#pragma once

#include <atomic>
#include <cstdio>
#include <exception>
#include <thread>

#include "orchestrator/orchestrator.h"

namespace sluice {

class BackgroundOrchestrator {
 public:
  explicit BackgroundOrchestrator(Orchestrator& orchestrator)
      : thread_([this, &orchestrator] {
          try {
            orchestrator.run(stop_);
          } catch (const std::exception& e) {
            std::fprintf(stderr, "sluice: orchestrator stopped: %s\n", e.what());
          }
        }) {}
  ~BackgroundOrchestrator() { stop(); }
  BackgroundOrchestrator(const BackgroundOrchestrator&) = delete;
  BackgroundOrchestrator& operator=(const BackgroundOrchestrator&) = delete;

  // Asks the loop to finish and waits for it; idempotent.
  void stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;  // declared last: starts after stop_ exists
};

}  // namespace sluice
