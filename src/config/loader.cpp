#include "config/loader.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "re2/re2.h"

namespace sluice {

namespace {

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

FieldType parse_field_type(const Reader& r, const YAML::Node& node, const std::string& key) {
  std::string t = r.str(node, key);
  static const std::pair<const char*, FieldType> kTypes[] = {
      {"string", FieldType::kString}, {"int32", FieldType::kInt32},
      {"int64", FieldType::kInt64},   {"double", FieldType::kDouble},
      {"bool", FieldType::kBool},     {"timestamp", FieldType::kTimestamp},
      {"enum", FieldType::kEnum},     {"struct", FieldType::kStruct},
      {"list", FieldType::kList}};
  for (const auto& [name, type] : kTypes) {
    if (t == name) return type;
  }
  r.fail(node, key,
         "unknown type '" + t +
             "' (expected string, int32, int64, double, bool, timestamp, enum, "
             "struct or list)");
}

void check_default(const Reader& r, const YAML::Node& node, const std::string& key,
                   const Field& f) {
  const std::string& v = *f.default_value;
  auto bad = [&](const char* what) {
    r.fail(node, key, "default '" + v + "' is not a valid " + what);
  };
  char* end = nullptr;
  switch (f.type) {
    case FieldType::kInt32:
    case FieldType::kInt64: {
      long long x = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end) bad("integer");
      if (f.type == FieldType::kInt32 && (x < INT32_MIN || x > INT32_MAX)) bad("int32");
      break;
    }
    case FieldType::kDouble:
      std::strtod(v.c_str(), &end);
      if (v.empty() || *end) bad("number");
      break;
    case FieldType::kBool:
      if (v != "true" && v != "false") bad("bool");
      break;
    case FieldType::kEnum: {
      bool found = false;
      for (const auto& a : f.constraints.allowed) found = found || a == v;
      if (!found) bad("enum value");
      break;
    }
    case FieldType::kStruct:
    case FieldType::kList:
      r.fail(node, key, "struct and list fields cannot have a default");
    case FieldType::kString:
    case FieldType::kTimestamp:
      break;
  }
}

std::vector<Field> parse_fields(const Reader& r, const YAML::Node& node, const std::string& path,
                                int depth);

Field parse_field(const Reader& r, const YAML::Node& node, const std::string& path, int depth) {
  r.check_keys(node, path,
               {"name", "type", "required", "nullable", "default", "min", "max", "regex", "values",
                "max_length", "unit", "fields"});
  Field f;
  f.line = node.Mark().line + 1;
  if (!node["name"]) r.fail(node, path + ".name", "missing required key");
  f.name = r.str(node["name"], path + ".name");
  if (f.name.empty()) r.fail(node["name"], path + ".name", "must not be empty");
  std::string p = path + "(" + f.name + ")";
  if (!node["type"]) r.fail(node, p + ".type", "missing required key");
  f.type = parse_field_type(r, node["type"], p + ".type");
  if (node["required"]) f.required = r.boolean(node["required"], p + ".required");
  if (node["nullable"]) f.nullable = r.boolean(node["nullable"], p + ".nullable");
  if (f.required) f.nullable = false;
  bool numeric =
      f.type == FieldType::kInt32 || f.type == FieldType::kInt64 || f.type == FieldType::kDouble;
  bool stringy = f.type == FieldType::kString || f.type == FieldType::kEnum;
  if (node["min"]) {
    if (!numeric) r.fail(node["min"], p + ".min", "only numeric fields take min");
    f.constraints.min = r.number(node["min"], p + ".min");
  }
  if (node["max"]) {
    if (!numeric) r.fail(node["max"], p + ".max", "only numeric fields take max");
    f.constraints.max = r.number(node["max"], p + ".max");
  }
  if (f.constraints.min && f.constraints.max && *f.constraints.min > *f.constraints.max) {
    r.fail(node["max"], p + ".max", "max is below min");
  }
  if (node["regex"]) {
    if (!stringy) r.fail(node["regex"], p + ".regex", "only string fields take a regex");
    std::string re = r.str(node["regex"], p + ".regex");
    RE2 compiled(re, RE2::Quiet);
    if (!compiled.ok()) r.fail(node["regex"], p + ".regex", "invalid regex: " + compiled.error());
    f.constraints.regex = re;
  }
  if (node["values"]) {
    const YAML::Node& v = node["values"];
    if (!stringy) r.fail(v, p + ".values", "only enum or string fields take values");
    if (!v.IsSequence() || v.size() == 0) r.fail(v, p + ".values", "expected a non-empty list");
    for (const auto& item : v) f.constraints.allowed.push_back(r.str(item, p + ".values"));
  }
  if (f.type == FieldType::kEnum && f.constraints.allowed.empty()) {
    r.fail(node, p + ".values", "an enum needs a list of values");
  }
  if (node["max_length"]) {
    if (!stringy)
      r.fail(node["max_length"], p + ".max_length", "only string fields take max_length");
    f.constraints.max_length =
        static_cast<uint32_t>(r.integer(node["max_length"], p + ".max_length", 0, UINT32_MAX));
  }
  if (node["unit"]) {
    if (f.type != FieldType::kTimestamp)
      r.fail(node["unit"], p + ".unit", "only timestamps take a unit");
    std::string u = r.str(node["unit"], p + ".unit");
    if (u == "s")
      f.epoch_unit = EpochUnit::kSeconds;
    else if (u == "ms")
      f.epoch_unit = EpochUnit::kMillis;
    else if (u == "us")
      f.epoch_unit = EpochUnit::kMicros;
    else
      r.fail(node["unit"], p + ".unit", "expected s, ms or us");
  }
  if (node["default"]) {
    if (f.required)
      r.fail(node["default"], p + ".default", "a required field cannot have a default");
    f.default_value = r.str(node["default"], p + ".default");
    check_default(r, node["default"], p + ".default", f);
  }
  if (f.type == FieldType::kStruct || f.type == FieldType::kList) {
    if (!node["fields"]) r.fail(node, p + ".fields", "struct and list fields need member fields");
    if (depth >= 1 && f.type == FieldType::kList) {
      r.fail(node, p + ".type", "lists are supported at the top level only");
    }
    f.children = parse_fields(r, node["fields"], p + ".fields", depth + 1);
    for (const auto& c : f.children) {
      if (c.type == FieldType::kList || c.type == FieldType::kStruct) {
        r.fail(node["fields"], p + ".fields", "members of '" + f.name + "' must be scalar");
      }
    }
  } else if (node["fields"]) {
    r.fail(node["fields"], p + ".fields", "only struct and list fields have member fields");
  }
  return f;
}

std::vector<Field> parse_fields(const Reader& r, const YAML::Node& node, const std::string& path,
                                int depth) {
  if (!node.IsSequence() || node.size() == 0)
    r.fail(node, path, "expected a non-empty list of fields");
  std::vector<Field> out;
  std::set<std::string> names;
  for (const auto& item : node) {
    Field f = parse_field(r, item, path, depth);
    if (!names.insert(f.name).second) r.fail(item, path, "duplicate field '" + f.name + "'");
    out.push_back(std::move(f));
  }
  return out;
}

void parse_source(const Reader& r, const YAML::Node& node, SourceConfig& s) {
  r.check_keys(node, "source", {"type", "file", "kafka", "generate"});
  if (!node["type"]) r.fail(node, "source.type", "missing required key");
  std::string type = r.str(node["type"], "source.type");
  if (type == "file")
    s.type = SourceType::kFile;
  else if (type == "kafka")
    s.type = SourceType::kKafka;
  else if (type == "generate")
    s.type = SourceType::kGenerate;
  else
    r.fail(node["type"], "source.type",
           "unknown source type '" + type + "' (file, kafka, generate)");

  if (const auto& f = node["file"]) {
    r.check_keys(f, "source.file", {"path", "follow", "poll_ms", "max_batch_records"});
    if (f["path"]) s.file.path = r.str(f["path"], "source.file.path");
    if (f["follow"]) s.file.follow = r.boolean(f["follow"], "source.file.follow");
    if (f["poll_ms"])
      s.file.follow_poll_ms =
          static_cast<int>(r.integer(f["poll_ms"], "source.file.poll_ms", 1, 60000));
    if (f["max_batch_records"])
      s.file.max_batch_records = static_cast<size_t>(
          r.integer(f["max_batch_records"], "source.file.max_batch_records", 1, 10000000));
  }
  if (const auto& k = node["kafka"]) {
    r.check_keys(k, "source.kafka",
                 {"brokers", "topic", "topics", "group", "properties", "poll_timeout_ms",
                  "max_batch_records"});
    if (k["brokers"]) s.kafka.brokers = r.str(k["brokers"], "source.kafka.brokers");
    if (k["topic"]) s.kafka.topics.push_back(r.str(k["topic"], "source.kafka.topic"));
    if (k["topics"]) {
      if (!k["topics"].IsSequence()) r.fail(k["topics"], "source.kafka.topics", "expected a list");
      for (const auto& t : k["topics"]) s.kafka.topics.push_back(r.str(t, "source.kafka.topics"));
    }
    if (k["group"]) s.kafka.group = r.str(k["group"], "source.kafka.group");
    if (const auto& p = k["properties"]) {
      r.expect_map(p, "source.kafka.properties");
      for (const auto& kv : p) {
        std::string key = kv.first.as<std::string>();
        s.kafka.properties[key] = r.str(kv.second, "source.kafka.properties." + key);
      }
    }
    if (k["poll_timeout_ms"])
      s.kafka.poll_timeout_ms = static_cast<int>(
          r.integer(k["poll_timeout_ms"], "source.kafka.poll_timeout_ms", 1, 60000));
    if (k["max_batch_records"])
      s.kafka.max_batch_records = static_cast<size_t>(
          r.integer(k["max_batch_records"], "source.kafka.max_batch_records", 1, 10000000));
  }
  if (const auto& g = node["generate"]) {
    r.check_keys(g, "source.generate",
                 {"family", "count", "rate", "duplicates", "malformed", "late", "seed", "spread"});
    if (g["family"]) s.generate.family = r.str(g["family"], "source.generate.family");
    if (g["count"]) s.generate.count = r.integer(g["count"], "source.generate.count", 0, INT64_MAX);
    if (g["rate"]) s.generate.rate = r.number(g["rate"], "source.generate.rate");
    if (g["duplicates"])
      s.generate.duplicates_pct = r.number(g["duplicates"], "source.generate.duplicates");
    if (g["malformed"])
      s.generate.malformed_pct = r.number(g["malformed"], "source.generate.malformed");
    if (g["late"]) s.generate.late_pct = r.number(g["late"], "source.generate.late");
    if (g["seed"])
      s.generate.seed =
          static_cast<uint64_t>(r.integer(g["seed"], "source.generate.seed", 0, INT64_MAX));
    if (g["spread"]) {
      s.generate.spread = parse_time_spread(r.str(g["spread"], "source.generate.spread"));
      if (!s.generate.spread) {
        r.fail(g["spread"], "source.generate.spread",
               "expected single, live or backfill:HOURS (1..87600)");
      }
    }
  }
  switch (s.type) {
    case SourceType::kFile:
      if (s.file.path.empty()) r.fail(node, "source.file.path", "a file source needs a path");
      break;
    case SourceType::kKafka:
      if (s.kafka.brokers.empty())
        r.fail(node, "source.kafka.brokers", "a kafka source needs brokers");
      if (s.kafka.topics.empty())
        r.fail(node, "source.kafka.topic", "a kafka source needs a topic");
      if (s.kafka.group.empty()) r.fail(node, "source.kafka.group", "a kafka source needs a group");
      break;
    case SourceType::kGenerate: {
      const std::string& fam = s.generate.family;
      if (fam != "clickstream" && fam != "user_events" && fam != "iot") {
        r.fail(node["generate"] ? node["generate"] : node, "source.generate.family",
               "expected clickstream, user_events or iot");
      }
      break;
    }
  }
}

// "10m", "30s", "250ms", "1h", "2d" or a plain number of milliseconds.
int64_t parse_duration_ms(const Reader& r, const YAML::Node& node, const std::string& key) {
  std::string v = r.str(node, key);
  size_t i = 0;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  if (i == 0 || i > 15)
    r.fail(node, key, "expected a duration like 10m, 30s, 250ms, got '" + v + "'");
  int64_t n = std::stoll(v.substr(0, i));
  std::string unit = v.substr(i);
  if (unit.empty() || unit == "ms") return n;
  if (unit == "s") return n * 1000;
  if (unit == "m") return n * 60000;
  if (unit == "h") return n * 3600000;
  if (unit == "d") return n * 86400000;
  r.fail(node, key, "unknown duration unit '" + unit + "' (ms, s, m, h, d)");
}

std::vector<std::string> string_list(const Reader& r, const YAML::Node& node,
                                     const std::string& key) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(r.str(node, key));
  } else if (node.IsSequence() && node.size() > 0) {
    for (const auto& item : node) out.push_back(r.str(item, key));
  } else {
    r.fail(node, key, "expected a name or a non-empty list of names");
  }
  return out;
}

void parse_transforms(const Reader& r, const YAML::Node& node, const Schema& schema,
                      TransformsConfig& t) {
  if (!node.IsSequence()) r.fail(node, "transforms", "expected a list of transforms");
  for (const auto& item : node) {
    r.expect_map(item, "transforms");
    if (!item["type"]) r.fail(item, "transforms.type", "missing required key");
    std::string type = r.str(item["type"], "transforms.type");
    std::string p = "transforms(" + type + ")";
    if (type == "flatten") {
      r.check_keys(item, p, {"type", "field", "prefix", "index_column"});
      if (t.flatten) r.fail(item, p, "only one flatten transform is supported");
      FlattenConfig f;
      if (!item["field"]) r.fail(item, p + ".field", "missing required key");
      f.field = r.str(item["field"], p + ".field");
      const Field* target = schema.find(f.field);
      if (!target) r.fail(item["field"], p + ".field", "no field '" + f.field + "' in the schema");
      if (target->type != FieldType::kList) {
        r.fail(item["field"], p + ".field", "field '" + f.field + "' is not a list");
      }
      f.prefix = item["prefix"] ? r.str(item["prefix"], p + ".prefix") : f.field + "_";
      if (item["index_column"]) f.index_column = r.str(item["index_column"], p + ".index_column");
      t.flatten = f;
    } else if (type == "add_fields") {
      r.check_keys(item, p, {"type", "ingest_timestamp", "source_type", "source_type_column"});
      if (item["ingest_timestamp"]) {
        t.add_fields.ingest_timestamp_column =
            r.str(item["ingest_timestamp"], p + ".ingest_timestamp");
      }
      if (item["source_type"])
        t.add_fields.source_type = r.str(item["source_type"], p + ".source_type");
      if (item["source_type_column"]) {
        t.add_fields.source_type_column =
            r.str(item["source_type_column"], p + ".source_type_column");
      }
    } else if (type == "watermark") {
      r.check_keys(item, p, {"type", "delay", "idle_timeout"});
      if (item["delay"]) t.watermark.delay_ms = parse_duration_ms(r, item["delay"], p + ".delay");
      if (item["idle_timeout"]) {
        t.watermark.idle_timeout_ms =
            parse_duration_ms(r, item["idle_timeout"], p + ".idle_timeout");
      }
    } else if (type == "dedupe") {
      r.check_keys(item, p, {"type", "key", "horizon"});
      if (t.dedupe) r.fail(item, p, "only one dedupe transform is supported");
      DedupeConfig d;
      d.line = item.Mark().line + 1;
      if (!item["key"]) r.fail(item, p + ".key", "missing required key");
      d.keys = string_list(r, item["key"], p + ".key");
      if (item["horizon"]) d.horizon_ms = parse_duration_ms(r, item["horizon"], p + ".horizon");
      if (schema.timestamp_field.empty()) r.fail(item, p, "dedupe needs schema.timestamp_field");
      t.dedupe = d;
    } else if (type == "window") {
      r.check_keys(item, p,
                   {"type", "table", "kind", "size", "slide", "group_by", "aggregates",
                    "allowed_lateness", "late_policy", "late_table"});
      if (t.window) r.fail(item, p, "only one window transform is supported");
      if (schema.timestamp_field.empty()) r.fail(item, p, "windows need schema.timestamp_field");
      WindowConfig w;
      w.line = item.Mark().line + 1;
      if (!item["table"]) r.fail(item, p + ".table", "missing required key");
      w.table = r.str(item["table"], p + ".table");
      if (!item["size"]) r.fail(item, p + ".size", "missing required key");
      w.size_ms = parse_duration_ms(r, item["size"], p + ".size");
      if (w.size_ms <= 0) r.fail(item["size"], p + ".size", "must be positive");
      std::string kind = item["kind"] ? r.str(item["kind"], p + ".kind") : "tumbling";
      if (kind == "tumbling") {
        if (item["slide"]) r.fail(item["slide"], p + ".slide", "tumbling windows take no slide");
        w.slide_ms = w.size_ms;
      } else if (kind == "hopping") {
        if (!item["slide"]) r.fail(item, p + ".slide", "hopping windows need a slide");
        w.slide_ms = parse_duration_ms(r, item["slide"], p + ".slide");
        if (w.slide_ms <= 0 || w.slide_ms > w.size_ms || w.size_ms % w.slide_ms != 0) {
          r.fail(item["slide"], p + ".slide", "slide must be positive and divide the size");
        }
      } else {
        r.fail(item["kind"], p + ".kind", "expected tumbling or hopping");
      }
      if (item["group_by"]) w.group_by = string_list(r, item["group_by"], p + ".group_by");
      if (!item["aggregates"] || !item["aggregates"].IsSequence() ||
          item["aggregates"].size() == 0) {
        r.fail(item, p + ".aggregates", "expected a non-empty list of aggregates");
      }
      std::set<std::string> names;
      for (const auto& a : item["aggregates"]) {
        std::string ap = p + ".aggregates";
        r.check_keys(a, ap, {"fn", "field", "as"});
        AggregateConfig agg;
        if (!a["fn"]) r.fail(a, ap + ".fn", "missing required key");
        std::string fn = r.str(a["fn"], ap + ".fn");
        if (fn == "count")
          agg.fn = AggregateConfig::kCount;
        else if (fn == "sum")
          agg.fn = AggregateConfig::kSum;
        else if (fn == "avg")
          agg.fn = AggregateConfig::kAvg;
        else if (fn == "min")
          agg.fn = AggregateConfig::kMin;
        else if (fn == "max")
          agg.fn = AggregateConfig::kMax;
        else if (fn.size() >= 2 && fn[0] == 'p' &&
                 fn.find_first_not_of("0123456789", 1) == std::string::npos &&
                 std::stoi(fn.substr(1)) > 0 && std::stoi(fn.substr(1)) < 100) {
          agg.fn = AggregateConfig::kQuantile;
          agg.quantile = std::stoi(fn.substr(1)) / 100.0;
        } else {
          r.fail(a["fn"], ap + ".fn", "expected count, sum, avg, min, max or pNN (e.g. p95)");
        }
        if (agg.fn != AggregateConfig::kCount) {
          if (!a["field"]) r.fail(a, ap + ".field", fn + " needs a field");
          agg.field = r.str(a["field"], ap + ".field");
        }
        agg.as =
            a["as"] ? r.str(a["as"], ap + ".as") : (agg.field.empty() ? fn : fn + "_" + agg.field);
        if (!names.insert(agg.as).second)
          r.fail(a, ap + ".as", "duplicate output column '" + agg.as + "'");
        w.aggregates.push_back(agg);
      }
      if (item["allowed_lateness"]) {
        w.allowed_lateness_ms =
            parse_duration_ms(r, item["allowed_lateness"], p + ".allowed_lateness");
      }
      if (item["late_policy"]) {
        std::string lp = r.str(item["late_policy"], p + ".late_policy");
        if (lp == "drop")
          w.late_policy = LatePolicy::kDrop;
        else if (lp == "dlq")
          w.late_policy = LatePolicy::kDlq;
        else if (lp == "side_table")
          w.late_policy = LatePolicy::kSideTable;
        else
          r.fail(item["late_policy"], p + ".late_policy", "expected drop, dlq or side_table");
      }
      if (item["late_table"]) w.late_table = r.str(item["late_table"], p + ".late_table");
      if (w.late_policy == LatePolicy::kSideTable && w.late_table.empty()) {
        r.fail(item, p + ".late_table", "late_policy side_table needs late_table");
      }
      t.window = w;
    } else {
      r.fail(item["type"], p + ".type",
             "unknown transform '" + type + "' (flatten, add_fields, watermark, dedupe, window)");
    }
  }
  for (const auto& f : schema.fields) {
    if (f.type == FieldType::kList && (!t.flatten || t.flatten->field != f.name)) {
      throw ConfigError(r.file(), f.line, "schema.fields(" + f.name + ")",
                        "list fields must be exploded by a flatten transform");
    }
  }
}

void parse_sink(const Reader& r, const YAML::Node& node, const Schema& schema, PipelineConfig& c) {
  r.check_keys(node, "sink", {"lake", "dlq"});
  if (!node["lake"]) r.fail(node, "sink.lake", "missing required key");
  const YAML::Node& l = node["lake"];
  r.check_keys(l, "sink.lake",
               {"path", "table", "partition_by", "compression", "rotate", "commit_interval_ms",
                "row_group_size", "encoders", "max_open_files"});
  LakeSinkConfig& lake = c.lake;
  if (l["path"]) lake.path = r.str(l["path"], "sink.lake.path");
  lake.table = l["table"] ? r.str(l["table"], "sink.lake.table") : c.name;
  static const RE2 kTableName("[A-Za-z0-9_][A-Za-z0-9_.-]*");
  if (!RE2::FullMatch(lake.table, kTableName) || lake.table == ".." || lake.table == ".") {
    r.fail(l["table"] ? l["table"] : l, "sink.lake.table",
           "table names use letters, digits, '_', '.', '-'");
  }
  if (const auto& pb = l["partition_by"]) {
    if (!pb.IsSequence()) r.fail(pb, "sink.lake.partition_by", "expected a list");
    for (const auto& item : pb) {
      std::string v = r.str(item, "sink.lake.partition_by");
      PartitionKey k;
      k.name = v;
      k.field = schema.timestamp_field;
      if (v == "year")
        k.kind = PartitionKey::kYear;
      else if (v == "month")
        k.kind = PartitionKey::kMonth;
      else if (v == "day")
        k.kind = PartitionKey::kDay;
      else if (v == "hour")
        k.kind = PartitionKey::kHour;
      else {
        const Field* f = schema.find(v);
        if (!f)
          r.fail(item, "sink.lake.partition_by",
                 "'" + v + "' is neither year/month/day/hour nor a schema field");
        if (f->type == FieldType::kStruct || f->type == FieldType::kList) {
          r.fail(item, "sink.lake.partition_by",
                 "cannot partition by struct or list field '" + v + "'");
        }
        k.kind = PartitionKey::kField;
        k.field = v;
      }
      if (k.kind != PartitionKey::kField && schema.timestamp_field.empty()) {
        r.fail(item, "sink.lake.partition_by", "time partitions need schema.timestamp_field");
      }
      lake.partition_by.push_back(k);
    }
  } else if (!schema.timestamp_field.empty()) {
    for (auto [name, kind] : {std::pair{"year", PartitionKey::kYear},
                              {"month", PartitionKey::kMonth},
                              {"day", PartitionKey::kDay},
                              {"hour", PartitionKey::kHour}}) {
      lake.partition_by.push_back(PartitionKey{name, schema.timestamp_field, kind});
    }
  }
  if (l["compression"]) {
    std::string comp = r.str(l["compression"], "sink.lake.compression");
    if (comp == "zstd")
      lake.compression = Compression::kZstd;
    else if (comp == "snappy")
      lake.compression = Compression::kSnappy;
    else if (comp == "none" || comp == "uncompressed")
      lake.compression = Compression::kUncompressed;
    else
      r.fail(l["compression"], "sink.lake.compression", "expected zstd, snappy or none");
  }
  if (const auto& rot = l["rotate"]) {
    r.check_keys(rot, "sink.lake.rotate", {"max_rows", "max_bytes", "max_seconds"});
    if (rot["max_rows"])
      lake.rotate_max_rows = r.integer(rot["max_rows"], "sink.lake.rotate.max_rows", 1, INT64_MAX);
    if (rot["max_bytes"])
      lake.rotate_max_bytes =
          r.integer(rot["max_bytes"], "sink.lake.rotate.max_bytes", 1024, INT64_MAX);
    if (rot["max_seconds"])
      lake.commit_interval_ms =
          1000 * r.integer(rot["max_seconds"], "sink.lake.rotate.max_seconds", 1, 86400);
  }
  if (l["commit_interval_ms"])
    lake.commit_interval_ms =
        r.integer(l["commit_interval_ms"], "sink.lake.commit_interval_ms", 10, 86400000);
  if (l["row_group_size"])
    lake.row_group_size =
        r.integer(l["row_group_size"], "sink.lake.row_group_size", 1024, 100000000);
  if (l["encoders"]) lake.encoders = r.integer(l["encoders"], "sink.lake.encoders", 1, 64);
  if (l["max_open_files"])
    lake.max_open_files = r.integer(l["max_open_files"], "sink.lake.max_open_files", 1, 4096);
  if (const auto& d = node["dlq"]) {
    r.check_keys(d, "sink.dlq", {"path", "kafka_topic"});
    if (d["path"]) c.dlq.path = r.str(d["path"], "sink.dlq.path");
    if (d["kafka_topic"]) c.dlq.kafka_topic = r.str(d["kafka_topic"], "sink.dlq.kafka_topic");
  }
  if (c.dlq.path.empty() && c.dlq.kafka_topic.empty()) {
    c.dlq.path = lake.path + "/_dlq/" + lake.table + ".ndjson";
  }
}

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

std::vector<BatchJobConfig> parse_batch(const Reader& r, const YAML::Node& node);
OrchestratorConfig parse_orchestrator(const Reader& r, const YAML::Node& node);
void parse_job_orchestration(const Reader& r, const YAML::Node& item, const std::string& p,
                             BatchJobConfig& j);

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
  const YAML::Node& s = root["schema"];
  r.check_keys(s, "schema", {"timestamp_field", "fields"});
  if (!s["fields"]) r.fail(s, "schema.fields", "missing required key");
  c.schema.fields = parse_fields(r, s["fields"], "schema.fields", 0);
  if (s["timestamp_field"]) {
    c.schema.timestamp_field = r.str(s["timestamp_field"], "schema.timestamp_field");
    const Field* ts = c.schema.find(c.schema.timestamp_field);
    if (!ts || ts->type != FieldType::kTimestamp) {
      r.fail(s["timestamp_field"], "schema.timestamp_field",
             "'" + c.schema.timestamp_field + "' is not a top-level timestamp field");
    }
  }
  if (root["transforms"])
    parse_transforms(r, root["transforms"], c.schema, c.transforms);
  else
    parse_transforms(r, YAML::Node(YAML::NodeType::Sequence), c.schema, c.transforms);
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
    r.check_keys(h, "http", {"listen"});
    c.http.line = h.Mark().line + 1;
    if (h["listen"]) {
      c.http.listen = r.str(h["listen"], "http.listen");
      std::string host;
      int port = 0;
      if (c.http.listen != "off" && !split_listen_address(c.http.listen, host, port))
        r.fail(h["listen"], "http.listen", "expected HOST:PORT, :PORT, PORT or off");
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
  return build(root, file);
}

// "90s", "15m", "2h", "1d" or plain milliseconds.
int64_t batch_duration_ms(const Reader& r, const YAML::Node& node, const std::string& key) {
  std::string s = r.str(node, key);
  int64_t unit = 1;
  std::string digits = s;
  if (!s.empty()) {
    switch (s.back()) {
      case 's':
        unit = 1000;
        break;
      case 'm':
        unit = 60 * 1000;
        break;
      case 'h':
        unit = 3600 * 1000;
        break;
      case 'd':
        unit = 86400 * 1000;
        break;
      default:
        break;
    }
    if (unit != 1) digits.pop_back();
    if (s.size() > 2 && s.compare(s.size() - 2, 2, "ms") == 0) {
      unit = 1;
      digits = s.substr(0, s.size() - 2);
    }
  }
  char* end = nullptr;
  long long v = std::strtoll(digits.c_str(), &end, 10);
  if (digits.empty() || *end != '\0' || v < 0 || v > INT64_MAX / unit / 2) {
    r.fail(node, key, "expected a duration like 90s, 15m, 2h, 1d or milliseconds, got '" + s + "'");
  }
  return v * unit;
}

std::vector<std::string> parse_name_list(const Reader& r, const YAML::Node& node,
                                         const std::string& key) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(r.str(node, key));
    return out;
  }
  if (!node.IsSequence()) r.fail(node, key, "expected a list");
  for (const auto& item : node) out.push_back(r.str(item, key));
  if (out.empty()) r.fail(node, key, "expected at least one name");
  return out;
}

QualityCheckConfig parse_check(const Reader& r, const YAML::Node& node, const std::string& p) {
  r.expect_map(node, p);
  if (!node["type"]) r.fail(node, p + ".type", "missing required key");
  std::string type = r.str(node["type"], p + ".type");
  QualityCheckConfig q;
  q.line = node.Mark().line + 1;
  auto bounds = [&]() {
    if (node["min"]) q.min = r.number(node["min"], p + ".min");
    if (node["max"]) q.max = r.number(node["max"], p + ".max");
    if (!q.min && !q.max) r.fail(node, p, "needs min, max or both");
    if (q.min && q.max && *q.min > *q.max) r.fail(node["max"], p + ".max", "max is below min");
  };
  if (type == "row_count") {
    r.check_keys(node, p, {"type", "min", "max"});
    q.kind = QualityCheckConfig::kRowCount;
    bounds();
  } else if (type == "not_null" || type == "unique") {
    r.check_keys(node, p, {"type", "columns"});
    q.kind = type == "unique" ? QualityCheckConfig::kUnique : QualityCheckConfig::kNotNull;
    if (!node["columns"]) r.fail(node, p + ".columns", "missing required key");
    q.columns = parse_name_list(r, node["columns"], p + ".columns");
  } else if (type == "range") {
    r.check_keys(node, p, {"type", "column", "min", "max"});
    q.kind = QualityCheckConfig::kRange;
    if (!node["column"]) r.fail(node, p + ".column", "missing required key");
    q.columns.push_back(r.str(node["column"], p + ".column"));
    bounds();
  } else if (type == "freshness") {
    r.check_keys(node, p, {"type", "column", "max_age", "relative_to"});
    q.kind = QualityCheckConfig::kFreshness;
    if (!node["column"]) r.fail(node, p + ".column", "missing required key");
    q.columns.push_back(r.str(node["column"], p + ".column"));
    if (!node["max_age"]) r.fail(node, p + ".max_age", "missing required key");
    q.max_age_ms = batch_duration_ms(r, node["max_age"], p + ".max_age");
    if (node["relative_to"]) {
      q.relative_to = r.str(node["relative_to"], p + ".relative_to");
      if (q.relative_to != "now" && q.relative_to != "window_end") {
        r.fail(node["relative_to"], p + ".relative_to", "expected now or window_end");
      }
    }
  } else {
    r.fail(node["type"], p + ".type",
           "unknown check '" + type + "' (expected row_count, not_null, range, unique, freshness)");
  }
  return q;
}

// `batch:` -- a list of jobs; names are unique and depends_on must name
// jobs of the same file without cycles.
std::vector<BatchJobConfig> parse_batch(const Reader& r, const YAML::Node& node) {
  if (!node.IsSequence()) r.fail(node, "batch", "expected a list of jobs");
  static const RE2 kName("[A-Za-z0-9_][A-Za-z0-9_.-]*");
  std::vector<BatchJobConfig> jobs;
  std::vector<YAML::Node> nodes;
  for (const auto& item : node) {
    std::string p = "batch[" + std::to_string(jobs.size()) + "]";
    r.check_keys(item, p,
                 {"name", "sql", "output", "partition_by", "date_column", "key", "warehouse_table",
                  "csv", "checks", "depends_on", "schedule", "timezone", "retries", "backoff"});
    BatchJobConfig j;
    j.line = item.Mark().line + 1;
    if (!item["name"]) r.fail(item, p + ".name", "missing required key");
    j.name = r.str(item["name"], p + ".name");
    if (!RE2::FullMatch(j.name, kName) || j.name == "." || j.name == "..") {
      r.fail(item["name"], p + ".name", "job names use letters, digits, '_', '.', '-'");
    }
    for (const auto& other : jobs) {
      if (other.name == j.name) r.fail(item["name"], p + ".name", "duplicate job '" + j.name + "'");
    }
    p = "batch(" + j.name + ")";
    if (!item["sql"]) r.fail(item, p + ".sql", "missing required key");
    j.sql = r.str(item["sql"], p + ".sql");
    j.output_table = item["output"] ? r.str(item["output"], p + ".output") : j.name;
    if (!RE2::FullMatch(j.output_table, kName) || j.output_table == "." || j.output_table == "..") {
      r.fail(item["output"], p + ".output", "table names use letters, digits, '_', '.', '-'");
    }
    if (item["date_column"]) j.date_column = r.str(item["date_column"], p + ".date_column");
    if (item["partition_by"]) {
      j.partition_by = parse_name_list(r, item["partition_by"], p + ".partition_by");
    } else {
      j.partition_by = {j.date_column};
    }
    if (item["key"]) j.key = parse_name_list(r, item["key"], p + ".key");
    j.warehouse_table = item["warehouse_table"]
                            ? r.str(item["warehouse_table"], p + ".warehouse_table")
                            : j.output_table;
    static const RE2 kSqlName("[A-Za-z_][A-Za-z0-9_]*");
    if (!RE2::FullMatch(j.warehouse_table, kSqlName)) {
      r.fail(item["warehouse_table"] ? item["warehouse_table"] : item, p + ".warehouse_table",
             "'" + j.warehouse_table + "' is not a plain SQL name (letters, digits, '_')");
    }
    if (item["csv"]) j.csv_path = r.str(item["csv"], p + ".csv");
    if (const auto& checks = item["checks"]) {
      if (!checks.IsSequence()) r.fail(checks, p + ".checks", "expected a list");
      for (const auto& c : checks) {
        j.checks.push_back(
            parse_check(r, c, p + ".checks[" + std::to_string(j.checks.size()) + "]"));
      }
    }
    if (item["depends_on"])
      j.depends_on = parse_name_list(r, item["depends_on"], p + ".depends_on");
    parse_job_orchestration(r, item, p, j);
    jobs.push_back(std::move(j));
    nodes.push_back(item);
  }
  // Dependencies: known names, no cycles (depth-first search over names).
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < jobs.size(); ++i) index[jobs[i].name] = i;
  for (size_t i = 0; i < jobs.size(); ++i) {
    for (const auto& d : jobs[i].depends_on) {
      if (!index.count(d)) {
        r.fail(nodes[i]["depends_on"], "batch(" + jobs[i].name + ").depends_on",
               "unknown job '" + d + "'");
      }
    }
  }
  std::vector<int> state(jobs.size(), 0);  // 0 new, 1 on the stack, 2 done
  std::function<void(size_t)> visit = [&](size_t i) {
    state[i] = 1;
    for (const auto& d : jobs[i].depends_on) {
      size_t k = index[d];
      if (state[k] == 1) {
        r.fail(nodes[i]["depends_on"], "batch(" + jobs[i].name + ").depends_on",
               "dependency cycle through '" + d + "'");
      }
      if (state[k] == 0) visit(k);
    }
    state[i] = 2;
  };
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (state[i] == 0) visit(i);
  }
  return jobs;
}

// "UTC", "Z" or a fixed offset "+HH:MM" / "-HH:MM" (named zones are not supported).
void check_timezone(const Reader& r, const YAML::Node& node, const std::string& key,
                    const std::string& tz) {
  static const RE2 kOffset("[+-]([01][0-9]|2[0-3]):?[0-5][0-9]");
  if (tz != "UTC" && tz != "Z" && !RE2::FullMatch(tz, kOffset)) {
    r.fail(node, key, "time zone '" + tz + "': expected UTC or a fixed offset like +02:00");
  }
}

// Five cron fields (minute hour day-of-month month day-of-week) of numbers,
// '*', ranges a-b, lists and /steps; value ranges are checked by the orchestrator.
void check_cron(const Reader& r, const YAML::Node& node, const std::string& key,
                const std::string& cron) {
  static const RE2 kField("(\\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,(\\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*");
  std::stringstream ss(cron);
  std::vector<std::string> fields;
  for (std::string f; ss >> f;) fields.push_back(f);
  if (fields.size() != 5) {
    r.fail(node, key, "expected 5 cron fields (minute hour day month weekday), got '" + cron + "'");
  }
  for (const auto& f : fields) {
    if (!RE2::FullMatch(f, kField))
      r.fail(node, key, "bad cron field '" + f + "' in '" + cron + "'");
  }
}

void parse_job_orchestration(const Reader& r, const YAML::Node& item, const std::string& p,
                             BatchJobConfig& j) {
  if (item["schedule"]) {
    j.schedule = r.str(item["schedule"], p + ".schedule");
    check_cron(r, item["schedule"], p + ".schedule", j.schedule);
  }
  if (item["timezone"]) {
    j.timezone = r.str(item["timezone"], p + ".timezone");
    check_timezone(r, item["timezone"], p + ".timezone", j.timezone);
  }
  if (item["retries"])
    j.retries = static_cast<int>(r.integer(item["retries"], p + ".retries", 0, 100));
  if (item["backoff"]) j.backoff_ms = batch_duration_ms(r, item["backoff"], p + ".backoff");
}

// `orchestrator:` -- see OrchestratorConfig.
OrchestratorConfig parse_orchestrator(const Reader& r, const YAML::Node& node) {
  OrchestratorConfig o;
  o.declared = true;
  if (node.IsNull()) return o;
  r.check_keys(node, "orchestrator",
               {"store", "webhook", "sla", "poll_interval", "retries", "backoff", "max_backoff",
                "jitter", "timezone", "warehouse", "lease"});
  o.line = node.Mark().line + 1;
  if (node["store"]) {
    o.store = r.str(node["store"], "orchestrator.store");  // a path, sqlite:PATH or postgresql://
  }
  if (node["webhook"]) {
    o.webhook_url = r.str(node["webhook"], "orchestrator.webhook");
    if (o.webhook_url.rfind("http://", 0) != 0 && o.webhook_url.rfind("https://", 0) != 0) {
      r.fail(node["webhook"], "orchestrator.webhook", "expected an http:// or https:// URL");
    }
  }
  auto positive = [&](const char* key, int64_t& out) {
    if (!node[key]) return;
    std::string k = std::string("orchestrator.") + key;
    out = batch_duration_ms(r, node[key], k);
    if (out <= 0) r.fail(node[key], k, "must be positive");
  };
  positive("sla", o.sla_ms);
  positive("poll_interval", o.poll_interval_ms);
  positive("backoff", o.backoff_ms);
  positive("max_backoff", o.max_backoff_ms);
  positive("lease", o.lease_ms);
  if (node["retries"])
    o.retries = static_cast<int>(r.integer(node["retries"], "orchestrator.retries", 0, 100));
  if (node["jitter"]) {
    o.jitter = r.number(node["jitter"], "orchestrator.jitter");
    if (o.jitter < 0 || o.jitter > 1)
      r.fail(node["jitter"], "orchestrator.jitter", "expected 0..1");
  }
  if (node["timezone"]) {
    o.timezone = r.str(node["timezone"], "orchestrator.timezone");
    check_timezone(r, node["timezone"], "orchestrator.timezone", o.timezone);
  }
  if (node["warehouse"]) o.warehouse = r.str(node["warehouse"], "orchestrator.warehouse");
  return o;
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
