// The observability HTTP server, on its own threads beside the pipeline:
//   GET /              the dashboard (one HTML page embedded at build time)
//   GET /metrics       Prometheus text format 0.0.4
//   GET /health/live   200 while the process serves requests
//   GET /health/ready  200 {"ready":true} or 503 {"ready":false,"reason":...}
//   GET /api/status    JSON snapshot for the dashboard
//   GET /api/dlq?limit=N  recent DLQ samples with their reasons (newest first)
// There are no state-changing endpoints. Binds at construction, so a port
// already in use fails at start-up; serves until stop() or destruction.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "observability/telemetry.h"

namespace httplib {
class Server;
}

namespace sluice::obs {

class HttpServer {
 public:
  // `listen`: "HOST:PORT", ":PORT" or "PORT" (127.0.0.1); port 0 picks a free
  // port. Throws std::invalid_argument for a malformed address and RuntimeError when the address
  // cannot be bound.
  HttpServer(Telemetry& telemetry, const std::string& listen);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  const std::string& host() const { return host_; }
  std::string url() const;
  void stop();

 private:
  Telemetry& telemetry_;
  std::unique_ptr<httplib::Server> server_;
  std::string host_;
  int port_ = 0;
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};

// What the CLI does with --http / http.listen: "off" -> nullptr, else a
// started server (and a line on stderr naming its URL). `fallback` is used
// when both are empty ("off" or an address).
std::unique_ptr<HttpServer> start_http(Telemetry& telemetry, const std::string& flag,
                                       const std::string& config, const std::string& fallback);

}  // namespace sluice::obs
