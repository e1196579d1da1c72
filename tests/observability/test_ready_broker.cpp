// /health/ready follows the broker: `sluice run` reads a topic of a mock
// cluster (librdkafka's, in this process); taking the broker down turns the
// probe not-ready (503 with a reason), bringing it back makes it ready again.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "obs_test_util.h"
#include "sources/kafka/dev_broker.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

const std::string kPipeline = std::string(SLUICE_SOURCE_DIR) + "/examples/clickstream.yaml";

struct Probe {
  int status = 0;
  std::string body;
};

Probe ready(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(10, 0);
  auto r = c.Get("/health/ready");
  if (!r) return {};
  return {r->status, r->body};
}

TEST(ReadyFollowsBroker, NotReadyWhileTheBrokerIsDownReadyAfter) {
  TempDir dir;
  DevBroker broker;
  broker.create_topic("ready", 2);
  std::string out;
  ASSERT_EQ(run_sluice({"generate", "clickstream", "--count", "300", "--output",
                        "kafka://" + broker.bootstraps() + "/ready"},
                       &out),
            0)
      << out;
  const std::string log = dir.path() + "/run.log";
  // Quick reconnects and a short session, as a production config would tune
  // them down from the defaults for a probe that matters.
  Child run({"run", kPipeline, "--brokers", broker.bootstraps(), "--topic", "ready", "--group", "g",
             "--lake", dir.path() + "/lake", "--http", "127.0.0.1:0", "--quiet", "--set",
             "source.kafka.properties={session.timeout.ms: '6000', heartbeat.interval.ms: '100', "
             "reconnect.backoff.ms: '50', reconnect.backoff.max.ms: '500', "
             "topic.metadata.refresh.interval.ms: '1000'}",
             "--set", "sink.lake.commit_interval_ms=1000"},
            log);
  const int port = printed_port(log);
  ASSERT_GT(port, 0) << slurp_file(log);
  Probe p;
  ASSERT_TRUE(wait_for([&] {
    p = ready(port);
    return p.status == 200;
  })) << p.status
      << " " << p.body << "\n"
      << slurp_file(log);

  broker.set_broker_down(-1, true);
  ASSERT_TRUE(wait_for([&] {
    p = ready(port);
    return p.status == 503;
  })) << p.status
      << " " << p.body << "\n"
      << slurp_file(log);
  auto j = nlohmann::json::parse(p.body);
  EXPECT_EQ(j["ready"], false);
  const std::string reason = j["reason"];
  std::printf("not ready while the broker is down: %s\n", reason.c_str());
  EXPECT_NE(reason.find("Kafka"), std::string::npos) << reason;
  // /metrics says the same.
  httplib::Client c("127.0.0.1", port);
  auto m = c.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("sluice_ready{pipeline=\"clickstream\"} 0\n"), std::string::npos);

  broker.set_broker_down(-1, false);
  ASSERT_TRUE(wait_for([&] {
    p = ready(port);
    return p.status == 200;
  })) << p.status
      << " " << p.body << "\n"
      << slurp_file(log);
  EXPECT_EQ(nlohmann::json::parse(p.body)["ready"], true);
  run.signal(SIGTERM);
  EXPECT_EQ(run.wait(), 0) << slurp_file(log);
}

}  // namespace
}  // namespace sluice::testing
