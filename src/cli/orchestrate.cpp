// `sluice orchestrate`, `sluice runs` and `sluice trigger`: the orchestrator
// alone, the run history from its checkpoint store, and manual runs/backfills.
#include <cstdio>
#include <iostream>

#include "batch/day.h"
#include "cli/commands.h"
#include "cli/telemetry_setup.h"
#include "config/loader.h"
#include "core/error.h"
#include "core/time.h"
#include "observability/http_server.h"
#include "orchestrator/host.h"

namespace sluice::cli {

namespace {

PipelineConfig load_with_lake(const std::string& pipeline, const std::string& lake,
                              const std::vector<std::string>& sets = {}) {
  ConfigOverrides o = to_overrides(sets);
  if (!lake.empty()) o.push_back({"sink.lake.path", "'" + lake + "'"});
  return load_pipeline(pipeline, o);
}

Day parse_day(const std::string& flag, const std::string& text) {
  auto d = Day::parse(text);
  if (!d) throw CLI::ValidationError(flag, "expected a date YYYY-MM-DD, got '" + text + "'");
  return *d;
}

std::string format_time(int64_t ms) {
  if (ms <= 0) return "-";
  CivilTime c = to_civil(ms * 1000);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

int exit_code(const std::vector<JobOutcome>& outcomes) {
  int rc = kExitOk;
  for (const auto& o : outcomes) {
    if (o.status == RunStatus::kFailed || o.status == RunStatus::kSkipped) {
      if (o.error.rfind("quality:", 0) == 0) return kExitQuality;
      rc = kExitRuntime;
    }
  }
  return rc;
}

void print_outcomes(const std::vector<JobOutcome>& outcomes) {
  for (const auto& o : outcomes) {
    std::printf("%s: run %lld %s, %d attempt(s), %zu day(s)%s%s\n", o.job.c_str(),
                static_cast<long long>(o.run_id), run_status_name(o.status), o.attempts,
                o.days.size(), o.error.empty() ? "" : ": ", o.error.c_str());
  }
}

}  // namespace

int orchestrate_command(const OrchestrateArgs& a, const std::atomic<bool>& stop) {
  PipelineConfig config = load_with_lake(a.pipeline, a.lake, a.sets);
  if (config.batch_jobs.empty()) {
    throw ConfigError(config.file, 0, "batch",
                      "the pipeline declares no batch jobs to orchestrate");
  }
  auto telemetry = make_telemetry(config, false);
  auto http = obs::start_http(*telemetry, a.http, config.http.listen, "off");
  OrchestratorHost host(config, a.quiet ? nullptr : &std::cerr, job_hook(*telemetry));
  Orchestrator& orchestrator = host.orchestrator();
  telemetry->orchestrator_started();
  if (a.once) {
    auto outcomes = orchestrator.tick();
    print_outcomes(outcomes);
    return exit_code(outcomes);
  }
  TriggerEndpoint trigger(http.get(), config, &orchestrator);
  orchestrator.run(stop);
  return kExitOk;
}

int runs_command(const RunsArgs& a) {
  std::unique_ptr<CheckpointStore> store;
  if (!a.pipeline.empty()) {
    PipelineConfig config = load_with_lake(a.pipeline, a.lake);
    store = open_checkpoint_store(config.orchestrator.store, config.lake.path);
  } else if (!a.lake.empty()) {
    store = open_checkpoint_store("", a.lake);
  } else {
    throw CLI::ValidationError("--pipeline", "give --pipeline or --lake to find the store");
  }
  std::printf("%-6s %-20s %-11s %-19s %9s %8s %-8s %s\n", "run", "job", "status", "started",
              "duration", "attempts", "trigger", "error");
  for (const RunRecord& r : store->list_runs(a.job, a.limit)) {
    std::string duration =
        r.finished_ms > 0 ? std::to_string((r.finished_ms - r.started_ms) / 1000) + "s" : "-";
    std::printf("%-6lld %-20s %-11s %-19s %9s %8d %-8s %s\n", static_cast<long long>(r.id),
                r.job.c_str(), r.status.c_str(), format_time(r.started_ms).c_str(),
                duration.c_str(), r.attempts, r.trigger.c_str(), r.error.c_str());
  }
  return kExitOk;
}

int trigger_command(const TriggerArgs& a) {
  PipelineConfig config = load_with_lake(a.pipeline, a.lake);
  std::optional<std::vector<Day>> days;
  if (!a.date.empty()) {
    days = std::vector<Day>{parse_day("--date", a.date)};
  } else if (!a.from.empty()) {
    Day first = parse_day("--from", a.from), last = parse_day("--to", a.to);
    if (last < first) throw CLI::ValidationError("--to", "is before --from");
    if (last.days_since_epoch - first.days_since_epoch > 3660) {
      throw CLI::ValidationError("--to", "a range covers at most 3660 days");
    }
    days.emplace();
    for (Day d = first; d <= last; ++d.days_since_epoch) days->push_back(d);
  }
  OrchestratorHost host(config, a.quiet ? nullptr : &std::cerr);
  auto outcomes = host.orchestrator().trigger(a.job, days, !a.no_deps);
  print_outcomes(outcomes);
  return exit_code(outcomes);
}

}  // namespace sluice::cli
