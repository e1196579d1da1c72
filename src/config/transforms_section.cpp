// `transforms:` -- flatten, add_fields, watermark, dedupe, window.
#include "config/reader.h"

#include <set>

#include "core/time.h"

namespace sluice::config {

// "10m", "30s", "250ms", "1h", "2d" or a plain number of milliseconds.
int64_t parse_duration_ms(const Reader& r, const YAML::Node& node, const std::string& key) {
  std::string v = r.str(node, key);
  if (auto ms = sluice::parse_duration_ms(v)) return *ms;
  size_t i = 0;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  if (i == 0 || i > 15)
    r.fail(node, key, "expected a duration like 10m, 30s, 250ms, got '" + v + "'");
  r.fail(node, key, "unknown duration unit '" + v.substr(i) + "' (ms, s, m, h, d)");
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

}  // namespace sluice::config
