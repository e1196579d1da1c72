#include "orchestrator/orchestrator.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>
#include <utility>

#include "batch/quality.h"
#include "core/error.h"
#include "core/time.h"
#include "sinks/lake/commit_log.h"
#include "storage/fs_util.h"

namespace sluice {

int64_t SystemClock::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SystemClock::sleep_ms(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

namespace {

std::string format_ms(int64_t ms) {
  CivilTime c = to_civil(ms * 1000);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}Z", c.year, c.month, c.day, c.hour,
                     c.minute);
}

std::string days_text(const std::optional<std::vector<Day>>& days) {
  if (!days) return "since-last";
  if (days->empty()) return "none";
  auto [lo, hi] = std::minmax_element(days->begin(), days->end());
  return lo->to_string() + ".." + hi->to_string();
}

std::string default_owner(const std::string& pipeline) {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = 0;
  return std::string(host[0] ? host : "localhost") + "/" + pipeline;
}

}  // namespace

Orchestrator::Orchestrator(const PipelineConfig& pipeline, OrchestratorOptions options,
                           CheckpointStore& store, Clock& clock, AlertSink* alerts)
    : pipeline_(pipeline),
      options_(std::move(options)),
      store_(store),
      clock_(clock),
      alerts_(alerts) {
  lake_dir_ = options_.lake_dir.empty() ? pipeline_.lake.path : options_.lake_dir;
  root_ = std::make_unique<LakeRoot>(lake_dir_, pipeline_.lake.storage);
  if (options_.owner.empty()) options_.owner = default_owner(pipeline_.name);
  if (!options_.run_job) options_.run_job = run_batch_job;
  rng_.seed(options_.seed ? options_.seed : std::random_device{}());
  std::map<std::string, const BatchJobConfig*> by_name;
  for (const auto& j : pipeline_.batch_jobs) by_name[j.name] = &j;
  std::set<std::string> seen;
  std::function<void(const BatchJobConfig&)> visit = [&](const BatchJobConfig& j) {
    if (!seen.insert(j.name).second) return;
    for (const auto& d : j.depends_on) visit(*by_name.at(d));
    order_.push_back(&j);
  };
  for (const auto& j : pipeline_.batch_jobs) visit(j);
  for (const auto& j : pipeline_.batch_jobs) {
    if (j.schedule.empty()) continue;
    std::string zone = j.timezone.empty() ? pipeline_.orchestrator.timezone : j.timezone;
    auto offset = parse_utc_offset_minutes(zone);
    if (!offset) {
      throw ConfigError(pipeline_.file, j.line, "batch(" + j.name + ").timezone",
                        "unsupported time zone '" + zone + "' (UTC or +HH:MM)");
    }
    try {
      schedules_.emplace(j.name, CronSchedule::parse(j.schedule, *offset));
    } catch (const std::invalid_argument& e) {
      throw ConfigError(pipeline_.file, j.line, "batch(" + j.name + ").schedule", e.what());
    }
  }
}

std::vector<std::string> Orchestrator::input_tables(const BatchJobConfig& job) const {
  std::vector<std::string> out;
  for (const std::string& name : root_->tables()) {
    if (name != job.output_table && sql_references_table(job.sql, name)) out.push_back(name);
  }
  return out;
}

std::map<std::string, int64_t> Orchestrator::table_seqs() const {
  // Compaction commits change no row: they neither fire arrival triggers
  // nor count as new data for the no-data SLA.
  std::map<std::string, int64_t> out;
  for (const std::string& name : root_->tables()) out[name] = root_->last_data_seq(name);
  return out;
}

RetryPolicy Orchestrator::policy_for(const BatchJobConfig& job) const {
  const OrchestratorConfig& o = pipeline_.orchestrator;
  RetryPolicy p;
  p.max_attempts = 1 + job.retries.value_or(o.retries);
  p.initial_ms = job.backoff_ms.value_or(o.backoff_ms);
  p.max_ms = std::max(o.max_backoff_ms, p.initial_ms);
  p.jitter = o.jitter;
  return p;
}

std::optional<Orchestrator::Due> Orchestrator::arrival_due(
    const BatchJobConfig& job, const std::map<std::string, int64_t>& seqs) {
  Due due;
  due.trigger = "arrival";
  bool changed = false;
  for (const std::string& table : input_tables(job)) {
    auto it = seqs.find(table);
    int64_t seq = it == seqs.end() ? 0 : it->second;
    std::string key = "job:" + job.name + ":" + table;
    if (seq > store_.checkpoint(key).value_or(0)) changed = true;
    due.checkpoints[key] = seq;
    due.input_key += (due.input_key.empty() ? "" : ",") + table + "@" + std::to_string(seq);
  }
  if (!changed) return std::nullopt;
  return due;
}

std::optional<Orchestrator::Due> Orchestrator::schedule_due(const BatchJobConfig& job) {
  const CronSchedule& cron = schedules_.at(job.name);
  const std::string key = "cron:" + job.name;
  const int64_t now = clock_.now_ms();
  auto last = store_.checkpoint(key);
  if (!last) {  // first start: fire from now on, not for the past
    store_.set_checkpoint(key, now, now);
    return std::nullopt;
  }
  int64_t from = std::max<int64_t>(*last, now - int64_t{400} * 86400000);
  auto fire = cron.next_after(from);
  if (!fire || *fire > now) return std::nullopt;
  for (int i = 0; i < 1000000; ++i) {  // the latest due time: missed ones coalesce
    auto next = cron.next_after(*fire);
    if (!next || *next > now) break;
    fire = next;
  }
  Due due;
  due.trigger = "schedule";
  due.input_key = "schedule@" + format_ms(*fire);
  due.checkpoints[key] = *fire;
  return due;
}

std::optional<std::string> Orchestrator::failed_upstream(const BatchJobConfig& job,
                                                         const std::set<std::string>& failed_now) {
  for (const std::string& up : job.depends_on) {
    if (failed_now.count(up)) return up;
    auto runs = store_.list_runs(up, 1);
    if (!runs.empty() && (runs[0].status == "failed" || runs[0].status == "skipped")) return up;
  }
  return std::nullopt;
}

std::vector<JobOutcome> Orchestrator::tick() {
  std::vector<JobOutcome> out;
  std::set<std::string> failed_now;
  std::map<std::string, int64_t> seqs = table_seqs();
  check_no_data_sla(seqs);
  for (const BatchJobConfig* job : order_) {
    if (stop_ && stop_->load()) break;
    seqs = table_seqs();  // upstream jobs of this pass may have committed
    std::optional<Due> due = job->schedule.empty() ? arrival_due(*job, seqs) : schedule_due(*job);
    check_late_sla(*job, due.has_value());
    if (!due) continue;
    auto last = store_.last_run(job->name, due->input_key);
    if (auto up = failed_upstream(*job, failed_now)) {
      failed_now.insert(job->name);
      if (last && last->status == "skipped") continue;  // already recorded for this input
      RunRecord run = store_.begin_run(job->name, due->input_key, due->trigger, clock_.now_ms());
      std::string why = "upstream job " + *up + " failed";
      store_.finish_run(run.id, RunStatus::kSkipped, clock_.now_ms(), why, {});
      say(fmt::format("{}: skipped ({})", job->name, why));
      out.push_back(JobOutcome{job->name, run.id, RunStatus::kSkipped, 0, why, {}});
      continue;
    }
    // A failed input waits for new data or a manual trigger (no retry storm).
    if (last && last->status == "failed") {
      failed_now.insert(job->name);
      continue;
    }
    const int64_t started = clock_.now_ms();
    JobOutcome o = run_with_retries(*job, *due, std::nullopt);
    if (options_.on_run && o.run_id != 0) options_.on_run(o, started, clock_.now_ms());
    if (o.status == RunStatus::kFailed) failed_now.insert(job->name);
    if (o.run_id != 0) out.push_back(std::move(o));
  }
  return out;
}

std::vector<JobOutcome> Orchestrator::trigger(const std::string& job,
                                              std::optional<std::vector<Day>> days,
                                              bool with_dependencies) {
  const BatchJobConfig* target = nullptr;
  for (const auto& j : pipeline_.batch_jobs) {
    if (j.name == job) target = &j;
  }
  if (!target) throw RuntimeError("no batch job '" + job + "' in " + pipeline_.file);
  std::set<std::string> wanted{job};
  if (with_dependencies) {  // order_ lists dependencies first: walk it backwards
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
      if (!wanted.count((*it)->name)) continue;
      for (const auto& d : (*it)->depends_on) wanted.insert(d);
    }
  }
  std::vector<JobOutcome> out;
  std::set<std::string> failed;
  for (const BatchJobConfig* j : order_) {
    if (!wanted.count(j->name)) continue;
    Due due;
    due.trigger = "manual";
    due.input_key = "manual:" + days_text(days) + "@" + format_ms(clock_.now_ms()) + "#" +
                    std::to_string(rng_() % 1000000);
    std::string up;
    for (const auto& d : j->depends_on) {
      if (failed.count(d)) up = d;
    }
    if (!up.empty()) {
      RunRecord run = store_.begin_run(j->name, due.input_key, due.trigger, clock_.now_ms());
      std::string why = "upstream job " + up + " failed";
      store_.finish_run(run.id, RunStatus::kSkipped, clock_.now_ms(), why, {});
      failed.insert(j->name);
      out.push_back(JobOutcome{j->name, run.id, RunStatus::kSkipped, 0, why, {}});
      continue;
    }
    const int64_t started = clock_.now_ms();
    JobOutcome o = run_with_retries(*j, due, days);
    if (options_.on_run && o.run_id != 0) options_.on_run(o, started, clock_.now_ms());
    if (o.status != RunStatus::kSucceeded) failed.insert(j->name);
    out.push_back(std::move(o));
  }
  return out;
}

JobOutcome Orchestrator::run_with_retries(const BatchJobConfig& job, const Due& due,
                                          const std::optional<std::vector<Day>>& days) {
  JobOutcome outcome;
  outcome.job = job.name;
  const OrchestratorConfig& oc = pipeline_.orchestrator;
  const std::string lease = "job:" + job.name;
  if (!store_.acquire_lease(lease, options_.owner, clock_.now_ms(), oc.lease_ms)) {
    say(fmt::format("{}: another orchestrator holds its lease; not running", job.name));
    return outcome;  // run_id 0: nothing ran
  }
  // Another orchestrator may have finished this input while we waited.
  if (due.trigger != "manual") {
    auto last = store_.last_run(job.name, due.input_key);
    if (last && last->status == "succeeded") {
      store_.release_lease(lease, options_.owner);
      return outcome;
    }
  }
  RunRecord run = store_.begin_run(job.name, due.input_key, due.trigger, clock_.now_ms());
  outcome.run_id = run.id;
  if (run.attempts > 0) {
    say(fmt::format("{}: resuming run {} ({} attempt(s) so far)", job.name, run.id, run.attempts));
    for (AttemptRecord a : store_.attempts(run.id)) {
      if (a.status != "running") continue;  // cut short by a crash
      a.status = "interrupted";
      a.finished_ms = clock_.now_ms();
      a.error = "the orchestrator stopped during this attempt";
      store_.record_attempt(a);
    }
  }
  const RetryPolicy policy = policy_for(job);
  BatchRunOptions bo;
  bo.lake_dir = lake_dir_;
  bo.days = days;
  bo.warehouse = oc.warehouse;
  bo.with_dependencies = false;
  bo.on_publish_step = options_.on_publish_step;
  int attempt = run.attempts;
  int retry = 0;
  const int limit = run.attempts + policy.max_attempts;
  while (true) {
    ++attempt;
    int64_t delay = retry > 0 ? backoff_delay_ms(policy, retry, rng_) : 0;
    if (delay > 0) {
      say(fmt::format("{}: retry {} in {} ms", job.name, retry, delay));
      wait_ms(delay);
    }
    store_.acquire_lease(lease, options_.owner, clock_.now_ms(), oc.lease_ms);
    AttemptRecord a;
    a.run_id = run.id;
    a.attempt = attempt;
    a.delay_ms = delay;
    a.started_ms = clock_.now_ms();
    say(fmt::format("{}: run {} attempt {} ({}, {})", job.name, run.id, attempt, due.trigger,
                    days ? days_text(days) : due.input_key));
    a.status = "running";  // visible if this process dies during the attempt
    store_.record_attempt(a);
    try {
      std::vector<BatchJobReport> reports = options_.run_job(pipeline_, job.name, bo);
      for (const auto& r : reports) {
        if (r.job == job.name) outcome.days = r.days;
      }
      a.finished_ms = clock_.now_ms();
      a.status = "succeeded";
      store_.record_attempt(a);
      store_.finish_run(run.id, RunStatus::kSucceeded, clock_.now_ms(), "",
                        days ? std::map<std::string, int64_t>{} : due.checkpoints);
      store_.release_lease(lease, options_.owner);
      outcome.status = RunStatus::kSucceeded;
      outcome.attempts = attempt;
      say(fmt::format("{}: run {} succeeded ({} day(s))", job.name, run.id, outcome.days.size()));
      Alert ok;
      ok.job = job.name;
      ok.attempts = attempt;
      ok.kind = "job_failed";
      ok.text = fmt::format("[sluice] RESOLVED: job {} of pipeline {} succeeded again", job.name,
                            pipeline_.name);
      resolve("job_failed:" + job.name, ok);
      ok.kind = "quality_failed";
      ok.text = fmt::format("[sluice] RESOLVED: job {} of pipeline {} passes its quality checks",
                            job.name, pipeline_.name);
      resolve("quality_failed:" + job.name, ok);
      return outcome;
    } catch (const std::exception& e) {
      FailureKind kind = classify_failure(std::current_exception());
      a.finished_ms = clock_.now_ms();
      a.status = "failed";
      a.error = std::string(failure_kind_name(kind)) + ": " + e.what();
      store_.record_attempt(a);
      say(fmt::format("{}: attempt {} failed: {}", job.name, attempt, a.error));
      bool give_up = !is_retriable(kind) || attempt >= limit || (stop_ && stop_->load());
      if (!give_up) {
        ++retry;
        continue;
      }
      store_.finish_run(run.id, RunStatus::kFailed, clock_.now_ms(), a.error, {});
      store_.release_lease(lease, options_.owner);
      outcome.status = RunStatus::kFailed;
      outcome.attempts = attempt;
      outcome.error = a.error;
      Alert alert;
      alert.job = job.name;
      alert.attempts = attempt;
      alert.error = e.what();
      if (kind == FailureKind::kQuality) {
        alert.kind = "quality_failed";
        alert.text = fmt::format("[sluice] FAILED: quality checks of job {} (pipeline {}): {}",
                                 job.name, pipeline_.name, e.what());
        fire("quality_failed:" + job.name, alert);
      } else {
        alert.kind = "job_failed";
        alert.text = fmt::format("[sluice] FAILED: job {} of pipeline {} after {} attempt(s): {}",
                                 job.name, pipeline_.name, attempt, e.what());
        fire("job_failed:" + job.name, alert);
      }
      return outcome;
    }
  }
}

void Orchestrator::check_no_data_sla(const std::map<std::string, int64_t>& seqs) {
  std::set<std::string> watched;
  for (const BatchJobConfig* j : order_) {
    if (!j->schedule.empty()) continue;
    for (const auto& t : input_tables(*j)) watched.insert(t);
  }
  const int64_t now = clock_.now_ms();
  for (const std::string& table : watched) {
    int64_t seq = seqs.count(table) ? seqs.at(table) : 0;
    auto seen = store_.checkpoint("seen_seq:" + table);
    if (!seen || *seen != seq) {
      store_.set_checkpoint("seen_seq:" + table, seq, now);
      store_.set_checkpoint("seen_at:" + table, now, now);
      Alert ok;
      ok.kind = "sla_no_data";
      ok.table = table;
      ok.text = fmt::format("[sluice] RESOLVED: table {} of pipeline {} receives data again", table,
                            pipeline_.name);
      resolve("sla_no_data:" + table, ok);
      continue;
    }
    int64_t since = store_.checkpoint("seen_at:" + table).value_or(now);
    if (now - since > pipeline_.orchestrator.sla_ms) {
      Alert a;
      a.kind = "sla_no_data";
      a.table = table;
      a.text = fmt::format("[sluice] SLA MISSED: no new data in table {} of pipeline {} for {} min",
                           table, pipeline_.name, (now - since) / 60000);
      fire("sla_no_data:" + table, a);
    }
  }
}

void Orchestrator::check_late_sla(const BatchJobConfig& job, bool due) {
  const std::string key = "due_since:" + job.name;
  const int64_t now = clock_.now_ms();
  int64_t since = store_.checkpoint(key).value_or(0);
  if (!due) {
    if (since != 0) {
      store_.set_checkpoint(key, 0, now);
      Alert ok;
      ok.kind = "sla_job_late";
      ok.job = job.name;
      ok.text = fmt::format("[sluice] RESOLVED: job {} of pipeline {} is up to date", job.name,
                            pipeline_.name);
      resolve("sla_job_late:" + job.name, ok);
    }
    return;
  }
  if (since == 0) {
    store_.set_checkpoint(key, now, now);
    return;
  }
  if (now - since > pipeline_.orchestrator.sla_ms) {
    Alert a;
    a.kind = "sla_job_late";
    a.job = job.name;
    a.text = fmt::format("[sluice] SLA MISSED: job {} of pipeline {} has not caught up for {} min",
                         job.name, pipeline_.name, (now - since) / 60000);
    fire("sla_job_late:" + job.name, a);
  }
}

void Orchestrator::fire(const std::string& incident, Alert alert) {
  if (!store_.open_incident(incident, alert.text, clock_.now_ms())) return;  // already alerted
  deliver(incident, "firing", std::move(alert));
}

void Orchestrator::resolve(const std::string& incident, Alert alert) {
  if (!store_.close_incident(incident)) return;
  deliver(incident, "resolved", std::move(alert));
}

void Orchestrator::deliver(const std::string& incident, const char* state, Alert alert) {
  alert.incident = incident;
  alert.state = state;
  alert.pipeline = pipeline_.name;
  say("alert: " + alert.text);
  std::string error;
  if (alerts_ && !alerts_->send(alert, error)) say("alert: webhook delivery failed: " + error);
}

void Orchestrator::say(const std::string& line) {
  if (options_.log) *options_.log << "orchestrator: " << line << std::endl;
}

void Orchestrator::wait_ms(int64_t ms) {
  // Backoff sleeps go through the clock (fake in tests), one second at a time
  // so that a stop request is noticed.
  while (ms > 0 && !(stop_ && stop_->load())) {
    int64_t step = std::min<int64_t>(ms, 1000);
    clock_.sleep_ms(step);
    ms -= step;
  }
}

void Orchestrator::notify() {
  {
    std::lock_guard lock(wake_mu_);
    woken_ = true;
  }
  wake_cv_.notify_all();
}

bool Orchestrator::request_trigger(const std::string& job) {
  bool known = false;
  for (const auto& j : pipeline_.batch_jobs) known = known || j.name == job;
  if (!known) return false;
  {
    std::lock_guard lock(wake_mu_);
    requested_.push_back(job);
    woken_ = true;
  }
  wake_cv_.notify_all();
  return true;
}

void Orchestrator::run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  while (!stop.load()) {
    std::vector<std::string> requested;
    {
      std::lock_guard lock(wake_mu_);
      requested.swap(requested_);
    }
    for (const auto& job : requested) {
      if (stop.load()) break;
      trigger(job, std::nullopt, true);
    }
    tick();
    std::unique_lock lock(wake_mu_);
    int64_t waited = 0;
    // Wait in short steps so that `stop` (set by a signal handler) is seen.
    while (!woken_ && !stop.load() && waited < pipeline_.orchestrator.poll_interval_ms) {
      wake_cv_.wait_for(lock, std::chrono::milliseconds(100));
      waited += 100;
    }
    woken_ = false;
  }
  stop_ = nullptr;
}

}  // namespace sluice
