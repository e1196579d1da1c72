// Helpers for the observability tests that run the sluice binary: waiting for
// a condition (a generous cap, never a timed assertion), reading a child's
// log, and the port a child printed for its HTTP server.
#pragma once

#include <chrono>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

namespace sluice::testing {

inline bool wait_for(const std::function<bool()>& ok, int max_seconds = 120) {
  for (int i = 0; i < max_seconds * 10; ++i) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ok();
}

inline std::string slurp_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The port `sluice` printed ("[sluice] http: serving http://127.0.0.1:PORT/"), 0 if none.
inline int printed_port(const std::string& log) {
  int port = 0;
  wait_for([&] {
    std::smatch m;
    std::string text = slurp_file(log);
    static const std::regex re(R"(http: serving http://127\.0\.0\.1:(\d+)/)");
    if (!std::regex_search(text, m, re)) return false;
    port = std::stoi(m[1]);
    return true;
  });
  return port;
}

}  // namespace sluice::testing
