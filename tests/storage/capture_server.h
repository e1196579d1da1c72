// A loopback HTTP server for the S3 client's unit tests: it records every
// request (method, path, query, headers, body) and answers from a script
// (status + body per request, the last one repeating), optionally keeping
// PUT objects so that a conditional create can be replayed.
#pragma once

#include <httplib.h>

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::testsupport {

class CaptureServer {
 public:
  struct Seen {
    std::string method, path, query, body;
    std::multimap<std::string, std::string> headers;
    std::string header(const std::string& name) const {
      for (const auto& [k, v] : headers) {
        if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
      }
      return {};
    }
  };
  struct Reply {
    int status = 200;
    std::string body;
    bool store = false;  // keep a PUT body as the object at that path
  };

  CaptureServer() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      Seen s;
      s.method = req.method;
      s.path = req.path;
      s.body = req.body;
      s.headers.insert(req.headers.begin(), req.headers.end());
      size_t q = req.target.find('?');
      s.query = q == std::string::npos ? "" : req.target.substr(q + 1);
      seen_.push_back(s);
      Reply r = script_.empty() ? Reply{} : script_.front();
      if (script_.size() > 1) script_.pop_front();
      if (r.store && req.method == "PUT") objects_[req.path] = req.body;
      if (req.method == "GET" && r.status == 200 && r.body.empty() && objects_.count(req.path)) {
        r.body = objects_[req.path];
      }
      res.status = r.status;
      res.set_content(r.body, "application/xml");
    };
    server_.Get(".*", handler);
    server_.Put(".*", handler);
    server_.Post(".*", handler);
    server_.Delete(".*", handler);
    server_.Options(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~CaptureServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  void script(std::vector<Reply> replies) {
    std::lock_guard<std::mutex> lock(mutex_);
    script_.assign(replies.begin(), replies.end());
  }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::deque<Reply> script_;
  std::vector<Seen> seen_;
  std::map<std::string, std::string> objects_;
};

}  // namespace sluice::testsupport
