// sluice: one binary, one subcommand per job. Exit codes: 0 ok, 1 runtime
// error, 2 usage error, 3 config error, 4 lake verify found problems.
#include <signal.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop.store(true);
}
}  // namespace

int main(int argc, char** argv) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{"sluice: Kafka and log files to an exactly-once Parquet lake, in one binary"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sluice 0.1.0");
  sluice::cli::Commands commands(app, g_stop);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? sluice::kExitOk : sluice::kExitUsage;
  }
  try {
    return commands.run();
  } catch (const sluice::ConfigError& e) {
    std::fprintf(stderr, "sluice: config error: %s\n", e.what());
    return sluice::kExitConfig;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "sluice: %s\n", e.what());
    return sluice::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sluice: error: %s\n", e.what());
    return sluice::kExitRuntime;
  }
}
