// `sluice run` and `sluice validate`.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "cli/telemetry_setup.h"
#include "config/loader.h"
#include "core/error.h"
#include "core/kill_hook.h"
#include "observability/http_server.h"
#include "orchestrator/background.h"
#include "orchestrator/host.h"
#include "pipeline/stream_runner.h"
#include "storage/location.h"

namespace sluice::cli {

ConfigOverrides to_overrides(const std::vector<std::string>& sets) {
  ConfigOverrides o;
  for (const auto& s : sets) o.push_back(parse_override(s));
  return o;
}

int validate_command(const std::string& pipeline, const std::vector<std::string>& sets) {
  PipelineConfig c = load_pipeline(pipeline, to_overrides(sets));
  std::printf("%s: ok (pipeline '%s', %zu fields, table %s/%s)\n", pipeline.c_str(), c.name.c_str(),
              c.schema.fields.size(), c.lake.path.c_str(), c.lake.table.c_str());
  return kExitOk;
}

int run_command(const RunArgs& a, const std::atomic<bool>& stop) {
  ConfigOverrides o = to_overrides(a.sets);
  if (!a.input.empty()) {
    o.push_back({"source.type", "file"});
    o.push_back({"source.file.path", "'" + a.input + "'"});
  } else if (!a.brokers.empty() || !a.topic.empty() || !a.group.empty()) {
    o.push_back({"source.type", "kafka"});
    if (!a.brokers.empty()) o.push_back({"source.kafka.brokers", "'" + a.brokers + "'"});
    if (!a.topic.empty()) o.push_back({"source.kafka.topic", "'" + a.topic + "'"});
    if (!a.group.empty()) o.push_back({"source.kafka.group", "'" + a.group + "'"});
  }
  if (!a.lake.empty()) o.push_back({"sink.lake.path", "'" + a.lake + "'"});
  if (!a.dlq.empty()) o.push_back({"sink.dlq.path", "'" + a.dlq + "'"});
  PipelineConfig config = load_pipeline(a.pipeline, o);
  const bool remote_lake = storage::has_scheme(config.lake.path);
  if (!a.lake.empty() && a.dlq.empty()) {
    // The DLQ follows the lake unless placed explicitly (it is a local file:
    // ./_dlq for an s3:// lake, as in the config's default).
    PipelineConfig plain = load_pipeline(a.pipeline, to_overrides(a.sets));
    if (plain.dlq.path == plain.lake.path + "/_dlq/" + plain.lake.table + ".ndjson" ||
        plain.dlq.path.rfind(plain.lake.path, 0) == 0) {
      config.dlq.path = (remote_lake ? std::string(".") : config.lake.path) + "/_dlq/" +
                        config.lake.table + ".ndjson";
    }
  }
  // A named writer is a stable process slot: make it the static group member
  // id too, so its restart takes its partitions back without a rebalance.
  if (config.source.kafka.instance_id.empty() && a.writer_id_given)
    config.source.kafka.instance_id = a.writer_id;
  RunOptions opts;
  opts.writer_id = a.writer_id;
  opts.stop_after_events = a.stop_after;
  opts.idle_stop_ms = a.idle_stop_ms;
  opts.progress = !a.quiet;
  opts.finalizer_step = signal_at_step_from_env("SLUICE_TEST_FINALIZER_STOP_AT", SIGSTOP);
  // Progress on stderr: one line redrawn in place on a terminal (4 times a
  // second), plain lines once a second otherwise.
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  int columns = 0;
  struct winsize ws {};
  if (tty && ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0) columns = ws.ws_col;
  opts.on_progress = obs::ProgressPrinter(stderr, tty, columns);
  opts.progress_interval_ms = tty ? 250 : 1000;
  // Metrics and the HTTP server (before the stream, so a busy port fails at once).
  auto telemetry = make_telemetry(config, true);
  opts.telemetry = telemetry.get();
  auto http = obs::start_http(*telemetry, a.http, config.http.listen, "off");
  // With batch jobs and an `orchestrator:` section, the orchestrator runs
  // beside the stream on its own thread, woken by each lake commit.
  std::unique_ptr<OrchestratorHost> host;
  std::unique_ptr<BackgroundOrchestrator> background;
  if (!config.batch_jobs.empty() && config.orchestrator.declared) {
    host = std::make_unique<OrchestratorHost>(config, a.quiet ? nullptr : &std::cerr,
                                              job_hook(*telemetry));
    telemetry->orchestrator_started();
    opts.on_commit = [o = &host->orchestrator()] { o->notify(); };
    background = std::make_unique<BackgroundOrchestrator>(host->orchestrator());
  }
  TriggerEndpoint trigger(http.get(), config, host ? &host->orchestrator() : nullptr);
  StreamRunner runner(config, opts);
  RunSummary s = runner.run(stop);
  if (host) {
    // The stream ended: one last pass over what its final commits brought
    // (unless the user asked to stop).
    background->stop();
    if (!stop.load()) host->orchestrator().tick();
  }
  std::printf("%s", format_summary(s).c_str());
  return kExitOk;
}

}  // namespace sluice::cli
