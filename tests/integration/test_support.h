// Helpers for integration tests: temp dirs, running the sluice binary as a
// child process, and an independent DuckDB reader for lake files.
#pragma once

#include <duckdb.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include "../support/temp_dir.h"

namespace sluice::testing {

using testsupport::TempDir;

// The whole text of a file ("" when it cannot be read).
inline std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The address `sluice dev-broker` prints on the first line of its output
// file ("host:port"), waited for up to `timeout_ms`; "" if it did not appear.
inline std::string wait_for_broker_address(const std::string& broker_out, int timeout_ms) {
  std::string brokers;
  for (int waited = 0; waited < timeout_ms && brokers.empty(); waited += 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::istringstream first(file_text(broker_out));
    std::getline(first, brokers);
    if (brokers.find(':') == std::string::npos || brokers.find(' ') != std::string::npos)
      brokers.clear();
  }
  return brokers;
}

// The files a table's commit log lists, as a DuckDB list literal.
inline std::string logged_files(const std::string& table) {
  std::string list = "[";
  for (const auto& entry : std::filesystem::directory_iterator(table + "/_sluice_log")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    nlohmann::json j = nlohmann::json::parse(in);
    for (const auto& f : j["files"]) {
      if (list.size() > 1) list += ",";
      list += "'" + table + "/" + f["path"].get<std::string>() + "'";
    }
  }
  return list + "]";
}

// A child process running the sluice binary; stdout/stderr go to `log`.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& log) {
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      FILE* f = std::fopen(log.c_str(), "a");
      if (f) {
        dup2(fileno(f), 1);
        dup2(fileno(f), 2);
      }
      std::vector<char*> argv;
      std::string bin = SLUICE_BINARY;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait();
    }
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // True while the process is stopped (SIGSTOP from outside or raised itself).
  bool stopped() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t name_end = stat.rfind(')');  // "pid (comm) state ..."
    return name_end != std::string::npos && name_end + 2 < stat.size() && stat[name_end + 2] == 'T';
  }
  // Returns the exit status (or 128+signal), or -1 if still running.
  int poll() {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == 0) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
};

// Runs sluice to completion and returns its exit code; output in `out`.
inline int run_sluice(const std::vector<std::string>& args, std::string* out = nullptr) {
  std::string log =
      (std::filesystem::temp_directory_path() / ("sluice-run-" + std::to_string(getpid()) + ".log"))
          .string();
  std::filesystem::remove(log);
  int rc;
  {
    Child c(args, log);
    rc = c.wait();
  }
  if (out) {
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
  }
  std::filesystem::remove(log);
  return rc;
}

// An in-memory DuckDB used only to read back what sluice wrote.
class Duck {
 public:
  Duck() {
    if (duckdb_open(nullptr, &db_) != DuckDBSuccess) throw std::runtime_error("duckdb_open");
    if (duckdb_connect(db_, &con_) != DuckDBSuccess) throw std::runtime_error("duckdb_connect");
  }
  ~Duck() {
    duckdb_disconnect(&con_);
    duckdb_close(&db_);
  }
  // Runs `sql` and returns all cells as strings (NULL -> "NULL"), row-major.
  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    duckdb_result res;
    if (duckdb_query(con_, sql.c_str(), &res) != DuckDBSuccess) {
      std::string err = duckdb_result_error(&res);
      duckdb_destroy_result(&res);
      throw std::runtime_error("duckdb: " + err + " in: " + sql);
    }
    std::vector<std::vector<std::string>> out;
    idx_t cols = duckdb_column_count(&res);
    idx_t n = duckdb_row_count(&res);
    for (idx_t r = 0; r < n; ++r) {
      std::vector<std::string> row;
      for (idx_t c = 0; c < cols; ++c) {
        if (duckdb_value_is_null(&res, c, r)) {
          row.push_back("NULL");
        } else {
          char* v = duckdb_value_varchar(&res, c, r);
          row.push_back(v);
          duckdb_free(v);
        }
      }
      out.push_back(std::move(row));
    }
    duckdb_destroy_result(&res);
    return out;
  }
  int64_t scalar(const std::string& sql) { return std::stoll(rows(sql).at(0).at(0)); }

 private:
  duckdb_database db_ = nullptr;
  duckdb_connection con_ = nullptr;
};

inline std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

}  // namespace sluice::testing
