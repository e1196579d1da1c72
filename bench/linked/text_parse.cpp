// The text parse alone: a pipeline's parser (format scanner + typing +
// validation + row building, exactly what `sluice run` does per batch) over
// log lines already in memory, in batches of 8192 lines, on one thread.
// Prints MB/s of input per core (bytes over the thread's CPU time, so other
// load on the machine does not count) and lines/s. Never part of ctest.
//
//   text_parse PIPELINE.yaml INPUT.log [RUNS]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/loader.h"
#include "transforms/parse/parser.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of the calling thread: on a machine shared with other work, MB/s
// per core is bytes over this, not over wall time.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: text_parse PIPELINE.yaml INPUT.log [RUNS]\n");
    return 2;
  }
  const int runs = argc > 3 ? std::atoi(argv[3]) : 5;
  sluice::PipelineConfig c = sluice::load_pipeline(argv[1], {});
  std::ifstream in(argv[2], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();

  // The batches as the file source makes them: lines without '\n' or '\r'.
  std::vector<sluice::RawBatch> batches;
  size_t pos = 0;
  int64_t lines = 0;
  while (pos < data.size()) {
    sluice::RawBatch b;
    uint32_t stream = b.stream_id("file:bench");
    b.arena.reserve(1 << 21);
    while (pos < data.size() && b.records.size() < 8192) {
      size_t nl = data.find('\n', pos);
      if (nl == std::string::npos) nl = data.size();
      size_t end = nl;
      if (end > pos && data[end - 1] == '\r') --end;
      if (end > pos)
        b.add(std::string_view(data).substr(pos, end - pos), stream, pos, -1, lines + 1);
      ++lines;
      pos = nl + 1;
    }
    sluice::Parser::pad(b);
    batches.push_back(std::move(b));
  }

  sluice::Parser parser(c.schema, c.transforms, c.limits, c.source.format, c.source.text);
  std::vector<double> times, cpu;
  int64_t accepted = 0, rejected = 0;
  for (int r = 0; r < runs; ++r) {
    accepted = rejected = 0;
    auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_cpu_seconds();
    for (const auto& b : batches) {
      sluice::RecordBatch out(parser.output_schema());
      std::vector<sluice::Reject> rejects;
      sluice::ParseStats stats;
      parser.process(b, out, rejects, stats, 0);
      accepted += stats.records_accepted;
      rejected += stats.records_rejected;
    }
    cpu.push_back(thread_cpu_seconds() - c0);
    times.push_back(seconds_since(t0));
  }
  std::sort(times.begin(), times.end());
  std::sort(cpu.begin(), cpu.end());
  const double t = times[times.size() / 2];
  const double cpu_s = cpu[cpu.size() / 2];
  std::printf(
      "parse_cpu_seconds=%.4f parse_mb_per_s=%.1f parse_lines_per_s=%.0f wall_seconds=%.4f "
      "bytes=%zu lines=%lld accepted=%lld rejected=%lld\n",
      cpu_s, data.size() / cpu_s / 1e6, lines / cpu_s, t, data.size(),
      static_cast<long long>(lines), static_cast<long long>(accepted),
      static_cast<long long>(rejected));
  return 0;
}
