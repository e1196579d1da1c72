// `sink:` -- the lake table and the dead-letter queue.
#include "config/reader.h"

#include <re2/re2.h>

#include "storage/location.h"

namespace sluice::config {

void parse_sink(const Reader& r, const YAML::Node& node, const Schema& schema, PipelineConfig& c) {
  r.check_keys(node, "sink", {"lake", "dlq"});
  if (!node["lake"]) r.fail(node, "sink.lake", "missing required key");
  const YAML::Node& l = node["lake"];
  r.check_keys(l, "sink.lake",
               {"path", "table", "partition_by", "compression", "rotate", "commit_interval_ms",
                "row_group_size", "encoders", "max_open_files", "max_partition_buffer_bytes",
                "max_buffer_bytes", "max_queued_bytes", "encoder", "storage"});
  LakeSinkConfig& lake = c.lake;
  if (l["path"]) lake.path = r.str(l["path"], "sink.lake.path");
  storage::Location location;
  try {
    location = storage::parse_location(lake.path);
  } catch (const storage::StorageError& e) {
    r.fail(l["path"] ? l["path"] : l, "sink.lake.path", e.what());
  }
  if (location.kind == storage::Location::Kind::kLocal) lake.path = location.path;  // file:///x
  if (const auto& st = l["storage"]) {
    r.check_keys(st, "sink.lake.storage",
                 {"endpoint", "region", "path_style", "verify_tls", "cache_dir", "cache_bytes"});
    if (st["endpoint"]) {
      lake.storage.endpoint = r.str(st["endpoint"], "sink.lake.storage.endpoint");
      if (lake.storage.endpoint.rfind("http://", 0) != 0 &&
          lake.storage.endpoint.rfind("https://", 0) != 0) {
        r.fail(st["endpoint"], "sink.lake.storage.endpoint",
               "expected http://host[:port] or https://host[:port]");
      }
    }
    if (st["region"]) lake.storage.region = r.str(st["region"], "sink.lake.storage.region");
    if (st["path_style"])
      lake.storage.path_style = r.boolean(st["path_style"], "sink.lake.storage.path_style");
    if (st["verify_tls"])
      lake.storage.verify_tls = r.boolean(st["verify_tls"], "sink.lake.storage.verify_tls");
    if (st["cache_dir"])
      lake.storage.cache_dir = r.str(st["cache_dir"], "sink.lake.storage.cache_dir");
    if (st["cache_bytes"]) {
      lake.storage.cache_bytes =
          r.integer(st["cache_bytes"], "sink.lake.storage.cache_bytes", 1, INT64_MAX);
    }
  }
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
  if (l["encoders"]) lake.encoders = r.integer(l["encoders"], "sink.lake.encoders", 0, 64);
  if (l["max_open_files"])
    lake.max_open_files = r.integer(l["max_open_files"], "sink.lake.max_open_files", 1, 4096);
  if (l["max_partition_buffer_bytes"])
    lake.max_partition_buffer_bytes = r.integer(
        l["max_partition_buffer_bytes"], "sink.lake.max_partition_buffer_bytes", 1024, INT64_MAX);
  if (l["max_buffer_bytes"])
    lake.max_buffer_bytes =
        r.integer(l["max_buffer_bytes"], "sink.lake.max_buffer_bytes", 1024, INT64_MAX);
  if (l["max_queued_bytes"])
    lake.max_queued_bytes =
        r.integer(l["max_queued_bytes"], "sink.lake.max_queued_bytes", 1024, INT64_MAX);
  if (l["encoder"]) {
    std::string e = r.str(l["encoder"], "sink.lake.encoder");
    if (e == "native")
      lake.encoder = LakeEncoder::kNative;
    else if (e == "duckdb")
      lake.encoder = LakeEncoder::kDuckDb;
    else
      r.fail(l["encoder"], "sink.lake.encoder", "expected native or duckdb");
  }
  if (const auto& d = node["dlq"]) {
    r.check_keys(d, "sink.dlq", {"path", "kafka_topic"});
    if (d["path"]) c.dlq.path = r.str(d["path"], "sink.dlq.path");
    if (d["kafka_topic"]) c.dlq.kafka_topic = r.str(d["kafka_topic"], "sink.dlq.kafka_topic");
  }
  if (c.dlq.path.empty() && c.dlq.kafka_topic.empty()) {
    // The DLQ is a local file: beside a local lake, in ./_dlq for an s3:// one.
    c.dlq.path = (location.kind == storage::Location::Kind::kLocal ? location.path : ".") +
                 "/_dlq/" + lake.table + ".ndjson";
  }
}

}  // namespace sluice::config
