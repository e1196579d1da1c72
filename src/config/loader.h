// Loads a pipeline YAML file into a checked PipelineConfig. Every problem is a
// ConfigError naming the file, the line and the key; unknown keys are errors.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/pipeline.h"

namespace sluice {

// Overrides applied before checking, as "dotted.key=value" (e.g.
// "sink.lake.path=/data/lake"); a value is parsed as YAML.
using ConfigOverrides = std::vector<std::pair<std::string, std::string>>;

PipelineConfig load_pipeline(const std::string& path, const ConfigOverrides& overrides = {});
PipelineConfig load_pipeline_from_string(const std::string& yaml, const std::string& name,
                                         const ConfigOverrides& overrides = {});

// Splits "a.b=c" into {"a.b", "c"}; throws ConfigError on a malformed one.
std::pair<std::string, std::string> parse_override(const std::string& text);

// Expands ${VAR} and ${VAR:-default}; throws std::invalid_argument naming an
// unset variable without a default.
std::string expand_env(const std::string& text);

}  // namespace sluice
