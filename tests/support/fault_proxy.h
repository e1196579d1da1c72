// A loopback HTTP proxy for fault injection between the S3 client and a
// real server (RGW). One request per connection (it adds `Connection:
// close`, which is not a signed header). Per request it follows a script
// of actions, then a default: pass it on, answer 503 SlowDown or 500
// InternalError without passing it on, pass it on and then drop the
// connection without an answer (the server applied the request, the client
// never learns it), or wait before passing it on.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sluice::testsupport {

class FaultProxy {
 public:
  enum class Action { kPass, kSlowDown, kServerError, kDropAfterForward, kDelay };

  // `upstream_port`: the server on 127.0.0.1.
  explicit FaultProxy(int upstream_port) : upstream_port_(upstream_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
      throw std::runtime_error("fault proxy: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~FaultProxy() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& t : workers_) t.join();
  }

  int port() const { return port_; }
  // Actions for the next requests, in order; afterwards `random_fault_percent`
  // of requests get a random fault (drop, 503, 500), the rest pass.
  void script(std::vector<Action> actions, int random_fault_percent = 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    script_.assign(actions.begin(), actions.end());
    random_fault_percent_ = random_fault_percent;
  }
  void set_delay_ms(int ms) { delay_ms_ = ms; }
  int requests() const { return requests_.load(); }
  int faults() const { return faults_.load(); }

 private:
  Action next_action() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!script_.empty()) {
      Action a = script_.front();
      script_.pop_front();
      return a;
    }
    if (random_fault_percent_ > 0 && static_cast<int>(rng_() % 100) < random_fault_percent_) {
      static const Action kFaults[] = {Action::kDropAfterForward, Action::kSlowDown,
                                       Action::kServerError};
      return kFaults[rng_() % 3];
    }
    return Action::kPass;
  }

  void accept_loop() {
    while (!stopping_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) {
        if (stopping_) return;
        continue;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  static bool send_all(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads one request (head and Content-Length body) from the client.
  static bool read_request(int fd, std::string& head, std::string& body) {
    std::string buf;
    char tmp[65536];
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
    }
    head = buf.substr(0, end + 2);  // with the last header's CRLF
    body = buf.substr(end + 4);
    size_t length = 0;
    bool expect = false;
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (size_t at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
      length = std::strtoull(lower.c_str() + at + 17, nullptr, 10);
    }
    if (size_t at = lower.find("\r\nexpect: 100-continue"); at != std::string::npos) {
      expect = true;
      size_t eol = head.find("\r\n", at + 2);
      head.erase(at, eol - at);  // answered here, not forwarded
    }
    if (expect && body.size() < length && !send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n")) {
      return false;
    }
    while (body.size() < length) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      body.append(tmp, static_cast<size_t>(n));
    }
    return true;
  }

  void serve(int client) {
    std::string head, body;
    if (!read_request(client, head, body)) {
      ::close(client);
      return;
    }
    requests_++;
    const Action action = next_action();
    if (action != Action::kPass && action != Action::kDelay) faults_++;
    if (action == Action::kSlowDown || action == Action::kServerError) {
      const bool slow = action == Action::kSlowDown;
      std::string xml = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>") +
                        (slow ? "SlowDown" : "InternalError") + "</Code></Error>";
      send_all(client,
               std::string(slow ? "HTTP/1.1 503 Slow Down" : "HTTP/1.1 500 Internal Error") +
                   "\r\nContent-Type: application/xml\r\nContent-Length: " +
                   std::to_string(xml.size()) + "\r\nConnection: close\r\n\r\n" + xml);
      ::close(client);
      return;
    }
    if (action == Action::kDelay) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
    }
    int up = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    if (::connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        !send_all(up, head + "Connection: close\r\n\r\n" + body)) {
      ::close(up);
      ::close(client);
      return;
    }
    std::string response;
    char tmp[65536];
    for (;;) {
      ssize_t n = ::recv(up, tmp, sizeof tmp, 0);
      if (n <= 0) break;
      if (action == Action::kDropAfterForward) continue;  // read it all, send nothing
      if (!send_all(client, std::string(tmp, static_cast<size_t>(n)))) break;
    }
    ::close(up);
    ::close(client);
  }

  int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> workers_;
  std::deque<Action> script_;
  int random_fault_percent_ = 0;
  std::mt19937 rng_{7};
  std::atomic<int> delay_ms_{0};
  std::atomic<int> requests_{0};
  std::atomic<int> faults_{0};
};

}  // namespace sluice::testsupport
