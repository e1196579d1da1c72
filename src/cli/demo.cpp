// `sluice demo`: everything on embedded defaults. Starts a dev broker, a
// generator producing clickstream events into it, and the clickstream
// pipeline (embedded copy of examples/clickstream.yaml) into ./lake.
#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "cli/embedded_pipelines.h"
#include "config/loader.h"
#include "core/error.h"
#include "pipeline/stream_runner.h"
#include "sources/generate/generator.h"
#include "sources/kafka/dev_broker.h"
#include "sources/kafka/kafka_producer.h"

namespace sluice::cli {

int demo_command(const DemoArgs& a, const std::atomic<bool>& stop) {
  DevBroker broker(0);
  const std::string topic = "clickstream";
  broker.create_topic(topic, a.partitions);
  std::fprintf(stderr, "[sluice] demo: dev broker at %s, topic %s (%d partitions), %lld events\n",
               broker.bootstraps().c_str(), topic.c_str(), a.partitions,
               static_cast<long long>(a.events));

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
  PipelineConfig config =
      load_pipeline_from_string(kClickstreamPipeline, "<embedded clickstream.yaml>", o);

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
  std::printf("sluice demo: clickstream -> %s/clickstream\n%s", a.lake.c_str(),
              format_summary(s).c_str());
  std::printf("dlq:             %s\n", config.dlq.path.c_str());
  std::printf("inspect:         sluice lake ls %s/clickstream; sluice lake verify %s/clickstream\n",
              a.lake.c_str(), a.lake.c_str());
  if (producer_failed.load())
    throw RuntimeError("demo: producing events into the dev broker failed");
  return kExitOk;
}

}  // namespace sluice::cli
