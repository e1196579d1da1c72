#include "observability/telemetry.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace sluice::obs {

namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// /proc/self/stat fields after the command name: utime (14), stime (15) and
// starttime (22), in clock ticks; the boot time comes from /proc/stat.
struct ProcStat {
  double cpu_seconds = 0;
  double start_time = 0;
  bool ok = false;
};

ProcStat read_proc_stat() {
  ProcStat p;
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return p;
  std::istringstream rest(text.substr(close + 2));
  std::vector<std::string> f;  // f[0] is field 3 (state)
  std::string tok;
  while (rest >> tok) f.push_back(tok);
  if (f.size() < 20) return p;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  p.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / tick;
  double start_ticks = std::stod(f[19]);
  std::ifstream st("/proc/stat");
  std::string key;
  double btime = 0;
  while (st >> key) {
    if (key == "btime") {
      st >> btime;
      break;
    }
  }
  p.start_time = btime + start_ticks / tick;
  p.ok = true;
  return p;
}

double resident_bytes() {
  std::ifstream in("/proc/self/statm");
  long long size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace

size_t reject_rule_index(const std::string& rule) {
  for (size_t i = 0; i + 1 < kRejectRules.size(); ++i) {
    if (rule == kRejectRules[i]) return i;
  }
  return kRejectRules.size() - 1;
}

Telemetry::Telemetry(const std::string& pipeline, const std::string& table,
                     const std::vector<std::string>& jobs)
    : pipeline_(pipeline),
      table_(table),
      registry_({{"pipeline", pipeline}}),
      started_ms_(wall_ms()),
      events_read_(registry_.counter(metric::kEventsRead)),
      events_accepted_(registry_.counter(metric::kEventsAccepted)),
      dlq_(registry_.counter(metric::kDlqRecords)),
      rows_(registry_.counter(metric::kRowsWritten, {{"table", table}})),
      files_(registry_.counter(metric::kLakeFiles, {{"table", table}})),
      bytes_(registry_.counter(metric::kLakeBytes, {{"table", table}})),
      commits_(registry_.counter(metric::kLakeCommits, {{"table", table}})),
      commit_failures_(registry_.counter(metric::kLakeCommitFailures, {{"table", table}})),
      commit_seconds_(registry_.histogram(metric::kLakeCommitDuration, kCommitBuckets)),
      watermark_delay_(registry_.gauge(metric::kWatermarkDelay)),
      duplicates_(registry_.counter(metric::kDuplicates)),
      late_rows_(registry_.counter(metric::kLateRows)),
      job_seconds_(registry_.histogram(metric::kJobDuration, kJobBuckets)),
      ready_(registry_.gauge(metric::kUp)) {
  for (size_t i = 0; i < kRejectRules.size(); ++i)
    rejected_[i] = &registry_.counter(metric::kEventsRejected, {{"rule", kRejectRules[i]}});
  for (const auto& job : jobs) {
    for (const char* status : {"succeeded", "failed", "skipped"})
      job_runs_[job][status] =
          &registry_.counter(metric::kJobRuns, {{"job", job}, {"status", status}});
    last_success_[job] = &registry_.gauge(metric::kLastSuccess, {{"job", job}});
  }
  registry_.collector(metric::kKafkaLag, [this](std::vector<Sample>& out) {
    std::lock_guard lock(mu_);
    for (const auto& [stream, lag] : lag_) {
      size_t slash = stream.rfind('/');
      std::string topic = slash == std::string::npos ? stream : stream.substr(0, slash);
      std::string partition = slash == std::string::npos ? "" : stream.substr(slash + 1);
      out.push_back({{{"topic", topic}, {"partition", partition}}, static_cast<double>(lag)});
    }
  });
  registry_.collector(metric::kCpu, [](std::vector<Sample>& out) {
    ProcStat p = read_proc_stat();
    if (p.ok) out.push_back({{}, p.cpu_seconds});
  });
  registry_.collector(metric::kRss, [](std::vector<Sample>& out) {
    out.push_back({{}, resident_bytes()});
  });
  registry_.collector(metric::kStartTime, [](std::vector<Sample>& out) {
    ProcStat p = read_proc_stat();
    if (p.ok) out.push_back({{}, p.start_time});
  });
}

void Telemetry::stream_started(const std::string& source_type, int64_t commit_interval_ms) {
  std::lock_guard lock(mu_);
  stream_ = true;
  stream_running_ = true;
  source_type_ = source_type;
  commit_interval_ms_ = commit_interval_ms;
}

void Telemetry::stream_stopped() {
  std::lock_guard lock(mu_);
  stream_running_ = false;
}

void Telemetry::source_ready(bool ready, const std::string& why_not) {
  std::lock_guard lock(mu_);
  source_ready_ = ready;
  source_why_not_ = why_not;
}

void Telemetry::batch(int64_t accepted, const std::array<int64_t, kRejectRules.size()>& rejects,
                      int64_t dlq_records, std::vector<std::string> dlq_samples) {
  events_accepted_.inc(accepted);
  for (size_t i = 0; i < rejects.size(); ++i) {
    if (rejects[i]) rejected_[i]->inc(rejects[i]);
  }
  dlq_.inc(dlq_records);
  std::lock_guard lock(mu_);
  if (pending_since_ms_ == 0) pending_since_ms_ = wall_ms();
  for (auto& s : dlq_samples) {
    dlq_ring_.push_back(std::move(s));
    if (dlq_ring_.size() > kRecentDlq) dlq_ring_.pop_front();
  }
}

void Telemetry::commit(const CommitInfo& c) {
  commits_.inc();
  files_.inc(c.files);
  rows_.inc(c.rows);
  bytes_.inc(c.bytes);
  commit_seconds_.observe(c.seconds);
  std::lock_guard lock(mu_);
  pending_since_ms_ = 0;
  last_commit_ms_ = wall_ms();
  last_commit_error_.clear();
  commits_ring_.push_back(c);
  if (commits_ring_.size() > kRecentCommits) commits_ring_.pop_front();
}

void Telemetry::commit_failed(const std::string& error) {
  commit_failures_.inc();
  std::lock_guard lock(mu_);
  last_commit_error_ = error;
}

void Telemetry::event_time(int64_t duplicates, int64_t late_rows, double watermark_delay_s) {
  std::lock_guard lock(mu_);
  if (duplicates > seen_duplicates_) duplicates_.inc(duplicates - seen_duplicates_);
  if (late_rows > seen_late_) late_rows_.inc(late_rows - seen_late_);
  seen_duplicates_ = std::max(seen_duplicates_, duplicates);
  seen_late_ = std::max(seen_late_, late_rows);
  has_watermark_ = watermark_delay_s >= 0;
  watermark_delay_.set(has_watermark_ ? watermark_delay_s : 0);
}

void Telemetry::kafka_lag(std::map<std::string, int64_t> lag) {
  std::lock_guard lock(mu_);
  lag_ = std::move(lag);
}

void Telemetry::orchestrator_started() {
  std::lock_guard lock(mu_);
  orchestrator_ = true;
}

void Telemetry::job_run(const JobRunInfo& r) {
  Counter* runs = nullptr;
  Gauge* last = nullptr;
  {
    std::lock_guard lock(mu_);
    if (auto it = job_runs_.find(r.job); it != job_runs_.end()) {
      if (auto s = it->second.find(r.status); s != it->second.end()) runs = s->second;
      last = last_success_[r.job];
    }
    runs_ring_.push_back(r);
    if (runs_ring_.size() > kRecentRuns) runs_ring_.pop_front();
  }
  if (runs) runs->inc();
  if (r.finished_ms >= r.started_ms) job_seconds_.observe((r.finished_ms - r.started_ms) / 1000.0);
  if (last && r.status == "succeeded") last->set(r.finished_ms / 1000.0);
}

Readiness Telemetry::readiness(int64_t now_ms) const {
  std::lock_guard lock(mu_);
  Readiness r;
  if (stream_) {
    if (!stream_running_) {
      r.reason = "the stream has stopped";
    } else if (!source_ready_) {
      r.reason = source_why_not_.empty() ? "the source is not ready" : source_why_not_;
    } else if (!last_commit_error_.empty()) {
      r.reason = "the last lake commit failed: " + last_commit_error_;
    } else if (pending_since_ms_ > 0 &&
               now_ms - pending_since_ms_ > 2 * commit_interval_ms_ + 10000) {
      r.reason = "no lake commit for " + std::to_string((now_ms - pending_since_ms_) / 1000) +
                 " s while data waits (commit interval " +
                 std::to_string(commit_interval_ms_ / 1000) + " s)";
    }
  } else if (!orchestrator_) {
    r.reason = "starting";
  }
  r.ready = r.reason.empty();
  return r;
}

std::string Telemetry::metrics_text() const {
  // sluice_ready mirrors /health/ready at scrape time.
  ready_.set(readiness(wall_ms()).ready ? 1 : 0);
  return registry_.expose();
}

std::string Telemetry::status_json(int64_t now_ms) const {
  using nlohmann::json;
  Readiness ready = readiness(now_ms);
  json j;
  j["pipeline"] = pipeline_;
  j["table"] = table_;
  j["time_ms"] = now_ms;
  j["uptime_seconds"] = (now_ms - started_ms_) / 1000.0;
  j["ready"] = ready.ready;
  j["reason"] = ready.reason;
  json rejected = json::object();
  int64_t rejected_total = 0;
  for (size_t i = 0; i < kRejectRules.size(); ++i) {
    int64_t v = rejected_[i]->value();
    rejected_total += v;
    if (v) rejected[kRejectRules[i]] = v;
  }
  auto h = commit_seconds_.snapshot();
  j["counters"] = {{"events_read", events_read_.value()},
                   {"events_accepted", events_accepted_.value()},
                   {"events_rejected", rejected_total},
                   {"dlq_records", dlq_.value()},
                   {"rows_written", rows_.value()},
                   {"files_written", files_.value()},
                   {"bytes_written", bytes_.value()},
                   {"commits", commits_.value()},
                   {"commit_failures", commit_failures_.value()},
                   {"duplicates", duplicates_.value()},
                   {"late_rows", late_rows_.value()}};
  j["rejected_by_rule"] = rejected;
  j["commit_seconds"] = {{"count", h.count},
                         {"sum", h.sum},
                         {"avg", h.count ? h.sum / static_cast<double>(h.count) : 0.0}};
  std::lock_guard lock(mu_);
  j["source"] = {{"type", source_type_}, {"ready", source_ready_}};
  j["watermark_delay_seconds"] = has_watermark_ ? json(watermark_delay_.value()) : json(nullptr);
  j["kafka_lag"] = lag_;
  int64_t total_lag = 0;
  for (const auto& [_, v] : lag_) total_lag += v;
  j["kafka_lag_total"] = total_lag;
  json commits = json::array();
  for (auto it = commits_ring_.rbegin(); it != commits_ring_.rend(); ++it) {
    commits.push_back({{"seq", it->seq},
                       {"timestamp_ms", it->timestamp_ms},
                       {"files", it->files},
                       {"rows", it->rows},
                       {"bytes", it->bytes},
                       {"seconds", it->seconds}});
  }
  j["recent_commits"] = commits;
  json runs = json::array();
  for (auto it = runs_ring_.rbegin(); it != runs_ring_.rend(); ++it) {
    runs.push_back({{"job", it->job},
                    {"status", it->status},
                    {"run_id", it->run_id},
                    {"attempts", it->attempts},
                    {"started_ms", it->started_ms},
                    {"finished_ms", it->finished_ms},
                    {"error", it->error}});
  }
  j["recent_job_runs"] = runs;
  json dlq = json::array();
  for (auto it = dlq_ring_.rbegin(); it != dlq_ring_.rend() && dlq.size() < 10; ++it) {
    json line = json::parse(*it, nullptr, false);
    dlq.push_back(line.is_discarded() ? json(*it) : line);
  }
  j["recent_dlq"] = dlq;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Telemetry::dlq_json(size_t limit) const {
  using nlohmann::json;
  json out = json::array();
  std::lock_guard lock(mu_);
  for (auto it = dlq_ring_.rbegin(); it != dlq_ring_.rend() && out.size() < limit; ++it) {
    json line = json::parse(*it, nullptr, false);
    out.push_back(line.is_discarded() ? json(*it) : line);
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sluice::obs
