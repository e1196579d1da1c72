// An in-process Kafka-protocol broker (librdkafka's mock cluster) on
// loopback, for tests and `sluice dev-broker` demos. Keeps only a few MB per partition.
//
// Threading contract: the cluster runs on librdkafka's own threads (and, with
// a fixed port, a PortForwarder thread); every method may be called from any
// thread while the DevBroker is alive.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sources/kafka/kafka_handles.h"
#include "sources/kafka/port_forwarder.h"

namespace sluice {

class DevBroker {
 public:
  // `port` 0 uses the mock cluster's own random loopback ports. A fixed port
  // P is served by a loopback forwarder on 127.0.0.1:P to the first broker
  // (librdkafka 2.0.2's mock cluster cannot bind a chosen port): clients
  // bootstrap through P, then connect to the brokers' advertised (random)
  // loopback addresses directly. Throws RuntimeError naming P if it cannot be
  // listened on (e.g. in use). Broker ids are 1..brokers.
  explicit DevBroker(int port = 0, int brokers = 1);
  ~DevBroker();
  DevBroker(const DevBroker&) = delete;
  DevBroker& operator=(const DevBroker&) = delete;

  // For bootstrap.servers: "127.0.0.1:P" with a fixed port, otherwise
  // "127.0.0.1:PORT,..." (every mock broker).
  std::string bootstraps() const;
  void create_topic(const std::string& topic, int partitions, int replication = 1);
  rd_kafka_mock_cluster_t* cluster() { return cluster_.get(); }

  // Fault injection. broker_id -1 means every broker.
  void set_broker_down(int32_t broker_id, bool down);
  // The next requests of `api_key` (e.g. 1 = Fetch) across the cluster fail with these errors.
  void push_request_errors(int16_t api_key, std::vector<rd_kafka_resp_err_t> errors);
  // Same on one broker (taking precedence over the cluster-wide stack), so
  // tests can see via broker_error_stack_size() that the errors were consumed.
  void push_broker_request_errors(int32_t broker_id, int16_t api_key,
                                  const std::vector<rd_kafka_resp_err_t>& errors);
  size_t broker_error_stack_size(int32_t broker_id, int16_t api_key);

 private:
  struct ClusterDeleter {
    void operator()(rd_kafka_mock_cluster_t* c) const { rd_kafka_mock_cluster_destroy(c); }
  };
  KafkaHandle host_;  // owns the cluster's bookkeeping; destroyed after cluster_
  std::unique_ptr<rd_kafka_mock_cluster_t, ClusterDeleter> cluster_;
  std::unique_ptr<PortForwarder> forwarder_;  // fixed port only; destroyed before cluster_
};

}  // namespace sluice
