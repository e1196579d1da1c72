// `schema:` -- typed fields with constraints and defaults (core/schema.h).
#include "config/reader.h"

#include <re2/re2.h>

#include <set>

namespace sluice::config {

namespace {

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

}  // namespace

void parse_schema(const Reader& r, const YAML::Node& s, Schema& schema) {
  r.check_keys(s, "schema", {"timestamp_field", "fields"});
  if (!s["fields"]) r.fail(s, "schema.fields", "missing required key");
  schema.fields = parse_fields(r, s["fields"], "schema.fields", 0);
  if (s["timestamp_field"]) {
    schema.timestamp_field = r.str(s["timestamp_field"], "schema.timestamp_field");
    const Field* ts = schema.find(schema.timestamp_field);
    if (!ts || ts->type != FieldType::kTimestamp) {
      r.fail(s["timestamp_field"], "schema.timestamp_field",
             "'" + schema.timestamp_field + "' is not a top-level timestamp field");
    }
  }
}

}  // namespace sluice::config
