// Helpers for the orchestrator tests: temp dirs, a tiny pipeline with one
// lake table and day-counting jobs, ingesting NDJSON into it through the
// real streaming pipeline, and a loopback webhook receiver.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../support/temp_dir.h"
#include "config/loader.h"
#include "pipeline/stream_runner.h"
#include "sinks/lake/commit_log.h"

namespace sluice::orchtest {

using testsupport::TempDir;

using testsupport::write_file;

// Log entry `seq` of a fake input table (no files) in `log_dir`: the
// orchestrator reads each new entry (a compaction fires nothing).
inline void write_commit(const std::string& log_dir, int64_t seq) {
  LakeCommitEntry e;
  e.seq = seq;
  write_file(log_dir + "/" + commit_log_name(seq), commit_entry_to_json(e));
}

// Events with an id and a timestamp into table `events`; job `daily` counts
// them per day, job `weekly_copy` depends on it and copies its output.
inline std::string pipeline_yaml(const std::string& lake, const std::string& extra_job_keys = "",
                                 const std::string& orchestrator = "") {
  return "name: events\n"
         "source: {type: file, file: {path: /dev/null}}\n"
         "schema:\n"
         "  timestamp_field: timestamp\n"
         "  fields:\n"
         "    - {name: id, type: string, required: true}\n"
         "    - {name: timestamp, type: timestamp, required: true}\n"
         "sink:\n"
         "  lake: {path: '" +
         lake +
         "', table: events, partition_by: [year, month, day]}\n"
         "  dlq: {path: '" +
         lake +
         "/_dlq/events.ndjson'}\n"
         "batch:\n"
         "  - name: daily\n"
         "    sql: SELECT CAST(\"timestamp\" AS DATE) AS day, count(*) AS events FROM events "
         "GROUP BY ALL\n"
         "    key: [day]\n" +
         extra_job_keys +
         "  - name: daily_copy\n"
         "    sql: SELECT day, events FROM daily\n"
         "    depends_on: [daily]\n" +
         orchestrator;
}

inline std::string events_ndjson(const std::vector<std::string>& days, int per_day, int first_id) {
  std::string out;
  int id = first_id;
  for (const auto& d : days) {
    for (int i = 0; i < per_day; ++i) {
      out += "{\"id\":\"e" + std::to_string(id++) + "\",\"timestamp\":\"" + d +
             "T10:" + (i < 10 ? "0" : "") + std::to_string(i % 60) + ":00Z\"}\n";
    }
  }
  return out;
}

// Streams `ndjson` into the pipeline's lake table (one new commit or more).
inline void ingest(const PipelineConfig& base, const std::string& ndjson, const std::string& dir,
                   const std::string& tag) {
  std::string input = dir + "/in-" + tag + ".ndjson";
  write_file(input, ndjson);
  PipelineConfig p = base;
  p.source.type = SourceType::kFile;
  p.source.file.path = input;
  RunOptions o;
  o.progress = false;
  o.writer_id = "t-" + tag;
  StreamRunner runner(p, o);
  std::atomic<bool> stop{false};
  runner.run(stop);
}

// An HTTP server on 127.0.0.1 that records the bodies POSTed to /hook.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      bodies_.push_back(req.body);
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~WebhookReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

}  // namespace sluice::orchtest
