// Wiring of the observability pieces for `sluice run`, `sluice demo` and
// `sluice orchestrate`: the Telemetry of a pipeline and the orchestrator's
// per-run metrics hook.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "observability/http_server.h"
#include "observability/telemetry.h"
#include "orchestrator/orchestrator.h"

namespace sluice::cli {

inline std::unique_ptr<obs::Telemetry> make_telemetry(const PipelineConfig& c, bool stream) {
  std::vector<std::string> jobs;
  for (const auto& j : c.batch_jobs) jobs.push_back(j.name);
  return std::make_unique<obs::Telemetry>(c.name, stream ? c.lake.table : "", jobs);
}

// OrchestratorOptions::on_run reporting to `t`.
inline auto job_hook(obs::Telemetry& t) {
  return [&t](const JobOutcome& o, int64_t started_ms, int64_t finished_ms) {
    obs::JobRunInfo r;
    r.job = o.job;
    r.status = run_status_name(o.status);
    r.run_id = o.run_id;
    r.attempts = o.attempts;
    r.started_ms = started_ms;
    r.finished_ms = finished_ms;
    r.error = o.error;
    t.job_run(r);
  };
}

// POST /api/jobs/NAME/trigger on `server` (if any) queues a manual run on
// `orchestrator` (if any) while this object lives, when a token is set
// (http.token or SLUICE_HTTP_TOKEN). Declared after the orchestrator, so the
// endpoint lets go of it before it is destroyed.
class TriggerEndpoint {
 public:
  TriggerEndpoint(obs::HttpServer* server, const PipelineConfig& c, Orchestrator* orchestrator)
      : server_(server), token_(obs::resolve_http_token(c.http.token)) {
    if (!server_) return;
    obs::HttpActions a;
    a.token = token_;
    if (orchestrator)
      a.trigger_job = [orchestrator](const std::string& job) {
        return orchestrator->request_trigger(job);
      };
    server_->set_actions(std::move(a));
  }
  ~TriggerEndpoint() {
    if (server_) server_->set_actions({token_, {}});
  }
  TriggerEndpoint(const TriggerEndpoint&) = delete;
  TriggerEndpoint& operator=(const TriggerEndpoint&) = delete;

 private:
  obs::HttpServer* server_;
  std::string token_;
};

}  // namespace sluice::cli
