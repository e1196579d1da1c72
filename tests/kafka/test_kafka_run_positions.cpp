// `sluice run` against a topic that was recreated after the lake committed:
// it must exit with code 1 and say why on stderr, not wait forever.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../integration/test_support.h"
#include "sources/generate/generator.h"
#include "sources/kafka/dev_broker.h"
#include "sources/kafka/kafka_producer.h"

namespace sluice::testing {
namespace {

const std::string kIot = std::string(SLUICE_SOURCE_DIR) + "/examples/iot.yaml";

void produce_iot(const DevBroker& broker, int64_t count) {
  GeneratorOptions g;
  g.family = "iot";
  g.seed = 7;
  Generator gen(g);
  KafkaProducer producer(broker.bootstraps(), {});
  std::string line;
  for (int64_t i = 0; i < count; ++i) {
    line.clear();
    gen.event(i, line);
    producer.produce("iot", line);
  }
  producer.flush(30000);
}

std::vector<std::string> run_args(const std::string& brokers, const std::string& lake) {
  // --idle-stop-ms ends a run that reads nothing with exit code 0: the old, silent behaviour.
  return {"run",
          kIot,
          "--brokers",
          brokers,
          "--topic",
          "iot",
          "--group",
          "recreated-test",
          "--lake",
          lake,
          "--quiet",
          "--set",
          "sink.lake.commit_interval_ms=200",
          "--idle-stop-ms",
          "6000"};
}

TEST(KafkaRunPositions, RecreatedTopicMakesRunExitOneWithTheReason) {
  TempDir dir;
  const std::string lake = dir.path() + "/lake";
  {
    DevBroker broker(0);
    broker.create_topic("iot", 1);
    produce_iot(broker, 100);
    std::string out;
    ASSERT_EQ(run_sluice(run_args(broker.bootstraps(), lake), &out), 0) << out;
  }
  // The "same" topic again, recreated with fewer messages than the lake has read.
  DevBroker broker(0);
  broker.create_topic("iot", 1);
  produce_iot(broker, 10);
  std::string out;
  EXPECT_EQ(run_sluice(run_args(broker.bootstraps(), lake), &out), 1) << out;
  EXPECT_NE(out.find("topic 'iot' partition 0"), std::string::npos) << out;
  EXPECT_NE(out.find("next offset is 100"), std::string::npos) << out;
  EXPECT_NE(out.find("high watermark 10"), std::string::npos) << out;
}

}  // namespace
}  // namespace sluice::testing
