// Progress formatting (src/observability/progress.h): byte and duration
// units, the line `sluice run` shows, and the printer's line control on a
// terminal (one redrawn line) and elsewhere (plain lines).
#include "observability/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <string>

namespace sluice::obs {
namespace {

TEST(ProgressFormat, Bytes) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(format_bytes(12LL * 1024 * 1024 + 300 * 1024), "12.3 MiB");
  EXPECT_EQ(format_bytes(512LL * 1024 * 1024), "512 MiB");
  EXPECT_EQ(format_bytes(5LL << 30), "5.00 GiB");
  EXPECT_EQ(format_bytes(-1), "?");
}

TEST(ProgressFormat, Durations) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(6.2), "7s");  // an ETA rounds up
  EXPECT_EQ(format_duration(245), "4m05s");
  EXPECT_EQ(format_duration(2 * 3600 + 13 * 60), "2h13m");
  EXPECT_EQ(format_duration(3 * 86400 + 4 * 3600), "3d04h");
  EXPECT_EQ(format_duration(-1), "?");
  EXPECT_EQ(format_duration(std::numeric_limits<double>::infinity()), "?");
}

Progress file_progress() {
  Progress p;
  p.pipeline = "access_logs";
  p.events_read = 500000;
  p.events_accepted = 499000;
  p.events_rejected = 1000;
  p.rows_written = 400000;
  p.files_written = 3;
  p.commits = 2;
  p.bytes_start = 0;
  p.bytes_done = 50LL << 20;
  p.bytes_total = 100LL << 20;
  p.seconds = 5;
  return p;
}

TEST(ProgressFormat, FileRunShowsDoneTotalRateAndEta) {
  Progress p = file_progress();
  EXPECT_EQ(format_progress(p, false),
            "[sluice] access_logs: 50.0 MiB / 100 MiB (50.0%), 10.0 MiB/s, ETA 5s; read 500000 "
            "(100k/s), accepted 499000, rejected 1000, rows 400000, files 3, commits 2");
  EXPECT_EQ(format_progress(p, true),
            "[sluice] access_logs: 50.0 MiB / 100 MiB (50.0%), 10.0 MiB/s, ETA 5s | read 500000 "
            "(100k/s), rejected 1000, commits 2");
}

TEST(ProgressFormat, RateCountsOnlyThisRunsBytes) {
  Progress p = file_progress();
  p.bytes_start = 40LL << 20;  // resumed at 40 MiB: 10 MiB in 5 s
  std::string line = format_progress(p, false);
  EXPECT_NE(line.find(", 2.00 MiB/s, ETA 25s;"), std::string::npos) << line;
}

TEST(ProgressFormat, FinalLineHasNoEta) {
  Progress p = file_progress();
  p.bytes_done = p.bytes_total;
  p.final = true;
  std::string line = format_progress(p, false);
  EXPECT_NE(line.find("100 MiB / 100 MiB (100.0%), 20.0 MiB/s; read"), std::string::npos) << line;
  EXPECT_EQ(line.find("ETA"), std::string::npos);
}

TEST(ProgressFormat, UnknownTotalShowsDoneAndRate) {
  Progress p = file_progress();
  p.bytes_total = -1;  // follow mode or stdin
  std::string line = format_progress(p, false);
  EXPECT_NE(line.find("access_logs: 50.0 MiB, 10.0 MiB/s; read 500000"), std::string::npos) << line;
  EXPECT_EQ(line.find("ETA"), std::string::npos);
}

TEST(ProgressFormat, NoBytesForOtherSources) {
  Progress p = file_progress();
  p.bytes_done = p.bytes_start = p.bytes_total = -1;  // Kafka, generate
  EXPECT_EQ(format_progress(p, false),
            "[sluice] access_logs: read 500000 (100k/s), accepted 499000, rejected 1000, rows "
            "400000, files 3, commits 2");
}

TEST(ProgressFormat, StalledRunHasUnknownEta) {
  Progress p = file_progress();
  p.bytes_done = 0;
  std::string line = format_progress(p, false);
  EXPECT_NE(line.find("0 B / 100 MiB (0.0%), 0 B/s, ETA ?;"), std::string::npos) << line;
}

std::string print(Progress p, bool tty, int columns = 0) {
  char* buf = nullptr;
  size_t size = 0;
  std::FILE* f = open_memstream(&buf, &size);
  ProgressPrinter printer(f, tty, columns);
  printer(p);
  std::fclose(f);
  std::string out(buf, size);
  free(buf);
  return out;
}

TEST(ProgressPrinter, TerminalRedrawsOneLine) {
  Progress p = file_progress();
  std::string out = print(p, true);
  EXPECT_EQ(out, "\r" + format_progress(p, true) + "\x1b[K");
  // Cut to the terminal's width minus one, so the line never wraps.
  out = print(p, true, 41);
  EXPECT_EQ(out, "\r" + format_progress(p, true).substr(0, 40) + "\x1b[K");
  // The last report ends the line, then the event-time state.
  p.final = true;
  p.event_time = "watermark none";
  out = print(p, true);
  EXPECT_EQ(out,
            "\r" + format_progress(p, true) + "\x1b[K\n[sluice] access_logs: watermark none\n");
}

TEST(ProgressPrinter, PlainLinesElsewhere) {
  Progress p = file_progress();
  EXPECT_EQ(print(p, false), format_progress(p, false) + "\n");
  p.event_time = "watermark none, duplicates 0";
  EXPECT_EQ(print(p, false),
            format_progress(p, false) + "\n[sluice] access_logs: watermark none, duplicates 0\n");
}

}  // namespace
}  // namespace sluice::obs
