// Loads a pipeline YAML file into a checked PipelineConfig. Every problem is a
// ConfigError naming the file, the line and the key; unknown keys are errors.
#pragma once

#include <optional>
#include <string>
#include <string_view>
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

// Parses a generator spread: "single", "live" or "backfill:H" with H whole
// hours in 1..87600 (see TimeSpread). nullopt when malformed.
std::optional<TimeSpread> parse_time_spread(std::string_view text);

// Expands ${VAR} and ${VAR:-default}; throws std::invalid_argument naming an
// unset variable without a default.
std::string expand_env(const std::string& text);

}  // namespace sluice
