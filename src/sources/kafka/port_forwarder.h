// A loopback TCP forwarder: listens on 127.0.0.1:<port> and relays every
// accepted connection byte-for-byte to a fixed target address (lets the dev
// broker be reached on a fixed port although the mock cluster binds random ones).
//
// Threading contract: all relaying happens on one internal thread started by
// the constructor; port() may be called from any thread. The destructor wakes
// and joins that thread and closes every socket; call it from one thread.
#pragma once

#include <memory>
#include <string>
#include <thread>

namespace sluice {

// Owns one file descriptor (closed on destruction), for sockets and pipes.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

class PortForwarder {
 public:
  // Listens on 127.0.0.1:listen_port (SO_REUSEADDR) and forwards each connection
  // to target_host:target_port (a numeric IPv4 address, e.g. "127.0.0.1").
  // Throws RuntimeError naming the port if it cannot listen (e.g. port in use).
  PortForwarder(int listen_port, const std::string& target_host, int target_port);
  // Stops accepting, closes every relayed connection and joins the thread.
  ~PortForwarder();
  PortForwarder(const PortForwarder&) = delete;
  PortForwarder& operator=(const PortForwarder&) = delete;

  int port() const { return port_; }

 private:
  void run();

  int port_;
  std::string target_host_;
  int target_port_;
  UniqueFd listener_;
  UniqueFd wake_read_;  // self-pipe: the destructor writes to wake_write_
  UniqueFd wake_write_;
  std::thread thread_;
};

}  // namespace sluice
