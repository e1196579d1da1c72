#include "sources/kafka/dev_broker.h"

#include <fmt/core.h>

#include "core/error.h"
#include "sources/kafka/kafka_errors.h"

namespace sluice {

DevBroker::DevBroker(int port, int brokers) {
  if (port < 0 || port > 65535)
    throw RuntimeError(fmt::format("dev broker: invalid port {}", port));
  if (brokers < 1) throw RuntimeError("dev broker: need at least one broker");
  KafkaConf conf(rd_kafka_conf_new());
  // The host handle never talks to a broker; it only anchors the mock cluster.
  kafka_conf_set(conf.get(), "client.id", "sluice-dev-broker");
  kafka_conf_set(conf.get(), "log_level", "3");
  host_ = kafka_new(RD_KAFKA_PRODUCER, std::move(conf));
  cluster_.reset(rd_kafka_mock_cluster_new(host_.get(), brokers));
  if (!cluster_) throw RuntimeError("dev broker: cannot create the mock cluster");
  if (port != 0) {
    // The first entry of "host:port,host:port,..." is broker 1.
    std::string all = rd_kafka_mock_cluster_bootstraps(cluster_.get());
    std::string first = all.substr(0, all.find(','));
    size_t colon = first.rfind(':');
    if (colon == std::string::npos) {
      throw RuntimeError(fmt::format("dev broker: unexpected mock bootstraps '{}'", all));
    }
    int target_port = std::stoi(first.substr(colon + 1));
    try {
      forwarder_ = std::make_unique<PortForwarder>(port, first.substr(0, colon), target_port);
    } catch (const RuntimeError& e) {
      throw RuntimeError(fmt::format("dev broker: {}", e.what()));
    }
  }
}

DevBroker::~DevBroker() {
  forwarder_.reset();
  cluster_.reset();
  host_.reset();
}

std::string DevBroker::bootstraps() const {
  if (forwarder_) return fmt::format("127.0.0.1:{}", forwarder_->port());
  return rd_kafka_mock_cluster_bootstraps(cluster_.get());
}

void DevBroker::create_topic(const std::string& topic, int partitions, int replication) {
  rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(cluster_.get(), topic.c_str(), partitions, replication);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw RuntimeError(
        fmt::format("dev broker: cannot create topic '{}': {}", topic, describe_error(err)));
  }
}

void DevBroker::set_broker_down(int32_t broker_id, bool down) {
  rd_kafka_resp_err_t err = down ? rd_kafka_mock_broker_set_down(cluster_.get(), broker_id)
                                 : rd_kafka_mock_broker_set_up(cluster_.get(), broker_id);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw RuntimeError(fmt::format("dev broker: cannot set broker {} {}: {}", broker_id,
                                   down ? "down" : "up", describe_error(err)));
  }
}

void DevBroker::push_request_errors(int16_t api_key, std::vector<rd_kafka_resp_err_t> errors) {
  rd_kafka_mock_push_request_errors_array(cluster_.get(), api_key, errors.size(), errors.data());
}

void DevBroker::push_broker_request_errors(int32_t broker_id, int16_t api_key,
                                           const std::vector<rd_kafka_resp_err_t>& errors) {
  for (rd_kafka_resp_err_t e : errors) {
    rd_kafka_resp_err_t err =
        rd_kafka_mock_broker_push_request_error_rtts(cluster_.get(), broker_id, api_key, 1, e, 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw RuntimeError(fmt::format("dev broker: cannot push errors on broker {}: {}", broker_id,
                                     describe_error(err)));
    }
  }
}

size_t DevBroker::broker_error_stack_size(int32_t broker_id, int16_t api_key) {
  size_t count = 0;
  rd_kafka_resp_err_t err =
      rd_kafka_mock_broker_error_stack_cnt(cluster_.get(), broker_id, api_key, &count);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw RuntimeError(fmt::format("dev broker: no error stack for broker {}: {}", broker_id,
                                   describe_error(err)));
  }
  return count;
}

}  // namespace sluice
