// An Orchestrator wired from a pipeline's own config: the checkpoint store
// that `orchestrator.store` names (default: SQLite beside the lake), webhook
// alerts when `orchestrator.webhook_url` is set, and the system clock. Used by
// `sluice orchestrate`, `sluice trigger`, `sluice run` and `sluice demo`.
//
// Threading: as Orchestrator.
#pragma once

#include <iosfwd>
#include <memory>

#include "config/pipeline.h"
#include "core/kill_hook.h"
#include "orchestrator/alerts.h"
#include "orchestrator/checkpoint_store.h"
#include "orchestrator/clock.h"
#include "orchestrator/orchestrator.h"

namespace sluice {

class OrchestratorHost {
 public:
  // `log`: one line per run, attempt and alert (nullptr: silent). Throws
  // RuntimeError if the store cannot be opened, ConfigError for a bad
  // schedule.
  // `on_run`: see OrchestratorOptions::on_run (metrics).
  OrchestratorHost(const PipelineConfig& config, std::ostream* log,
                   decltype(OrchestratorOptions::on_run) on_run = {})
      : store_(open_checkpoint_store(config.orchestrator.store, config.lake.path)),
        alerts_(config.orchestrator.webhook_url.empty()
                    ? nullptr
                    : make_webhook_sink(config.orchestrator.webhook_url)),
        orchestrator_(config, options(config, log, std::move(on_run)), *store_, clock_,
                      alerts_.get()) {}
  OrchestratorHost(const OrchestratorHost&) = delete;
  OrchestratorHost& operator=(const OrchestratorHost&) = delete;

  Orchestrator& orchestrator() { return orchestrator_; }
  CheckpointStore& store() { return *store_; }

 private:
  static OrchestratorOptions options(const PipelineConfig& config, std::ostream* log,
                                     decltype(OrchestratorOptions::on_run) on_run) {
    OrchestratorOptions o;
    o.on_run = std::move(on_run);
    o.lake_dir = config.lake.path;
    o.log = log;
    o.on_publish_step = kill_at_step_from_env("SLUICE_TEST_BATCH_KILL_AT");
    return o;
  }

  std::unique_ptr<CheckpointStore> store_;
  std::unique_ptr<AlertSink> alerts_;
  SystemClock clock_;
  Orchestrator orchestrator_;  // declared last: uses the members above
};

}  // namespace sluice
