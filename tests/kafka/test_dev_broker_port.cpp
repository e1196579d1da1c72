// DevBroker on a fixed port (served by PortForwarder): produce and consume
// through it, a port in use, and the forwarder relaying raw bytes both ways.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "core/error.h"
#include "kafka_test_util.h"
#include "sources/kafka/kafka_producer.h"
#include "sources/kafka/port_forwarder.h"

namespace sluice {
namespace {

// A TCP socket bound to 127.0.0.1:port (0 = any free port); listening if asked.
UniqueFd bound_socket(int port, bool listening) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_TRUE(fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  if (listening) {
    EXPECT_EQ(::listen(fd.get(), 16), 0);
  }
  return fd;
}

int port_of(const UniqueFd& fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  return ntohs(addr.sin_port);
}

// A port that was free a moment ago (bind port 0, read it, close).
int free_port() {
  return port_of(bound_socket(0, false));
}

UniqueFd connect_to(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
      << std::strerror(errno);
  return fd;
}

void send_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << std::strerror(errno);
    done += static_cast<size_t>(n);
  }
}

// Reads until EOF (blocking).
std::string read_to_eof(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string pattern(size_t size, char salt) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 31 + salt) % 251);
  return s;
}

TEST(DevBrokerPort, FixedPortServesProduceAndConsume) {
  const int port = free_port();
  const std::string bootstrap = "127.0.0.1:" + std::to_string(port);
  DevBroker broker(port, 2);
  EXPECT_EQ(broker.bootstraps(), bootstrap);
  std::string mock = rd_kafka_mock_cluster_bootstraps(broker.cluster());
  EXPECT_EQ(mock.find(bootstrap + ","), std::string::npos) << "the mock binds random ports";
  broker.create_topic("fixed", 3);

  const int n = 90;
  {
    KafkaProducer producer(bootstrap,
                           {{"internal.termination.signal", kafka_test::kTerminationSignal}});
    for (int i = 0; i < n; ++i) producer.produce("fixed", "m" + std::to_string(i));
    producer.flush(20000);
    EXPECT_EQ(producer.delivered(), n);
    EXPECT_EQ(producer.failed(), 0);
  }

  KafkaSourceConfig config = kafka_test::source_config(broker, "fixed", "g-fixed");
  EXPECT_EQ(config.brokers, bootstrap);
  KafkaSource source(config, nullptr);
  kafka_test::Collector c;
  ASSERT_TRUE(kafka_test::poll_until(source, c, [&] { return c.total >= n; }));
  std::set<std::string> seen;
  for (const auto& [stream, payloads] : c.payloads) seen.insert(payloads.begin(), payloads.end());
  std::set<std::string> expected;
  for (int i = 0; i < n; ++i) expected.insert("m" + std::to_string(i));
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(c.total, static_cast<size_t>(n));
  source.close();
}

TEST(DevBrokerPort, PortInUseIsARuntimeErrorNamingThePort) {
  UniqueFd taken = bound_socket(0, true);
  const int port = port_of(taken);
  std::string what = "<no RuntimeError>";
  try {
    DevBroker broker(port);
  } catch (const RuntimeError& e) {
    what = e.what();
  }
  EXPECT_NE(what.find(std::to_string(port)), std::string::npos) << what;
  EXPECT_NE(what.find("in use"), std::string::npos) << what;
}

TEST(DevBrokerPort, PortZeroUsesTheMockClusterAddresses) {
  DevBroker broker(0);
  EXPECT_EQ(broker.bootstraps(), rd_kafka_mock_cluster_bootstraps(broker.cluster()));
  EXPECT_EQ(broker.bootstraps().rfind("127.0.0.1:", 0), 0u) << broker.bootstraps();
}

TEST(PortForwarder, RelaysBothWaysAndPassesOnHalfCloses) {
  UniqueFd target = bound_socket(0, true);
  PortForwarder forwarder(free_port(), "127.0.0.1", port_of(target));

  // Larger than the forwarder's buffers, so it must apply back-pressure.
  const std::string up = pattern(600 * 1024, 1);
  const std::string down = pattern(400 * 1024, 7);
  UniqueFd client = connect_to(forwarder.port());
  UniqueFd server(::accept(target.get(), nullptr, nullptr));
  ASSERT_TRUE(server);

  std::string got_up;
  std::thread reader([&] { got_up = read_to_eof(server.get()); });
  send_all(client.get(), up);
  ::shutdown(client.get(), SHUT_WR);
  reader.join();
  EXPECT_EQ(got_up.size(), up.size());
  EXPECT_TRUE(got_up == up);  // and EOF arrived: the FIN was passed on

  std::string got_down;
  reader = std::thread([&] { got_down = read_to_eof(client.get()); });
  send_all(server.get(), down);
  ::shutdown(server.get(), SHUT_WR);
  reader.join();
  EXPECT_EQ(got_down.size(), down.size());
  EXPECT_TRUE(got_down == down);

  // A second connection works too (and is still open when the forwarder goes).
  UniqueFd client2 = connect_to(forwarder.port());
  UniqueFd server2(::accept(target.get(), nullptr, nullptr));
  ASSERT_TRUE(server2);
  send_all(server2.get(), "hello");
  char buf[5];
  ASSERT_EQ(::recv(client2.get(), buf, sizeof buf, MSG_WAITALL), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
}

TEST(PortForwarder, DestructorClosesOpenConnectionsAndFreesThePort) {
  UniqueFd target = bound_socket(0, true);
  const int port = free_port();
  std::optional<PortForwarder> forwarder;
  forwarder.emplace(port, "127.0.0.1", port_of(target));
  UniqueFd client = connect_to(port);
  UniqueFd server(::accept(target.get(), nullptr, nullptr));
  ASSERT_TRUE(server);

  forwarder.reset();
  EXPECT_EQ(read_to_eof(client.get()), "");  // both ends of the relay were closed
  EXPECT_EQ(read_to_eof(server.get()), "");
  forwarder.emplace(port, "127.0.0.1", port_of(target));  // SO_REUSEADDR: free again
  EXPECT_EQ(forwarder->port(), port);
}

}  // namespace
}  // namespace sluice
