// Error types: fatal/startup errors are exceptions; per-record problems are
// values (see Reject in src/transforms/parse/parser.h).
#pragma once

#include <stdexcept>
#include <string>

namespace sluice {

// Exit codes of the CLI, distinct per class of failure.
enum ExitCode : int {
  kExitOk = 0,
  kExitRuntime = 1,  // I/O, broker, lake errors at run time
  kExitUsage = 2,    // bad command line
  kExitConfig = 3,   // bad pipeline file
  kExitVerify = 4,   // lake verify found a problem
  kExitQuality = 5,  // a batch job's quality check failed (nothing published)
};

// A problem in a pipeline file: carries file, line and key.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, std::string key, const std::string& message)
      : std::runtime_error(file + ":" + std::to_string(line) + ": " + key + ": " + message),
        file_(std::move(file)),
        line_(line),
        key_(std::move(key)) {}
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& key() const { return key_; }

 private:
  std::string file_;
  int line_;
  std::string key_;
};

// A run-time failure that should stop the pipeline (exit code kExitRuntime).
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace sluice
