// Terminal progress of a running stream: what the stream runner reports about
// once per interval, and how `sluice run` shows it. On a TTY one line is
// redrawn in place (bytes done / total, percent, rate, ETA); elsewhere (a log
// file, a pipe, CI) plain lines are appended, one per report.
//
// Threading: the runner calls the callback from its writer thread only; a
// ProgressPrinter is used by that one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace sluice::obs {

struct Progress {
  std::string pipeline;
  int64_t events_read = 0;
  int64_t events_accepted = 0;
  int64_t events_rejected = 0;
  int64_t rows_written = 0;
  int64_t files_written = 0;
  int64_t commits = 0;
  // File sources: input bytes processed so far (the sum of the files' line
  // positions, resumed part included) and where this run started; -1 for
  // other sources.
  int64_t bytes_done = -1;
  int64_t bytes_start = -1;
  // File sources without follow mode: the inputs' total size at start; -1
  // when unknown (stdin, follow mode, Kafka, generate).
  int64_t bytes_total = -1;
  double seconds = 0;      // since the run started
  std::string event_time;  // watermark/dedupe state, empty without event-time transforms
  bool final = false;      // the last report, after the final commit
};

// "999 B", "1.5 KiB", "12.3 MiB", "4.00 GiB" (binary units).
std::string format_bytes(int64_t bytes);
// A duration for an ETA: "7s", "4m05s", "2h13m", "3d04h"; "?" when negative or not finite.
std::string format_duration(double seconds);
// The progress text without line control: with bytes known, "done / total
// (pct%), rate/s, ETA x" first (or "done, rate/s" without a total), then the
// event counts. `tty` picks the short form for one redrawn line.
std::string format_progress(const Progress& p, bool tty);

class ProgressPrinter {
 public:
  // `tty`: redraw one line ("\r" + text + clear to end of line), cut to
  // `columns - 1` characters so it never wraps; otherwise one line per call.
  ProgressPrinter(std::FILE* out, bool tty, int columns = 0)
      : out_(out), tty_(tty), columns_(columns) {}
  void operator()(const Progress& p);

 private:
  std::FILE* out_;
  bool tty_;
  int columns_;
};

}  // namespace sluice::obs
