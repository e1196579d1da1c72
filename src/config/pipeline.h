// Typed pipeline configuration, loaded from YAML by load_pipeline() in
// config/loader.h. Every value here has been checked: components may trust it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/schema.h"

namespace sluice {

// How the bytes of a record are read (`source.format`): JSON objects, or
// text log lines in one of the built-in formats or a custom regex. See
// src/transforms/parse/text/ and README "Text logs".
enum class InputFormat { kJson, kApacheCommon, kApacheCombined, kNginx, kSyslog, kRegex };

// "json", "apache_common", ...: the name used in configs and DLQ lines.
inline const char* input_format_name(InputFormat format) {
  switch (format) {
    case InputFormat::kJson:
      return "json";
    case InputFormat::kApacheCommon:
      return "apache_common";
    case InputFormat::kApacheCombined:
      return "apache_combined";
    case InputFormat::kNginx:
      return "nginx";
    case InputFormat::kSyslog:
      return "syslog";
    case InputFormat::kRegex:
      return "regex";
  }
  return "json";
}

// Options of the text formats (`source.text`).
struct TextFormatConfig {
  std::string log_format;          // nginx: the log_format string (nginx.conf syntax)
  std::string pattern;             // regex: an RE2 pattern with named groups
  std::string time_format;         // regex: how timestamp captures are written ("": ISO-8601/epoch)
  int32_t utc_offset_minutes = 0;  // zone of stamps written without an offset (syslog)
  std::optional<int32_t> year;     // year of stamps written without one ("": from ingest time)
};

struct KafkaSourceConfig {
  std::string brokers;  // bootstrap.servers
  std::vector<std::string> topics;
  std::string group;  // group.id
  // Passed verbatim to librdkafka (security.protocol, sasl.*, ssl.*, ...).
  std::map<std::string, std::string> properties;
  int poll_timeout_ms = 100;
  size_t max_batch_records = 10000;
  // Split each message on newlines into one record per line (several log
  // lines per message). Default: on for text formats, off for JSON.
  bool split_lines = false;
  // Static group membership (KIP-345, librdkafka group.instance.id): a
  // restarted member with the same id gets its partitions back without a
  // rebalance. Empty: `sluice run --writer-id` supplies it; "none": dynamic
  // membership. Unique per live process within the group.
  std::string instance_id;
  // session.timeout.ms: how long the coordinator keeps a silent member's
  // partitions (a crashed static member, or one paused) before reassigning.
  int session_timeout_ms = 10000;
};

struct FileSourceConfig {
  std::string path;     // file, directory, glob, or "-" for stdin
  bool follow = false;  // keep reading appended data until stopped
  int follow_poll_ms = 200;
  size_t max_batch_records = 8192;  // lines per batch handed to the parser
};

// How generated events spread over event time (source.generate.spread,
// `sluice generate --spread`):
//   single       event time follows the event index (plus a few ms of jitter):
//                in order, within one hour for up to 3.6M events
//   live         95% like single (the current hour); 5% at a uniform time in
//                the 24 hours before the current hour (late arrivals)
//   backfill:H   uniform over the H hours from the start time, arriving shuffled
struct TimeSpread {
  enum class Kind { kSingle, kLive, kBackfill };
  Kind kind = Kind::kSingle;
  int64_t hours = 0;  // kBackfill: 1..87600
  bool operator==(const TimeSpread&) const = default;
};

struct GenerateSourceConfig {
  std::string family;      // clickstream | user_events | iot
  int64_t count = 100000;  // 0 = unbounded
  double rate = 0;         // events per second, 0 = as fast as possible
  // Unset: the family's default (2% for iot, whose producers retry; else 0).
  std::optional<double> duplicates_pct;
  double malformed_pct = 0;
  double late_pct = 0;
  uint64_t seed = 1;
  // Unset: the family's default (live for clickstream and user_events, single
  // for iot, which stays in order within a few ms).
  std::optional<TimeSpread> spread;
};

enum class SourceType { kFile, kKafka, kGenerate };

struct SourceConfig {
  SourceType type = SourceType::kFile;
  InputFormat format = InputFormat::kJson;
  TextFormatConfig text;
  FileSourceConfig file;
  KafkaSourceConfig kafka;
  GenerateSourceConfig generate;
};

// Explodes a list-of-struct field into one row per element. An absent or
// empty list keeps one row with NULL element columns. Element member `m`
// becomes column `prefix + m`; `index_column` (if set) numbers the rows of
// one event 0..n-1 (0 for an event without elements), so per-event
// aggregates can take index 0.
struct FlattenConfig {
  std::string field;
  std::string prefix;  // default: "<field>_"
  std::string index_column;
};

// Adds metadata columns to each row.
struct AddFieldsConfig {
  std::string ingest_timestamp_column;  // empty: not added
  std::string source_type;              // value of column `source_type_column`
  std::string source_type_column = "source_type";
};

// Event-time watermark: per source stream, the largest event time seen minus
// `delay`; the pipeline's watermark is the minimum over streams that produced
// rows within `idle_timeout_ms` (processing time), and never goes back.
struct WatermarkConfig {
  int64_t delay_ms = 0;
  int64_t idle_timeout_ms = 60000;
};

// Drops a row whose key was already seen within `horizon_ms` of event time.
// State is evicted once the watermark passes an entry's time + horizon.
struct DedupeConfig {
  std::vector<std::string> keys;  // output column names
  int64_t horizon_ms = 600000;
  int line = 0;
};

enum class LatePolicy { kDrop, kDlq, kSideTable };

struct AggregateConfig {
  enum Fn { kCount, kSum, kAvg, kMin, kMax, kQuantile } fn = kCount;
  std::string field;    // input column (not for count)
  double quantile = 0;  // kQuantile: 0.5, 0.95, 0.99 ...
  std::string as;       // output column name
};

// Tumbling (slide == size) or hopping windows on the event timestamp,
// grouped by `group_by`, emitted once when the watermark passes
// window end + allowed lateness, into their own lake table.
struct WindowConfig {
  std::string table;
  int64_t size_ms = 60000;
  int64_t slide_ms = 60000;
  std::vector<std::string> group_by;
  std::vector<AggregateConfig> aggregates;
  int64_t allowed_lateness_ms = 0;
  LatePolicy late_policy = LatePolicy::kDrop;
  std::string late_table;  // kSideTable: lake table for late rows
  int line = 0;
};

struct TransformsConfig {
  std::optional<FlattenConfig> flatten;
  AddFieldsConfig add_fields;
  WatermarkConfig watermark;
  std::optional<DedupeConfig> dedupe;
  std::optional<WindowConfig> window;
};

enum class Compression { kZstd, kSnappy, kUncompressed };
// Who encodes the lake's Parquet files: sluice's own encoder
// (src/formats/parquet) or DuckDB's COPY (kept as a setting).
enum class LakeEncoder { kNative, kDuckDb };

// A partition key: a calendar part of the timestamp field ("year", "month",
// "day", "hour") or the value of a top-level field.
struct PartitionKey {
  std::string name;   // directory key, e.g. "year" or "device_type"
  std::string field;  // source field; for calendar parts: the timestamp field
  enum Kind { kYear, kMonth, kDay, kHour, kField } kind = kYear;
};

// sink.lake.storage: how to reach an s3:// lake (empty: the AWS_* environment).
struct LakeStorageConfig {
  std::string endpoint;            // AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL otherwise
  std::string region;              // AWS_REGION otherwise
  std::optional<bool> path_style;  // unset: path-style for non-AWS endpoints
  bool verify_tls = true;
  // Batch jobs over an s3:// lake read their input files through a local
  // cache (src/batch/file_cache.h): its directory ("": $XDG_CACHE_HOME/sluice,
  // else $HOME/.cache/sluice, else $TMPDIR/sluice-cache) and its cap in bytes.
  std::string cache_dir;
  int64_t cache_bytes = int64_t{2} << 30;
};

struct LakeSinkConfig {
  std::string path = "./lake";  // a local directory, file:///dir or s3://bucket/prefix
  LakeStorageConfig storage;
  std::string table;
  std::vector<PartitionKey> partition_by;
  Compression compression = Compression::kZstd;
  int64_t rotate_max_rows = 1000000;       // per file
  int64_t rotate_max_bytes = 128LL << 20;  // per file, in-memory estimate
  int64_t commit_interval_ms = 5000;       // commit at least this often
  int64_t row_group_size = 122880;
  // Encoder threads of the writer's pool (0: one per core); also the most files
  // of one partition encoded at once (a second file opens when the first lags).
  int64_t encoders = 0;
  // Open (accepting) files of the table, at most. An open file costs a
  // descriptor and its footer metadata (no encoding buffers), and a partition
  // whose file closed starts another one at its next flush: at least as many
  // as the partitions a commit interval touches keeps one file per partition
  // per commit (72 hourly partitions of a backfill; 16 gave ~7 files each).
  int64_t max_open_files = 512;
  // Bounded memory of the lake writer (in-memory estimates of the rows):
  int64_t max_partition_buffer_bytes = 64LL << 20;  // a partition's buffer becomes a row group
  int64_t max_buffer_bytes = 256LL << 20;  // all partition buffers; the largest flush first
  int64_t max_queued_bytes = 128LL << 20;  // row groups waiting for an encoder; append() waits
  LakeEncoder encoder = LakeEncoder::kNative;
};

struct DlqConfig {
  std::string path;         // file path of the NDJSON dead-letter file
  std::string kafka_topic;  // or a Kafka topic (uses the source's brokers)
};

struct LimitsConfig {
  uint32_t max_record_bytes = 1 << 20;
  uint32_t max_depth = 32;
};

// A data-quality check of a batch job, run on the job's result before
// anything is published or loaded (see src/batch/quality.h).
struct QualityCheckConfig {
  enum Kind { kRowCount, kNotNull, kRange, kUnique, kFreshness } kind = kRowCount;
  std::vector<std::string> columns;  // not_null, unique: several; range, freshness: one
  std::optional<double> min, max;    // row_count (rows), range (values)
  int64_t max_age_ms = 0;            // freshness
  // freshness: "now" (wall clock) or "window_end" (end of the last selected day)
  std::string relative_to = "now";
  int line = 0;  // where it was declared, for messages
};

// A batch job over lake tables (`batch:` in the pipeline file), run by
// `sluice batch JOB`. Its result replaces, per processed day, that day's
// rows in the output lake table, the warehouse table and the CSV.
struct BatchJobConfig {
  std::string name;
  // DuckDB SQL. Each lake table it names (bare, or as {{table}}) is a view
  // over the table's committed files of the selected days; {{pipeline_dir}}
  // is the directory of the pipeline file.
  std::string sql;
  std::string output_table;               // lake table (default: the job name)
  std::vector<std::string> partition_by;  // output layout (default: [day] = date_column)
  std::string date_column = "day";        // DATE column: the unit that a re-run replaces
  std::vector<std::string> key;           // unique key of a row (checked; warehouse key)
  std::string warehouse_table;            // default: output_table
  std::string csv_path;  // CSV export of the whole output table ("": none); relative: to the lake
  std::vector<QualityCheckConfig> checks;
  std::vector<std::string> depends_on;  // jobs run first, for the same days
  // Orchestration (src/orchestrator/). "" schedule: the job runs when a lake
  // table it reads gets new commits; else on this 5-field cron schedule.
  std::string schedule;
  std::string timezone;               // of the schedule: "UTC", "+02:00" ("": orchestrator's)
  std::optional<int> retries;         // retries after the first attempt (default: orchestrator's)
  std::optional<int64_t> backoff_ms;  // first retry delay (default: orchestrator's)
  int line = 0;
};

// `orchestrator:` -- runs the batch jobs by themselves (src/orchestrator/):
// file-arrival and cron triggers, retries, checkpoints, alerts.
struct OrchestratorConfig {
  bool declared = false;  // the key was present
  // "": LAKE/_sluice_orchestrator.db; a file path or sqlite:PATH (SQLite, WAL)
  std::string store;
  std::string webhook_url;          // JSON alerts ("": none)
  int64_t sla_ms = 15 * 60000;      // no new data / job not done within this: alert
  int64_t poll_interval_ms = 5000;  // commit-log polling (also woken by local commits)
  int retries = 4;                  // retries after the first attempt (5 attempts)
  int64_t backoff_ms = 1000;        // first retry delay; doubles per retry
  int64_t max_backoff_ms = 300000;
  double jitter = 0.2;           // each delay is stretched by up to this fraction, at random
  std::string timezone = "UTC";  // default time zone of schedules
  std::string warehouse;         // as `sluice batch --warehouse` ("": LAKE/_warehouse.duckdb)
  int64_t lease_ms = 600000;     // a run's lease; another orchestrator may take over after it
  int line = 0;
};

// `http:` -- the observability server (src/observability/): /metrics,
// /health/*, /api/* and the dashboard.
struct HttpConfig {
  std::string listen;  // "HOST:PORT", ":PORT", "PORT" or "off"; "": the command's default
  // Bearer token of the state-changing endpoints (POST /api/jobs/NAME/trigger);
  // "": the environment's SLUICE_HTTP_TOKEN, and without either they are off.
  std::string token;
  int line = 0;
};

// Splits an HTTP listen address: "HOST:PORT", ":PORT" or "PORT" (host
// 127.0.0.1), port 0..65535 (0: any free port). False when malformed.
inline bool split_listen_address(const std::string& text, std::string& host, int& port) {
  size_t colon = text.rfind(':');
  std::string p = colon == std::string::npos ? text : text.substr(colon + 1);
  host = colon == std::string::npos || colon == 0 ? "127.0.0.1" : text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos)
    return false;
  port = std::stoi(p);
  return port <= 65535 && !host.empty();
}

struct PipelineConfig {
  std::string file;  // where it was loaded from
  std::string name;
  SourceConfig source;
  Schema schema;
  TransformsConfig transforms;
  LakeSinkConfig lake;
  DlqConfig dlq;
  LimitsConfig limits;
  std::vector<BatchJobConfig> batch_jobs;
  OrchestratorConfig orchestrator;
  HttpConfig http;
};

}  // namespace sluice
