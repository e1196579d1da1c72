// What a running sluice process reports about itself: the metrics registry
// with every handle pre-bound at construction (hot code touches only those),
// plus the small state behind /health/ready and /api/status: recent commits,
// recent DLQ samples and recent batch job runs, each in a bounded ring.
//
// The stream runner calls the stream hooks once per batch or commit; the
// orchestrator calls job_run() once per run. Threading: every method may be
// called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "observability/registry.h"

namespace sluice::obs {

// Reject rules are a bounded label set; anything else counts as "other".
inline constexpr std::array<const char*, 13> kRejectRules = {
    "json",  "utf8",  "record_size", "depth", "required",   "null", "type",
    "range", "regex", "enum",        "late",  "max_length", "other"};
size_t reject_rule_index(const std::string& rule);

struct CommitInfo {
  int64_t seq = 0;
  int64_t timestamp_ms = 0;
  int64_t files = 0;
  int64_t rows = 0;
  int64_t bytes = 0;
  double seconds = 0;
};

struct JobRunInfo {
  std::string job;
  std::string status;  // succeeded | failed | skipped
  int64_t run_id = 0;
  int attempts = 0;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  std::string error;
};

struct Readiness {
  bool ready = false;
  std::string reason;  // why not (empty when ready)
};

class Telemetry {
 public:
  static constexpr size_t kRecentCommits = 20;
  static constexpr size_t kRecentDlq = 50;
  static constexpr size_t kRecentRuns = 20;

  // `table`: the stream's lake table ("" when no stream runs); `jobs`: the
  // pipeline's batch job names (their labels are bound here).
  Telemetry(const std::string& pipeline, const std::string& table,
            const std::vector<std::string>& jobs);
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

  Registry& registry() { return registry_; }
  const std::string& pipeline() const { return pipeline_; }

  // --- stream hooks (per batch / per commit) ---
  // The stream started reading; `commit_interval_ms`: the lake's interval.
  void stream_started(const std::string& source_type, int64_t commit_interval_ms);
  void stream_stopped();
  // The source has what it needs to deliver input (Kafka: partitions assigned).
  void source_ready(bool ready, const std::string& why_not = {});
  void events_read(int64_t n) { events_read_.inc(n); }
  // One batch handed to the lake: accepted/rejected counts, rejects per rule
  // (indexed as kRejectRules), DLQ records and up to a few DLQ sample lines.
  void batch(int64_t accepted, const std::array<int64_t, kRejectRules.size()>& rejects,
             int64_t dlq_records, std::vector<std::string> dlq_samples);
  void commit(const CommitInfo& c);
  void commit_failed(const std::string& error);
  // Cumulative dedupe/late counts of the event-time stage, and its watermark
  // delay (negative: no watermark).
  void event_time(int64_t duplicates, int64_t late_rows, double watermark_delay_s);
  void kafka_lag(std::map<std::string, int64_t> lag);

  // --- orchestrator hook ---
  void job_run(const JobRunInfo& r);
  void orchestrator_started();

  // --- readers (HTTP) ---
  Readiness readiness(int64_t now_ms) const;
  std::string status_json(int64_t now_ms) const;
  std::string dlq_json(size_t limit) const;
  std::string metrics_text() const;

 private:
  std::string pipeline_;
  std::string table_;
  Registry registry_;
  int64_t started_ms_;

  Counter& events_read_;
  Counter& events_accepted_;
  std::array<Counter*, kRejectRules.size()> rejected_{};
  Counter& dlq_;
  Counter& rows_;
  Counter& files_;
  Counter& bytes_;
  Counter& commits_;
  Counter& commit_failures_;
  Histogram& commit_seconds_;
  Gauge& watermark_delay_;
  Counter& duplicates_;
  Counter& late_rows_;
  Histogram& job_seconds_;
  Gauge& ready_;
  std::map<std::string, std::map<std::string, Counter*>> job_runs_;  // job -> status
  std::map<std::string, Gauge*> last_success_;

  mutable std::mutex mu_;
  bool stream_ = false;
  bool stream_running_ = false;
  bool orchestrator_ = false;
  std::string source_type_;
  int64_t commit_interval_ms_ = 0;
  bool source_ready_ = false;
  std::string source_why_not_;
  int64_t pending_since_ms_ = 0;  // 0: nothing waits for a commit
  int64_t last_commit_ms_ = 0;
  std::string last_commit_error_;
  int64_t seen_duplicates_ = 0;
  int64_t seen_late_ = 0;
  bool has_watermark_ = false;
  std::map<std::string, int64_t> lag_;
  std::deque<CommitInfo> commits_ring_;
  std::deque<std::string> dlq_ring_;
  std::deque<JobRunInfo> runs_ring_;
};

}  // namespace sluice::obs
