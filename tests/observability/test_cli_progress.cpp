// Terminal progress of the real binary: `sluice run` over a file prints plain
// progress lines with bytes done / total when stderr is not a terminal, and
// one line redrawn in place when it is (a pseudo-terminal from script(1));
// `sluice demo` prints the dashboard URL first and, with --serve, keeps
// serving it after the summary until SIGINT.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "obs_test_util.h"
#include "observability/progress.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

const std::string kAccessLogs = std::string(SLUICE_SOURCE_DIR) + "/examples/access_logs.yaml";

// A generated combined-format access log of `count` lines.
std::string access_log(const TempDir& dir, int count) {
  const std::string path = dir.path() + "/access.log";
  std::string out;
  EXPECT_EQ(
      run_sluice({"generate", "access-log", "--count", std::to_string(count), "--output", path},
                 &out),
      0)
      << out;
  return path;
}

TEST(CliProgress, PlainLinesWithBytesDoneAndTotalWhenNotATerminal) {
  TempDir dir;
  const std::string input = access_log(dir, 20000);
  const int64_t size = static_cast<int64_t>(std::filesystem::file_size(input));
  const std::string log = dir.path() + "/run.log";
  Child run({"run", kAccessLogs, "--input", input, "--lake", dir.path() + "/lake"}, log);
  ASSERT_EQ(run.wait(), 0) << slurp_file(log);
  const std::string text = slurp_file(log);
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(text.find("\x1b["), std::string::npos) << text;
  // The final report: everything done, no ETA, then the counts.
  const std::string total = obs::format_bytes(size);
  const std::string done = "[sluice] access_logs: " + total + " / " + total + " (100.0%), ";
  auto at = text.find(done);
  ASSERT_NE(at, std::string::npos) << text;
  std::string line = text.substr(at, text.find('\n', at) - at);
  EXPECT_TRUE(std::regex_search(
      line,
      std::regex(
          R"(/s; read 20000 \(\S+/s\), accepted \d+, rejected \d+, rows \d+, files \d+, commits \d+$)")))
      << line;
  EXPECT_EQ(line.find("ETA"), std::string::npos) << line;
  // The summary follows on stdout.
  EXPECT_NE(text.find("events read:     20000\n"), std::string::npos) << text;
}

TEST(CliProgress, OneRedrawnLineOnATerminal) {
  if (access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "script(1) is not installed";
  TempDir dir;
  const std::string input = access_log(dir, 20000);
  const std::string total =
      obs::format_bytes(static_cast<int64_t>(std::filesystem::file_size(input)));
  // script(1) runs the command on a pseudo-terminal and copies what it wrote.
  const std::string typescript = dir.path() + "/typescript";
  const std::string cmd = std::string(SLUICE_BINARY) + " run " + kAccessLogs + " --input " + input +
                          " --lake " + dir.path() + "/lake";
  const std::string shell =
      "script -qefc '" + cmd + "' " + typescript + " >/dev/null 2>&1 </dev/null";
  ASSERT_EQ(std::system(shell.c_str()), 0) << slurp_file(typescript);
  const std::string text = slurp_file(typescript);
  // Each report starts with a carriage return and erases the rest of the line;
  // only the final one ends the line.
  const std::string final_report =
      "\r[sluice] access_logs: " + total + " / " + total + " (100.0%), ";
  auto at = text.find(final_report);
  ASSERT_NE(at, std::string::npos) << text;
  std::string line = text.substr(at + 1, text.find('\n', at) - at - 1);
  EXPECT_TRUE(std::regex_search(
      line, std::regex(R"(/s \| read 20000 \(\S+/s\), rejected \d+, commits \d+\x1b\[K\r?$)")))
      << line;
  // No plain progress lines on a terminal: every report is a redraw.
  EXPECT_EQ(text.find("\n[sluice] access_logs: "), std::string::npos) << text;
  EXPECT_NE(text.find("events read:     20000"), std::string::npos) << text;
}

TEST(CliDemo, PrintsTheUrlFirstAndServesAfterTheSummaryUntilSigint) {
  TempDir dir;
  const std::string log = dir.path() + "/demo.log";
  Child demo({"demo", "--events", "3000", "--lake", dir.path() + "/lake", "--serve"}, log);
  ASSERT_TRUE(wait_for(
      [&] { return slurp_file(log).find("the dashboard stays up at") != std::string::npos; }, 300))
      << slurp_file(log);
  const std::string text = slurp_file(log);
  // The first line names the dashboard's URL.
  const std::string first = text.substr(0, text.find('\n'));
  EXPECT_TRUE(std::regex_match(
      first, std::regex(R"(\[sluice\] http: serving http://127\.0\.0\.1:\d+/ .*)")))
      << text;
  EXPECT_NE(text.find("events read:     3000\n"), std::string::npos) << text;
  const int port = printed_port(log);
  ASSERT_GT(port, 0);
  // After the summary: still serving, with the run's numbers.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(demo.poll(), -1) << "demo exited despite --serve";
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  auto status = c.Get("/api/status");
  ASSERT_TRUE(status);
  auto j = nlohmann::json::parse(status->body);
  EXPECT_EQ(j["counters"]["events_read"], 3000) << status->body;
  demo.signal(SIGINT);
  EXPECT_EQ(demo.wait(), 0) << slurp_file(log);
  EXPECT_NE(slurp_file(log).find("[sluice] demo: stopped"), std::string::npos);
}

TEST(CliDemo, ServeNeedsTheHttpServer) {
  TempDir dir;
  std::string out;
  EXPECT_EQ(run_sluice({"demo", "--events", "10", "--lake", dir.path() + "/lake", "--serve",
                        "--http", "off"},
                       &out),
            3)
      << out;
  EXPECT_NE(out.find("--serve needs the HTTP server"), std::string::npos) << out;
}

}  // namespace
}  // namespace sluice::testing
