// Dual-mode ingestion: the same NDJSON events through Kafka (in-process dev
// broker) and through a file go through the same parse/validate/preprocess
// module and give identical lake tables (EXCEPT ALL both ways, ignoring
// ingest_timestamp), and identical batch job outputs.
#include <gtest/gtest.h>

#include <atomic>

#include "batch/batch_job.h"
#include "batch_test_util.h"
#include "sources/generate/generator.h"
#include "sources/kafka/dev_broker.h"
#include "sources/kafka/kafka_producer.h"

namespace sluice {
namespace {

int64_t differing_rows(const std::string& a, const std::string& b) {
  DuckDb db;
  auto table = [](const std::string& dir) {
    return "(SELECT * EXCLUDE (ingest_timestamp) FROM read_parquet('" + dir +
           "/**/*.parquet', hive_partitioning = false))";
  };
  return batchtest::scalar(db,
                           "SELECT count(*) FROM (" + table(a) + " EXCEPT ALL " + table(b) + ")") +
         batchtest::scalar(db,
                           "SELECT count(*) FROM (" + table(b) + " EXCEPT ALL " + table(a) + ")");
}

TEST(DualMode, KafkaAndFileGiveIdenticalTables) {
  constexpr int64_t kEvents = 3000;
  GeneratorOptions g;
  g.family = "clickstream";
  g.seed = 7;
  g.malformed_pct = 2;
  Generator gen(g);
  std::vector<std::string> events(kEvents);
  std::string ndjson;
  for (int64_t i = 0; i < kEvents; ++i) {
    gen.event(i, events[i]);
    ndjson += events[i] + "\n";
  }

  batchtest::TempDir tmp;
  const std::string file_lake = tmp.path() + "/file-lake", kafka_lake = tmp.path() + "/kafka-lake";
  RunSummary from_file = batchtest::ingest("clickstream", ndjson, file_lake);

  DevBroker broker;
  broker.create_topic("clicks", 2);
  {
    KafkaProducer producer(broker.bootstraps(), {});
    for (int64_t i = 0; i < kEvents; ++i) producer.produce("clicks", events[i]);
    producer.flush(30000);
  }
  PipelineConfig kafka = load_pipeline(batchtest::example("clickstream"),
                                       {{"source.type", "kafka"},
                                        {"source.kafka.brokers", "'" + broker.bootstraps() + "'"},
                                        {"source.kafka.topic", "clicks"},
                                        {"source.kafka.group", "dual-mode"},
                                        {"sink.lake.path", "'" + kafka_lake + "'"},
                                        {"sink.dlq.path", "'" + kafka_lake + "/_dlq/x.ndjson'"}});
  RunOptions options;
  options.progress = false;
  options.stop_after_events = kEvents;
  StreamRunner runner(kafka, options);
  std::atomic<bool> stop{false};
  RunSummary from_kafka = runner.run(stop);

  EXPECT_EQ(from_kafka.events_read, kEvents);
  EXPECT_EQ(from_kafka.events_accepted, from_file.events_accepted);
  EXPECT_EQ(from_kafka.events_rejected, from_file.events_rejected);
  EXPECT_GT(from_file.events_rejected, 0);
  EXPECT_EQ(from_kafka.rows_written, from_file.rows_written);
  EXPECT_GT(from_file.rows_written, kEvents);  // flattened actions
  EXPECT_EQ(differing_rows(file_lake + "/clickstream", kafka_lake + "/clickstream"), 0);

  // And the batch job over either lake gives the same output.
  for (const std::string& lake : {file_lake, kafka_lake}) {
    BatchRunOptions o;
    o.lake_dir = lake;
    o.warehouse = "none";
    run_batch_job(kafka, "page_metrics", o);
  }
  DuckDb db;
  auto metrics = [](const std::string& lake) {
    // Averages rounded: the two lakes hold the rows in different orders, so
    // floating-point sums may differ in the last bits.
    return "(SELECT page_url, day, events, round(avg_tti, 6), round(avg_ttar, 6) FROM "
           "read_parquet('" +
           lake + "/page_metrics/**/*.parquet'))";
  };
  EXPECT_GT(batchtest::scalar(db, "SELECT count(*) FROM " + metrics(file_lake)), 0);
  EXPECT_EQ(batchtest::scalar(db, "SELECT count(*) FROM (" + metrics(file_lake) + " EXCEPT ALL " +
                                      metrics(kafka_lake) + ")"),
            0);
}

}  // namespace
}  // namespace sluice
