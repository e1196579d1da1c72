#include "cli/commands.h"

#include "config/loader.h"
#include "core/error.h"
#include "storage/location.h"

namespace sluice::cli {

Commands::Commands(CLI::App& app, const std::atomic<bool>& stop) : stop_(stop) {
  auto* run = app.add_subcommand("run", "Run a pipeline: stream from its source into the lake");
  run->add_option("pipeline", run_.pipeline, "pipeline YAML file")->required();
  run->add_option(
      "--input", run_.input,
      "read this file, directory, glob or '-' (stdin) instead of the pipeline's source");
  run->add_option("--brokers", run_.brokers,
                  "Kafka bootstrap servers (switches the source to Kafka)");
  run->add_option("--topic", run_.topic, "Kafka topic");
  run->add_option("--group", run_.group, "Kafka consumer group");
  run->add_option("--lake", run_.lake, "lake root directory (overrides sink.lake.path)");
  run->add_option("--dlq", run_.dlq, "dead-letter file (overrides sink.dlq.path)");
  run->add_option("--set", run_.sets,
                  "override a config value: KEY=VALUE, e.g. sink.lake.table=t2");
  run->add_option("--writer-id", run_.writer_id,
                  "stable name of this process among writers of the table; with a Kafka "
                  "source also its static group member id (group.instance.id)")
      ->capture_default_str()
      ->each([this](const std::string&) { run_.writer_id_given = true; });
  run->add_option("--stop-after", run_.stop_after,
                  "stop after reading this many events (0: never)");
  run->add_option("--idle-stop-ms", run_.idle_stop_ms,
                  "stop after this long without input (0: never)");
  run->add_flag("--quiet", run_.quiet, "no progress lines");
  run->add_option(
      "--http", run_.http,
      "serve /metrics, /health, /api and the dashboard on HOST:PORT, :PORT or PORT "
      "(host 127.0.0.1; port 0: any free port), or 'off' (default: http.listen, else off)");
  run->callback([this] { chosen_ = [this] { return run_command(run_, stop_); }; });

  auto* validate =
      app.add_subcommand("validate", "Check a pipeline file; exit 3 naming file, line and key");
  validate->add_option("pipeline", validate_.pipeline, "pipeline YAML file")->required();
  validate->add_option("--set", validate_.sets, "override a config value: KEY=VALUE");
  validate->callback([this] {
    chosen_ = [this] { return validate_command(validate_.pipeline, validate_.sets); };
  });

  auto* gen = app.add_subcommand(
      "generate", "Write realistic events of one family (NDJSON or access-log lines)");
  gen->add_option("family", generate_.family,
                  "clickstream, user_events, iot (NDJSON), access-log (combined-format text "
                  "lines); or the reference CSVs sales-csv, product-master")
      ->required()
      ->check(CLI::IsMember(
          {"clickstream", "user_events", "iot", "access-log", "sales-csv", "product-master"}));
  gen->add_option("--count", generate_.count, "number of events")->capture_default_str();
  gen->add_option("--rate", generate_.rate, "events per second (0: as fast as possible)");
  gen->add_option("--duplicates", generate_.duplicates,
                  "percent of events repeated (producer retries); default 2 for iot, else 0");
  gen->add_option("--malformed", generate_.malformed,
                  "percent of malformed events; default 0.2 for access-log, else 0");
  gen->add_option("--late", generate_.late,
                  "percent of late events, 1..5 minutes behind the stream");
  gen->add_option("--spread", generate_.spread,
                  "event-time spread: single (in order, one hour), live (95% in the current "
                  "hour, 5% in the 24 hours before), backfill:H (uniform over H hours, "
                  "shuffled); default live, single for iot")
      ->check([](const std::string& v) {
        return parse_time_spread(v) ? std::string()
                                    : std::string("expected single, live or backfill:HOURS");
      });
  gen->add_option("--seed", generate_.seed, "random seed (same seed, same events)")
      ->capture_default_str();
  gen->add_option("--start", generate_.start, "index of the first event (resume a sequence)");
  gen->add_option("--output,-o", generate_.output, "PATH, '-' for stdout, or kafka://BROKERS/TOPIC")
      ->capture_default_str();
  gen->callback([this] { chosen_ = [this] { return generate_command(generate_, stop_); }; });

  auto* demo =
      app.add_subcommand("demo", "Dev broker + generator + clickstream pipeline into ./lake");
  demo->add_option("--events", demo_.events, "events to generate")->capture_default_str();
  demo->add_option("--lake", demo_.lake, "lake root directory")->capture_default_str();
  demo->add_option("--partitions", demo_.partitions, "topic partitions")->capture_default_str();
  demo->add_option("--malformed", demo_.malformed, "percent of malformed events")
      ->capture_default_str();
  demo->add_option("--duplicates", demo_.duplicates, "percent of duplicate events");
  demo->add_option("--seed", demo_.seed, "random seed")->capture_default_str();
  demo->add_option("--http", demo_.http,
                   "dashboard, /metrics and /health on HOST:PORT, :PORT or PORT, or 'off' "
                   "(default 127.0.0.1:0, any free port; the URL is printed)");
  demo->add_flag("--serve", demo_.serve,
                 "keep serving the dashboard after the summary, until Ctrl-C");
  demo->callback([this] { chosen_ = [this] { return demo_command(demo_, stop_); }; });

  auto* broker = app.add_subcommand(
      "dev-broker", "Run librdkafka's mock Kafka cluster on loopback until stopped");
  broker->add_option("--port", broker_.port, "port of the broker (0: any free port)");
  broker->add_option("--partitions", broker_.partitions, "partitions per topic")
      ->capture_default_str();
  broker->add_option("--topic", broker_.topics, "topic to create (repeatable)");
  broker->callback([this] { chosen_ = [this] { return dev_broker_command(broker_, stop_); }; });

  auto* lake = app.add_subcommand("lake", "Inspect and maintain a lake table");
  lake->require_subcommand(1);
  for (auto [verb, help] : {std::pair{"ls", "partitions with files, rows and bytes"},
                            {"log", "the commit log, one line per commit"},
                            {"verify", "check the files against the log (exit 4 on problems)"}}) {
    auto* sub = lake->add_subcommand(verb, help);
    sub->add_option("table", lake_.table_dir, "table directory, LAKE/TABLE")->required();
    std::string v = verb;
    sub->callback([this, v] { chosen_ = [this, v] { return lake_command(v, lake_); }; });
  }
  auto* compact = lake->add_subcommand(
      "compact", "merge the small files of closed partitions in one atomic commit");
  auto* vacuum = lake->add_subcommand(
      "vacuum", "delete files no live commit references, and stale multipart uploads");
  for (auto* sub : {compact, vacuum}) {
    sub->add_option("table", lake_.table_dir,
                    "table: LAKE/TABLE or s3://bucket/prefix/TABLE, or a table name with --lake")
        ->required();
    sub->add_option("--lake", lake_.lake, "lake root directory or s3://bucket/prefix");
  }
  compact->add_option("--target-size", lake_.target_size, "size of the merged files")
      ->capture_default_str();
  compact
      ->add_option("--closed-after", lake_.closed_after,
                   "a partition is closed when no commit added a file to it for this long")
      ->capture_default_str();
  compact->add_option("--scratch", lake_.scratch,
                      "local directory for merged files before upload (default $TMPDIR)");
  vacuum->add_option("--retain", lake_.retain, "keep unreferenced files younger than this")
      ->capture_default_str();
  vacuum->add_flag("--dry-run", lake_.dry_run, "list what would be deleted, delete nothing");
  vacuum->add_flag("--force", lake_.force,
                   "allow --retain below 1h (unsafe while writers run: their staged files "
                   "are unreferenced until their commit)");
  compact->callback([this] { chosen_ = [this] { return lake_command("compact", lake_); }; });
  vacuum->callback([this] { chosen_ = [this] { return lake_command("vacuum", lake_); }; });

  auto* batch = app.add_subcommand(
      "batch", "Run a batch job over the lake: SQL, quality checks, lake + warehouse + CSV");
  batch->add_option("job", batch_.job, "job name (the pipeline's batch: section)")->required();
  batch->add_option("--pipeline,-p", batch_.pipeline, "pipeline YAML file")->required();
  batch->add_option("--lake", batch_.lake, "lake root directory (overrides sink.lake.path)");
  auto* date = batch->add_option("--date", batch_.date, "process one day, YYYY-MM-DD");
  auto* from = batch->add_option("--from", batch_.from, "first day of a range, YYYY-MM-DD");
  auto* to = batch->add_option("--to", batch_.to, "last day of a range (inclusive)");
  auto* since = batch->add_flag("--since-last", batch_.since_last,
                                "only days whose input changed since the last run (the default)");
  from->needs(to);
  to->needs(from);
  date->excludes(from)->excludes(to)->excludes(since);
  since->excludes(from)->excludes(to);
  batch->add_option(
      "--warehouse", batch_.warehouse,
      "duckdb:PATH, postgresql://... or none (default duckdb:LAKE/_warehouse.duckdb)");
  batch->add_option("--csv", batch_.csv, "write the CSV export here (overrides the job's csv)");
  batch->add_flag("--no-deps", batch_.no_deps, "do not run the job's depends_on jobs first");
  batch->add_flag("--quiet", batch_.quiet, "no progress lines");
  batch->add_option("--set", batch_.sets, "override a config value: KEY=VALUE (repeatable)");
  batch->callback([this] { chosen_ = [this] { return batch_command(batch_); }; });

  auto* orch = app.add_subcommand(
      "orchestrate", "Run the pipeline's batch jobs by themselves: triggers, retries, alerts");
  orch->add_option("pipeline", orchestrate_.pipeline, "pipeline YAML file")->required();
  orch->add_option("--lake", orchestrate_.lake, "lake root directory (overrides sink.lake.path)");
  orch->add_flag("--once", orchestrate_.once, "one pass over the jobs, then exit");
  orch->add_flag("--quiet", orchestrate_.quiet, "no progress lines");
  orch->add_option("--set", orchestrate_.sets, "override a config value: KEY=VALUE (repeatable)");
  orch->add_option("--http", orchestrate_.http,
                   "serve /metrics, /health, /api and the dashboard on HOST:PORT, :PORT or PORT, "
                   "or 'off' (default: http.listen, else off)");
  orch->callback([this] { chosen_ = [this] { return orchestrate_command(orchestrate_, stop_); }; });

  auto* runs = app.add_subcommand("runs", "List orchestrated runs, newest first");
  runs->add_option("--pipeline,-p", runs_.pipeline, "pipeline YAML file (finds the store)");
  runs->add_option("--lake", runs_.lake, "lake root directory (default store inside it)");
  runs->add_option("--job", runs_.job, "only this job");
  runs->add_option("--limit", runs_.limit, "at most this many runs")->capture_default_str();
  runs->callback([this] { chosen_ = [this] { return runs_command(runs_); }; });

  auto* trig = app.add_subcommand("trigger", "Run a batch job now through the orchestrator");
  trig->add_option("job", trigger_.job, "job name")->required();
  trig->add_option("--pipeline,-p", trigger_.pipeline, "pipeline YAML file")->required();
  trig->add_option("--lake", trigger_.lake, "lake root directory (overrides sink.lake.path)");
  auto* tdate = trig->add_option("--date", trigger_.date, "process one day, YYYY-MM-DD");
  auto* tfrom = trig->add_option("--from", trigger_.from, "backfill from this day, YYYY-MM-DD");
  auto* tto = trig->add_option("--to", trigger_.to, "last day of the backfill (inclusive)");
  tfrom->needs(tto);
  tto->needs(tfrom);
  tdate->excludes(tfrom)->excludes(tto);
  trig->add_flag("--no-deps", trigger_.no_deps, "do not run the job's depends_on jobs first");
  trig->add_flag("--quiet", trigger_.quiet, "no progress lines");
  trig->callback([this] { chosen_ = [this] { return trigger_command(trigger_); }; });
}

void check_lake_location(const std::string& location, const std::string& flag) {
  try {
    storage::parse_location(location);
  } catch (const storage::StorageError& e) {
    throw CLI::ValidationError(flag, e.what());
  }
}

int Commands::run() {
  return chosen_ ? chosen_() : 2;
}

}  // namespace sluice::cli
