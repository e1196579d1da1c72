#include "sources/kafka/port_forwarder.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <vector>

#include "core/error.h"

namespace sluice {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

namespace {

constexpr size_t kBufferCap = 64 * 1024;

std::string errno_text(int err) {
  return std::strerror(err);
}

sockaddr_in loopback_address(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    throw RuntimeError(fmt::format("port forwarder: '{}' is not an IPv4 address", host));
  }
  return addr;
}

bool set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL, 0);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// One relayed connection: side 0 is the accepted client, side 1 the target.
// Direction d carries bytes read from side d to side 1-d through buf[d].
struct Relay {
  UniqueFd fd[2];
  std::string buf[2];
  bool eof[2] = {false, false};   // side d sent FIN (nothing more to read)
  bool shut[2] = {false, false};  // direction d finished: FIN passed on to side 1-d
  bool hup[2] = {false, false};   // side d hung up: no longer polled
  bool dead = false;              // an error: drop the connection

  short events(int side) const {
    short ev = 0;
    if (!eof[side] && buf[side].size() < kBufferCap) ev |= POLLIN;
    if (!buf[1 - side].empty()) ev |= POLLOUT;
    return ev;
  }

  void read_from(int side) {
    char chunk[16 * 1024];
    size_t room = kBufferCap - buf[side].size();
    ssize_t n = ::recv(fd[side].get(), chunk, std::min(room, sizeof chunk), 0);
    if (n > 0) {
      buf[side].append(chunk, static_cast<size_t>(n));
    } else if (n == 0) {
      eof[side] = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      dead = true;
    }
  }

  void write_to(int side) {
    std::string& b = buf[1 - side];
    ssize_t n = ::send(fd[side].get(), b.data(), b.size(), MSG_NOSIGNAL);
    if (n > 0) {
      b.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      dead = true;
    }
  }

  // Passes on a FIN once its direction is drained; true when the relay is finished.
  bool finished() {
    for (int s = 0; s < 2; ++s) {
      if (hup[s] && !buf[1 - s].empty()) dead = true;  // undeliverable
    }
    for (int d = 0; d < 2 && !dead; ++d) {
      if (eof[d] && buf[d].empty() && !shut[d]) {
        ::shutdown(fd[1 - d].get(), SHUT_WR);
        shut[d] = true;
      }
    }
    return dead || (shut[0] && shut[1]);
  }
};

}  // namespace

PortForwarder::PortForwarder(int listen_port, const std::string& target_host, int target_port)
    : port_(listen_port), target_host_(target_host), target_port_(target_port) {
  if (listen_port <= 0 || listen_port > 65535) {
    throw RuntimeError(fmt::format("port forwarder: invalid port {}", listen_port));
  }
  loopback_address(target_host_, target_port_);  // validate early
  listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listener_) {
    throw RuntimeError(fmt::format("port forwarder: cannot create a socket for port {}: {}",
                                   listen_port, errno_text(errno)));
  }
  int one = 1;
  ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = loopback_address("127.0.0.1", listen_port);
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener_.get(), SOMAXCONN) != 0) {
    throw RuntimeError(fmt::format("port forwarder: cannot listen on 127.0.0.1:{}: {}", listen_port,
                                   errno_text(errno)));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw RuntimeError(fmt::format("port forwarder: cannot create a pipe: {}", errno_text(errno)));
  }
  wake_read_.reset(pipe_fds[0]);
  wake_write_.reset(pipe_fds[1]);
  thread_ = std::thread([this] { run(); });
}

PortForwarder::~PortForwarder() {
  char byte = 1;
  while (::write(wake_write_.get(), &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
}

void PortForwarder::run() {
  const sockaddr_in target = loopback_address(target_host_, target_port_);
  std::list<Relay> relays;  // owned by this thread; closed when it returns
  std::vector<pollfd> fds;
  std::vector<std::pair<Relay*, int>> owners;  // per pollfd after the first two
  for (;;) {
    fds.clear();
    owners.clear();
    fds.push_back({wake_read_.get(), POLLIN, 0});
    fds.push_back({listener_.get(), POLLIN, 0});
    for (Relay& r : relays) {
      for (int side = 0; side < 2; ++side) {
        fds.push_back({r.hup[side] ? -1 : r.fd[side].get(), r.events(side), 0});
        owners.emplace_back(&r, side);
      }
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;  // cannot happen with valid arguments; the relays close on return
    }
    if (fds[0].revents != 0) return;  // woken by the destructor

    if (fds[1].revents & POLLIN) {
      UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (client) {
        UniqueFd upstream(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        // A blocking connect on loopback completes (or is refused) at once.
        if (upstream &&
            ::connect(upstream.get(), reinterpret_cast<const sockaddr*>(&target), sizeof target) ==
                0 &&
            set_nonblocking(upstream.get())) {
          Relay& r = relays.emplace_back();
          r.fd[0] = std::move(client);
          r.fd[1] = std::move(upstream);
        }
        // Otherwise the client is closed here and sees the connection drop, as
        // it would if the broker itself refused it.
      }
    }

    for (size_t i = 2; i < fds.size(); ++i) {
      auto [r, side] = owners[i - 2];
      short rev = fds[i].revents;
      if (rev == 0 || r->dead) continue;
      if (rev & (POLLERR | POLLNVAL)) {
        r->dead = true;
        continue;
      }
      if (rev & POLLOUT) r->write_to(side);
      if ((rev & (POLLIN | POLLHUP)) && (fds[i].events & POLLIN)) {
        r->read_from(side);
      } else if ((rev & POLLHUP) && r->eof[side]) {
        r->hup[side] = true;  // fully closed and nothing left to read from it
      }
    }
    relays.remove_if([](Relay& r) { return r.finished(); });
  }
}

}  // namespace sluice
