#include "orchestrator/alerts.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace sluice {

std::string alert_payload(const Alert& a) {
  nlohmann::json j = {{"text", a.text},   {"incident", a.incident}, {"kind", a.kind},
                      {"state", a.state}, {"pipeline", a.pipeline}, {"source", "sluice"}};
  if (!a.job.empty()) j["job"] = a.job;
  if (!a.table.empty()) j["table"] = a.table;
  if (!a.error.empty()) j["error"] = a.error;
  if (a.attempts > 0) j["attempts"] = a.attempts;
  return j.dump();
}

namespace {

struct CurlCleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t discard_body(char*, size_t size, size_t n, void*) {
  return size * n;
}

class WebhookSink : public AlertSink {
 public:
  WebhookSink(std::string url, long timeout_ms) : url_(std::move(url)), timeout_ms_(timeout_ms) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  bool send(const Alert& alert, std::string& error) override {
    std::unique_ptr<CURL, CurlCleanup> curl(curl_easy_init());
    if (!curl) {
      error = "curl_easy_init failed";
      return false;
    }
    std::unique_ptr<curl_slist, SlistFree> headers(
        curl_slist_append(nullptr, "Content-Type: application/json"));
    std::string body = alert_payload(alert);
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms_);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      error = curl_easy_strerror(rc);
      return false;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) {
      error = "HTTP " + std::to_string(status);
      return false;
    }
    return true;
  }

 private:
  std::string url_;
  long timeout_ms_;
};

}  // namespace

std::unique_ptr<AlertSink> make_webhook_sink(const std::string& url, long timeout_ms) {
  return std::make_unique<WebhookSink>(url, timeout_ms);
}

}  // namespace sluice
