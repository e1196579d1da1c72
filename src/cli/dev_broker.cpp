// `sluice dev-broker`: librdkafka's mock cluster on loopback, for demos and
// local development. Keeps only a few MB per partition.
#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "core/error.h"
#include "sources/kafka/dev_broker.h"

namespace sluice::cli {

int dev_broker_command(const DevBrokerArgs& a, const std::atomic<bool>& stop) {
  DevBroker broker(a.port);
  for (const auto& t : a.topics) broker.create_topic(t, a.partitions);
  std::printf("%s\n", broker.bootstraps().c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "[sluice] dev broker listening on %s; Ctrl-C to stop\n",
               broker.bootstraps().c_str());
  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return kExitOk;
}

}  // namespace sluice::cli
