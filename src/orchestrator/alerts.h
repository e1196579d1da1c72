// Alerts of the orchestrator: a job failed after its retries, a quality
// check failed, an SLA was missed -- and the recovery of each. Delivered as
// JSON to a webhook; the payload's "text" is what Slack and Teams incoming
// webhooks display, the other keys are for machines.
//
// Threading: a WebhookAlertSink may be used by one thread at a time;
// send() blocks for at most its timeout.
#pragma once

#include <memory>
#include <string>

namespace sluice {

struct Alert {
  std::string incident;  // stable key, e.g. "job_failed:page_metrics"
  std::string kind;      // job_failed | quality_failed | sla_no_data | sla_job_late
  std::string state;     // firing | resolved
  std::string pipeline;
  std::string job;    // "" for table-level alerts
  std::string table;  // sla_no_data
  std::string text;   // one human line
  std::string error;
  int attempts = 0;
};

// {"text": ..., "incident": ..., "kind": ..., "state": ..., "pipeline": ..., ...}
std::string alert_payload(const Alert& alert);

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  // Delivers one alert; returns false (and says why in `error`) on failure.
  virtual bool send(const Alert& alert, std::string& error) = 0;
};

// POSTs alert_payload() as application/json with libcurl.
std::unique_ptr<AlertSink> make_webhook_sink(const std::string& url, long timeout_ms = 10000);

}  // namespace sluice
