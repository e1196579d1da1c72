// Helpers for the batch tests: temp dirs, ingesting NDJSON through the real
// streaming pipeline into a lake, and reading tables back with DuckDB.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../support/temp_dir.h"
#include "config/loader.h"
#include "pipeline/stream_runner.h"
#include "sinks/lake/duckdb_handle.h"

namespace sluice::batchtest {

using testsupport::TempDir;

using testsupport::write_file;

inline std::string example(const std::string& name) {
  return std::string(SLUICE_SOURCE_DIR) + "/examples/" + name + ".yaml";
}

// The example pipeline `name`, reading `input` and writing into `lake`.
inline PipelineConfig pipeline_for(const std::string& name, const std::string& input,
                                   const std::string& lake) {
  return load_pipeline(example(name), {{"source.type", "file"},
                                       {"source.file.path", "'" + input + "'"},
                                       {"sink.lake.path", "'" + lake + "'"},
                                       {"sink.dlq.path", "'" + lake + "/_dlq/x.ndjson'"}});
}

// Streams `ndjson` through the example pipeline into `lake` (a new file
// each call, so repeated calls append).
inline RunSummary ingest(const std::string& name, const std::string& ndjson,
                         const std::string& lake, const std::string& tag = "in") {
  std::filesystem::create_directories(lake);
  std::string input = lake + "/../" + name + "-" + tag + ".ndjson";
  write_file(input, ndjson);
  RunOptions options;
  options.progress = false;
  options.writer_id = "t-" + tag;
  StreamRunner runner(pipeline_for(name, input, lake), options);
  std::atomic<bool> stop{false};
  return runner.run(stop);
}

inline int64_t scalar(DuckDb& db, const std::string& sql) {
  DuckResult r;
  db.query(sql, r);
  return r.int64_at(0, 0);
}

inline int64_t count_lines(const std::string& path) {
  std::ifstream in(path);
  int64_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

}  // namespace sluice::batchtest
