// `source:` -- where records come from: kafka, file or generate.
#include "config/reader.h"

#include <re2/re2.h>

namespace sluice::config {

namespace {

// "UTC", "Z", "+hh:mm", "-hh:mm", "+hhmm": minutes east of UTC.
int32_t utc_offset_minutes(const Reader& r, const YAML::Node& node, const std::string& key) {
  const std::string tz = r.str(node, key);
  if (tz == "UTC" || tz == "Z") return 0;
  static const RE2 kOffset("([+-])([01][0-9]|2[0-3]):?([0-5][0-9])");
  std::string sign, hours, minutes;
  if (!RE2::FullMatch(tz, kOffset, &sign, &hours, &minutes)) {
    r.fail(node, key, "time zone '" + tz + "': expected UTC or a fixed offset like +02:00");
  }
  const int32_t m = std::stoi(hours) * 60 + std::stoi(minutes);
  return sign == "-" ? -m : m;
}

// `format` and `text`: how records are read, whatever the source.
void parse_format(const Reader& r, const YAML::Node& node, SourceConfig& s) {
  if (const auto& f = node["format"]) {
    const std::string name = r.str(f, "source.format");
    bool known = false;
    for (InputFormat format :
         {InputFormat::kJson, InputFormat::kApacheCommon, InputFormat::kApacheCombined,
          InputFormat::kNginx, InputFormat::kSyslog, InputFormat::kRegex}) {
      if (name == input_format_name(format)) {
        s.format = format;
        known = true;
      }
    }
    if (!known) {
      r.fail(f, "source.format",
             "unknown format '" + name +
                 "' (json, apache_common, apache_combined, nginx, syslog, regex)");
    }
  }
  // Text formats split Kafka messages into lines unless told otherwise.
  s.kafka.split_lines = s.format != InputFormat::kJson;
  TextFormatConfig& t = s.text;
  if (const auto& text = node["text"]) {
    if (s.format == InputFormat::kJson) {
      r.fail(text, "source.text", "text options need a text source.format");
    }
    r.check_keys(text, "source.text", {"log_format", "pattern", "time_format", "timezone", "year"});
    if (text["log_format"]) t.log_format = r.str(text["log_format"], "source.text.log_format");
    if (text["pattern"]) t.pattern = r.str(text["pattern"], "source.text.pattern");
    if (text["time_format"]) t.time_format = r.str(text["time_format"], "source.text.time_format");
    if (text["timezone"])
      t.utc_offset_minutes = utc_offset_minutes(r, text["timezone"], "source.text.timezone");
    if (text["year"])
      t.year = static_cast<int32_t>(r.integer(text["year"], "source.text.year", 1, 9999));
    if (text["log_format"] && s.format != InputFormat::kNginx) {
      r.fail(text["log_format"], "source.text.log_format", "only format nginx takes a log_format");
    }
    if (text["pattern"] && s.format != InputFormat::kRegex) {
      r.fail(text["pattern"], "source.text.pattern", "only format regex takes a pattern");
    }
    if (!t.pattern.empty()) {
      RE2 compiled(t.pattern, RE2::Quiet);
      if (!compiled.ok()) {
        r.fail(text["pattern"], "source.text.pattern", "invalid regex: " + compiled.error());
      }
      if (compiled.NamedCapturingGroups().empty()) {
        r.fail(text["pattern"], "source.text.pattern",
               "the pattern needs named groups, e.g. (?P<status>\\d+)");
      }
    }
  }
  if (s.format == InputFormat::kNginx && t.log_format.empty()) {
    r.fail(node, "source.text.log_format", "format nginx needs a log_format");
  }
  if (s.format == InputFormat::kRegex && t.pattern.empty()) {
    r.fail(node, "source.text.pattern", "format regex needs a pattern");
  }
}

}  // namespace

void parse_source(const Reader& r, const YAML::Node& node, SourceConfig& s) {
  r.check_keys(node, "source", {"type", "format", "text", "file", "kafka", "generate"});
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

  parse_format(r, node, s);

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
                  "max_batch_records", "split_lines", "instance_id", "session_timeout_ms"});
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
        if (!kv.first.IsScalar())
          r.fail(kv.first, "source.kafka.properties", "keys must be plain names");
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
    if (k["split_lines"])
      s.kafka.split_lines = r.boolean(k["split_lines"], "source.kafka.split_lines");
    if (k["instance_id"]) s.kafka.instance_id = r.str(k["instance_id"], "source.kafka.instance_id");
    if (k["session_timeout_ms"])
      s.kafka.session_timeout_ms = static_cast<int>(
          r.integer(k["session_timeout_ms"], "source.kafka.session_timeout_ms", 1000, 3600000));
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
      if (fam != "clickstream" && fam != "user_events" && fam != "iot" && fam != "access-log") {
        r.fail(node["generate"] ? node["generate"] : node, "source.generate.family",
               "expected clickstream, user_events, iot or access-log");
      }
      break;
    }
  }
}

}  // namespace sluice::config
