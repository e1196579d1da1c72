// The pipeline loader: reads the YAML text, applies --set overrides, and
// hands each top-level section to its parser (source_section.cpp,
// schema_section.cpp, transforms_section.cpp, sink_section.cpp,
// batch_section.cpp). Every error is a ConfigError "file:line: key: message".
#include "config/loader.h"

#include <fstream>
#include <sstream>

#include "config/reader.h"
#include "transforms/parse/parser.h"

namespace sluice {

namespace {

using namespace config;  // Reader and the section parsers

// Applies "a.b.c=value" to the tree, creating maps as needed.
void apply_override(YAML::Node root, const std::string& key, const std::string& value,
                    const std::string& file) {
  std::vector<std::string> parts;
  std::stringstream ss(key);
  std::string part;
  while (std::getline(ss, part, '.')) {
    if (part.empty()) throw ConfigError(file, 0, key, "malformed --set key");
    parts.push_back(part);
  }
  if (parts.empty()) throw ConfigError(file, 0, key, "malformed --set key");
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (next.IsDefined() && !next.IsNull() && !next.IsMap()) {
      throw ConfigError(file, 0, key, "--set: '" + parts[i] + "' is not a mapping");
    }
    chain.push_back(next);
  }
  YAML::Node v;
  try {
    v = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file, 0, key, std::string("--set value is not valid YAML: ") + e.what());
  }
  chain.back()[parts.back()] = v;
}

PipelineConfig build(const YAML::Node& root, const std::string& file) {
  Reader r(file);
  if (!root.IsDefined() || root.IsNull()) throw ConfigError(file, 1, "(top level)", "empty file");
  r.check_keys(root, "",
               {"name", "source", "schema", "transforms", "sink", "limits", "batch", "orchestrator",
                "http"});
  PipelineConfig c;
  c.file = file;
  if (!root["name"]) r.fail(root, "name", "missing required key");
  c.name = r.str(root["name"], "name");
  if (!root["source"]) r.fail(root, "source", "missing required key");
  parse_source(r, root["source"], c.source);
  if (!root["schema"]) r.fail(root, "schema", "missing required key");
  parse_schema(r, root["schema"], c.schema);
  if (root["transforms"])
    parse_transforms(r, root["transforms"], c.schema, c.transforms);
  else
    parse_transforms(r, YAML::Node(YAML::NodeType::Sequence), c.schema, c.transforms);
  if (c.source.format != InputFormat::kJson) {
    // The schema must be fillable from the format's captures: check it now,
    // with a line number, rather than when the pipeline starts.
    try {
      Parser check(c.schema, c.transforms, c.limits, c.source.format, c.source.text);
    } catch (const std::invalid_argument& e) {
      r.fail(root["source"]["format"], "source.format", e.what());
    }
  }
  if (!root["sink"]) r.fail(root, "sink", "missing required key");
  parse_sink(r, root["sink"], c.schema, c);
  if (const auto& lim = root["limits"]) {
    r.check_keys(lim, "limits", {"max_record_bytes", "max_depth"});
    if (lim["max_record_bytes"])
      c.limits.max_record_bytes = static_cast<uint32_t>(
          r.integer(lim["max_record_bytes"], "limits.max_record_bytes", 16, 1 << 30));
    if (lim["max_depth"])
      c.limits.max_depth =
          static_cast<uint32_t>(r.integer(lim["max_depth"], "limits.max_depth", 2, 1024));
  }
  if (root["batch"]) c.batch_jobs = parse_batch(r, root["batch"]);
  if (root["orchestrator"]) c.orchestrator = parse_orchestrator(r, root["orchestrator"]);
  if (const auto& h = root["http"]) {
    r.check_keys(h, "http", {"listen", "token"});
    c.http.line = h.Mark().line + 1;
    if (h["listen"]) {
      c.http.listen = r.str(h["listen"], "http.listen");
      std::string host;
      int port = 0;
      if (c.http.listen != "off" && !split_listen_address(c.http.listen, host, port))
        r.fail(h["listen"], "http.listen", "expected HOST:PORT, :PORT, PORT or off");
    }
    if (h["token"]) {
      c.http.token = r.str(h["token"], "http.token");
      if (c.http.token.size() < 16)
        r.fail(h["token"], "http.token",
               "a token has at least 16 characters (use ${VAR} to keep it out of the file)");
    }
  }
  return c;
}

PipelineConfig load_node(const std::string& text, const std::string& file,
                         const ConfigOverrides& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(file, e.mark.line + 1, "(syntax)", e.msg);
  }
  if (!overrides.empty()) {
    if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    for (const auto& [k, v] : overrides) apply_override(root, k, v, file);
  }
  try {
    return build(root, file);
  } catch (const YAML::Exception& e) {
    // Whatever yaml-cpp refuses that no check above names (a net, found by
    // fuzzing): still a configuration error with the file and line.
    throw ConfigError(file, e.mark.line + 1, "(yaml)", e.msg);
  }
}

}  // namespace

std::string expand_env(const std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      if (close == std::string::npos)
        throw std::invalid_argument("unterminated ${ in '" + text + "'");
      std::string body = text.substr(i + 2, close - i - 2);
      std::string name = body, fallback;
      bool has_default = false;
      if (size_t d = body.find(":-"); d != std::string::npos) {
        name = body.substr(0, d);
        fallback = body.substr(d + 2);
        has_default = true;
      }
      const char* v = std::getenv(name.c_str());
      if (v && *v)
        out += v;
      else if (has_default)
        out += fallback;
      else
        throw std::invalid_argument("environment variable " + name + " is not set");
      i = close + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::pair<std::string, std::string> parse_override(const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("--set", 0, text, "expected KEY=VALUE");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::optional<TimeSpread> parse_time_spread(std::string_view text) {
  if (text == "single") return TimeSpread{TimeSpread::Kind::kSingle, 0};
  if (text == "live") return TimeSpread{TimeSpread::Kind::kLive, 0};
  constexpr std::string_view kBackfill = "backfill:";
  if (!text.starts_with(kBackfill)) return std::nullopt;
  std::string_view digits = text.substr(kBackfill.size());
  if (digits.empty() || digits.size() > 5) return std::nullopt;
  int64_t hours = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    hours = hours * 10 + (c - '0');
  }
  if (hours < 1 || hours > 87600) return std::nullopt;
  return TimeSpread{TimeSpread::Kind::kBackfill, hours};
}

PipelineConfig load_pipeline_from_string(const std::string& yaml, const std::string& name,
                                         const ConfigOverrides& overrides) {
  return load_node(yaml, name, overrides);
}

PipelineConfig load_pipeline(const std::string& path, const ConfigOverrides& overrides) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path, 0, "(file)", "cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  return load_node(ss.str(), path, overrides);
}

}  // namespace sluice
