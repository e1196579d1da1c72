// `batch:` and `orchestrator:` -- SQL jobs over the lake, their quality checks
// and schedules, and the orchestrator that runs them.
#include "config/reader.h"

#include <re2/re2.h>

#include <functional>
#include <map>
#include <sstream>

namespace sluice::config {

namespace {

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

}  // namespace

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

}  // namespace sluice::config
