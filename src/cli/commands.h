// Subcommand registration for the sluice CLI: each subcommand's options live
// in one struct and its body in one file (run.cpp, generate.cpp, ...).
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sluice::cli {

struct RunArgs {
  std::string pipeline;
  std::string input;
  std::string brokers, topic, group;
  std::string lake, dlq;
  std::vector<std::string> sets;
  std::string writer_id = "w0";
  bool writer_id_given = false;  // --writer-id on the command line
  int64_t stop_after = 0;
  int64_t idle_stop_ms = 0;
  bool quiet = false;
  std::string http;  // --http: HOST:PORT or off ("": the pipeline's http.listen)
};

struct GenerateArgs {
  std::string family;
  int64_t count = 1000;
  double rate = 0;
  std::optional<double> duplicates;  // unset: the family's default (2 for iot, else 0)
  std::optional<double> malformed;   // unset: the family's default (0.2 for access-log, else 0)
  double late = 0;
  std::string spread;  // single | live | backfill:H; empty: the family's default
  uint64_t seed = 1;
  int64_t start = 0;
  std::string output = "-";
};

struct DemoArgs {
  int64_t events = 200000;
  std::string lake = "./lake";
  int partitions = 3;
  double malformed = 1.0;
  double duplicates = 0;
  uint64_t seed = 42;
  std::string http;    // "": http.listen, else 127.0.0.1:0 (any free port)
  bool serve = false;  // keep the dashboard up after the summary until SIGINT/SIGTERM
};

struct DevBrokerArgs {
  int port = 0;
  int partitions = 3;
  std::vector<std::string> topics;
};

struct BatchArgs {
  std::string job;
  std::string pipeline;
  std::string lake;
  std::string date, from, to;
  bool since_last = false;
  std::string warehouse;
  std::string csv;
  bool no_deps = false;
  bool quiet = false;
  std::vector<std::string> sets;
};

struct LakeArgs {
  std::string table_dir;
  // compact / vacuum
  std::string lake;  // lake root: TABLE is then a table name under it
  std::string target_size = "128MB";
  std::string closed_after = "1h";
  std::string scratch;
  std::string retain = "7d";
  bool dry_run = false;
  bool force = false;
};

struct OrchestrateArgs {
  std::string pipeline;
  std::string lake;
  std::vector<std::string> sets;
  bool once = false;
  bool quiet = false;
  std::string http;
};

struct RunsArgs {
  std::string pipeline;
  std::string lake;
  std::string job;
  int limit = 20;
};

struct TriggerArgs {
  std::string job;
  std::string pipeline;
  std::string lake;
  std::string date, from, to;
  bool no_deps = false;
  bool quiet = false;
};

// Fails with a usage error naming `flag` when `location` (a lake root or
// table) is not a supported location (a local path, file:// or s3://).
void check_lake_location(const std::string& location, const std::string& flag);
// --set KEY=VALUE options as config overrides.
std::vector<std::pair<std::string, std::string>> to_overrides(const std::vector<std::string>& sets);

int run_command(const RunArgs& a, const std::atomic<bool>& stop);
int validate_command(const std::string& pipeline, const std::vector<std::string>& sets);
int generate_command(const GenerateArgs& a, const std::atomic<bool>& stop);
int demo_command(const DemoArgs& a, const std::atomic<bool>& stop);
int dev_broker_command(const DevBrokerArgs& a, const std::atomic<bool>& stop);
int lake_command(const std::string& verb, const LakeArgs& a);
int batch_command(const BatchArgs& a);
int orchestrate_command(const OrchestrateArgs& a, const std::atomic<bool>& stop);
int runs_command(const RunsArgs& a);
int trigger_command(const TriggerArgs& a);

// Registers every subcommand on `app`; run() dispatches to the chosen one.
class Commands {
 public:
  Commands(CLI::App& app, const std::atomic<bool>& stop);
  int run();

 private:
  const std::atomic<bool>& stop_;
  std::function<int()> chosen_;
  RunArgs run_;
  RunArgs validate_;
  GenerateArgs generate_;
  DemoArgs demo_;
  DevBrokerArgs broker_;
  LakeArgs lake_;
  BatchArgs batch_;
  OrchestrateArgs orchestrate_;
  RunsArgs runs_;
  TriggerArgs trigger_;
};

}  // namespace sluice::cli
