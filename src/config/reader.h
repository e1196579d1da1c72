// Shared by the section parsers of the pipeline loader (loader.cpp and the
// *_section.cpp files): the YAML walker that reports "file:line: key: message"
// and the small value parsers more than one section uses. Internal to
// src/config.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/pipeline.h"
#include "core/error.h"

namespace sluice::config {

// Walks the YAML tree with the path of keys for error messages. Each Node
// records which keys were consumed so leftovers can be reported as unknown.
class Reader {
 public:
  Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                         const std::string& message) const {
    int line = node.IsDefined() ? node.Mark().line + 1 : 0;
    throw ConfigError(file_, line, key, message);
  }

  void expect_map(const YAML::Node& node, const std::string& key) const {
    if (!node.IsMap()) fail(node, key, "expected a mapping");
  }

  // Rejects keys of `node` not in `allowed`.
  void check_keys(const YAML::Node& node, const std::string& path,
                  std::initializer_list<const char*> allowed) const {
    expect_map(node, path.empty() ? "(top level)" : path);
    for (const auto& kv : node) {
      // A complex key (`? {a: b}: c`) has no name to check (found by fuzzing).
      if (!kv.first.IsScalar()) fail(kv.first, path, "keys must be plain names");
      std::string k = kv.first.as<std::string>();
      bool ok = false;
      for (const char* a : allowed) ok = ok || k == a;
      if (!ok) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        throw ConfigError(file_, kv.first.Mark().line + 1, join(path, k),
                          "unknown key (expected one of: " + list + ")");
      }
    }
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  std::string str(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "expected a scalar value");
    try {
      return expand_env(node.Scalar());
    } catch (const std::invalid_argument& e) {
      fail(node, key, e.what());
    }
  }

  int64_t integer(const YAML::Node& node, const std::string& key, int64_t lo, int64_t hi) const {
    std::string s = str(node, key);
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno != 0)
      fail(node, key, "expected an integer, got '" + s + "'");
    if (v < lo || v > hi) {
      fail(node, key,
           "value " + s + " out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return v;
  }

  double number(const YAML::Node& node, const std::string& key) const {
    std::string s = str(node, key);
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0') fail(node, key, "expected a number, got '" + s + "'");
    return v;
  }

  bool boolean(const YAML::Node& node, const std::string& key) const {
    std::string s = str(node, key);
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
    fail(node, key, "expected true or false, got '" + s + "'");
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// "10m", "30s", "250ms", "1h", "2d" or a plain number of milliseconds.
int64_t parse_duration_ms(const Reader& r, const YAML::Node& node, const std::string& key);
// A scalar name or a non-empty list of names.
std::vector<std::string> string_list(const Reader& r, const YAML::Node& node,
                                     const std::string& key);
// "90s", "15m", "2h", "1d" or plain milliseconds (batch and orchestrator keys).
int64_t batch_duration_ms(const Reader& r, const YAML::Node& node, const std::string& key);

// The sections of a pipeline file, in the order build() reads them.
void parse_source(const Reader& r, const YAML::Node& node, SourceConfig& s);
void parse_schema(const Reader& r, const YAML::Node& node, Schema& schema);
void parse_transforms(const Reader& r, const YAML::Node& node, const Schema& schema,
                      TransformsConfig& t);
void parse_sink(const Reader& r, const YAML::Node& node, const Schema& schema, PipelineConfig& c);
std::vector<BatchJobConfig> parse_batch(const Reader& r, const YAML::Node& node);
OrchestratorConfig parse_orchestrator(const Reader& r, const YAML::Node& node);

}  // namespace sluice::config
