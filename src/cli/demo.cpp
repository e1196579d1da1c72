// `sluice demo`: everything on embedded defaults. Starts a dev broker, a
// generator producing clickstream events into it, and the clickstream
// pipeline (embedded copy of examples/clickstream.yaml) into ./lake.
#include <duckdb.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/commands.h"
#include "cli/embedded_pipelines.h"
#include "cli/telemetry_setup.h"
#include "config/loader.h"
#include "core/error.h"
#include "core/time.h"
#include "observability/http_server.h"
#include "orchestrator/background.h"
#include "orchestrator/host.h"
#include "pipeline/stream_runner.h"
#include "sources/generate/generator.h"
#include "sources/kafka/dev_broker.h"
#include "sources/kafka/kafka_producer.h"

namespace sluice::cli {

namespace {

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw RuntimeError("demo: cannot write " + path.string());
}

// Prints the busiest pages of the page_metrics output table, read back with
// DuckDB from its Parquet files.
void print_page_metrics(const std::string& lake) {
  std::string dir = lake + "/page_metrics";
  if (!std::filesystem::exists(dir)) return;
  duckdb_database db;
  duckdb_connection con;
  if (duckdb_open(nullptr, &db) != DuckDBSuccess) return;
  if (duckdb_connect(db, &con) != DuckDBSuccess) {
    duckdb_close(&db);
    return;
  }
  std::string sql =
      "SELECT page_url, day, events, round(avg_tti, 1), round(avg_ttar, 1) FROM read_parquet('" +
      dir + "/**/*.parquet', hive_partitioning = false) ORDER BY events DESC LIMIT 5";
  duckdb_result res;
  if (duckdb_query(con, sql.c_str(), &res) == DuckDBSuccess) {
    std::printf("top pages (page_metrics):\n  %-50s %-10s %8s %9s %9s\n", "page_url", "day",
                "events", "avg_tti", "avg_ttar");
    for (idx_t r = 0; r < duckdb_row_count(&res); ++r) {
      std::string cells[5];
      for (idx_t c = 0; c < 5; ++c) {
        char* v = duckdb_value_varchar(&res, c, r);
        cells[c] = v ? v : "NULL";
        duckdb_free(v);
      }
      std::printf("  %-50s %-10s %8s %9s %9s\n", cells[0].c_str(), cells[1].c_str(),
                  cells[2].c_str(), cells[3].c_str(), cells[4].c_str());
    }
  }
  duckdb_destroy_result(&res);
  duckdb_disconnect(&con);
  duckdb_close(&db);
}

}  // namespace

int demo_command(const DemoArgs& a, const std::atomic<bool>& stop) {
  DevBroker broker(0);
  // A fresh topic name per run: the dev broker starts empty every time, and
  // positions in an existing ./lake belong to the previous run's topic, so a
  // second demo adds to the lake instead of waiting at old offsets.
  const std::string topic = "clickstream-" + std::to_string(now_micros() / 1000000);
  broker.create_topic(topic, a.partitions);

  ConfigOverrides o = {
      {"source.type", "kafka"},
      {"source.kafka.brokers", "'" + broker.bootstraps() + "'"},
      {"source.kafka.topic", topic},
      {"source.kafka.group", "sluice-demo"},
      {"sink.lake.path", "'" + a.lake + "'"},
      {"sink.dlq.path", "'" + a.lake + "/_dlq/clickstream.ndjson'"},
      {"sink.lake.rotate.max_seconds", "2"},
      // Short fetch waits: the producer runs only a small window ahead.
      {"source.kafka.properties", "{fetch.wait.max.ms: '10', session.timeout.ms: '10000'}"}};
  // The embedded pipeline and its reference data go beside the lake, so its
  // batch jobs find them ({{pipeline_dir}}/data/*.csv).
  const std::filesystem::path demo_dir = std::filesystem::path(a.lake) / "_demo";
  write_file(demo_dir / "clickstream.yaml", kClickstreamPipeline);
  write_file(demo_dir / "data" / "sales.csv", sales_csv(a.seed));
  write_file(demo_dir / "data" / "product_master.csv", product_master_csv());
  o.push_back({"orchestrator", "{poll_interval: 1s}"});
  PipelineConfig config = load_pipeline((demo_dir / "clickstream.yaml").string(), o);

  // The dashboard's URL is the first thing the demo prints.
  auto telemetry = make_telemetry(config, true);
  auto http = obs::start_http(*telemetry, a.http, config.http.listen, "127.0.0.1:0");
  if (a.serve && !http)
    throw ConfigError("--serve", 0, "http.listen",
                      "--serve needs the HTTP server (not --http off)");
  std::fprintf(stderr, "[sluice] demo: dev broker at %s, topic %s (%d partitions), %lld events\n",
               broker.bootstraps().c_str(), topic.c_str(), a.partitions,
               static_cast<long long>(a.events));
  // The orchestrator runs the batch jobs as commits arrive, on its own thread.
  OrchestratorHost host(config, nullptr, job_hook(*telemetry));
  telemetry->orchestrator_started();
  Orchestrator& orchestrator = host.orchestrator();
  BackgroundOrchestrator background(orchestrator);

  std::atomic<int64_t> consumed{0};
  std::atomic<bool> producer_failed{false};
  std::atomic<bool> stop_all{false};
  // The mock broker keeps only a few MB per partition: produce at most a
  // window ahead of what the pipeline has read.
  std::thread producer_thread([&] {
    try {
      GeneratorOptions g;
      g.family = "clickstream";
      g.seed = a.seed;
      g.malformed_pct = a.malformed;
      g.duplicates_pct = a.duplicates;
      Generator gen(g);
      KafkaProducer producer(broker.bootstraps(), {});
      std::string line;
      const int64_t window = 1500LL * a.partitions;
      for (int64_t i = 0; i < a.events && !stop.load() && !stop_all.load(); ++i) {
        while (i - consumed.load() > window && !stop.load() && !stop_all.load()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        line.clear();
        gen.event(i, line);
        producer.produce(topic, line);
      }
      producer.flush(60000);
      if (producer.failed() > 0) producer_failed = true;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "[sluice] demo producer: %s\n", e.what());
      producer_failed = true;
    }
  });

  RunOptions opts;
  opts.stop_after_events = a.events;
  opts.read_counter = &consumed;
  opts.on_commit = [&orchestrator] { orchestrator.notify(); };
  opts.telemetry = telemetry.get();
  RunSummary s;
  try {
    StreamRunner runner(config, opts);
    // Stop if the producer gave up, or on Ctrl-C.
    std::atomic<bool> combined{false};
    std::thread watch([&] {
      while (!combined.load()) {
        if (stop.load() || producer_failed.load()) combined = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (stop_all.load()) break;
      }
    });
    try {
      s = runner.run(combined);
    } catch (...) {
      stop_all = true;
      watch.join();
      throw;
    }
    stop_all = true;
    watch.join();
  } catch (...) {
    stop_all = true;
    producer_thread.join();
    throw;
  }
  producer_thread.join();
  background.stop();
  if (!stop.load()) orchestrator.tick();  // what the final commits brought
  std::printf("sluice demo: clickstream -> %s/clickstream\n%s", a.lake.c_str(),
              format_summary(s).c_str());
  std::printf("batch job runs (latest first):\n");
  for (const auto& r : host.store().list_runs("", 6)) {
    std::printf("  %-14s %-10s attempts %d %s\n", r.job.c_str(), r.status.c_str(), r.attempts,
                r.error.c_str());
  }
  print_page_metrics(a.lake);
  std::printf("dlq:             %s\n", config.dlq.path.c_str());
  std::printf("inspect:         sluice lake ls %s/clickstream; sluice lake verify %s/clickstream\n",
              a.lake.c_str(), a.lake.c_str());
  if (producer_failed.load())
    throw RuntimeError("demo: producing events into the dev broker failed");
  if (a.serve && !stop.load()) {
    std::fflush(stdout);
    std::fprintf(stderr, "[sluice] demo: done; the dashboard stays up at %s until Ctrl-C\n",
                 http->url().c_str());
    while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::fprintf(stderr, "[sluice] demo: stopped\n");
  }
  return kExitOk;
}

}  // namespace sluice::cli
