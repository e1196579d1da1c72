// Benchmark driver over DuckDB's C API: the peer pipeline (read_ndjson +
// UNNEST + partitioned COPY), the encode floor (COPY of rows already in
// memory), and a small SQL runner used by bench/run.sh for checks and latency.
// Single-threaded driver; DuckDB itself uses all cores.
#include <duckdb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct DatabaseDeleter {
  void operator()(duckdb_database* db) const {
    duckdb_close(db);
    delete db;
  }
};
struct ConnectionDeleter {
  void operator()(duckdb_connection* con) const {
    duckdb_disconnect(con);
    delete con;
  }
};

// Owns a duckdb_result.
class Result {
 public:
  Result() : result_{} {}
  ~Result() { duckdb_destroy_result(&result_); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  duckdb_result* get() { return &result_; }
  idx_t rows() { return duckdb_row_count(&result_); }
  idx_t columns() { return duckdb_column_count(&result_); }
  std::string text(idx_t col, idx_t row) {
    if (duckdb_value_is_null(&result_, col, row)) return "NULL";
    char* s = duckdb_value_varchar(&result_, col, row);
    std::string out = s ? s : "";
    duckdb_free(s);
    return out;
  }
  int64_t int64(idx_t col, idx_t row) { return duckdb_value_int64(&result_, col, row); }

 private:
  duckdb_result result_;
};

class Db {
 public:
  Db() : db_(new duckdb_database{}), con_(new duckdb_connection{}) {
    if (duckdb_open(nullptr, db_.get()) != DuckDBSuccess)
      throw std::runtime_error("duckdb_open failed");
    if (duckdb_connect(*db_, con_.get()) != DuckDBSuccess)
      throw std::runtime_error("duckdb_connect failed");
  }
  void query(const std::string& sql, Result& out) {
    if (duckdb_query(*con_, sql.c_str(), out.get()) != DuckDBSuccess) {
      throw std::runtime_error(std::string("duckdb: ") + duckdb_result_error(out.get()) +
                               "\nSQL: " + sql);
    }
  }
  void execute(const std::string& sql) {
    Result r;
    query(sql, r);
  }

 private:
  std::unique_ptr<duckdb_database, DatabaseDeleter> db_;
  std::unique_ptr<duckdb_connection, ConnectionDeleter> con_;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// Partition columns as the lake names them: year=2025/month=01/day=01/hour=00,
// or (keys "url_day", sink.lake.partition_by [page_url, day]) page_url and day.
std::string g_keys = "hourly";

std::string partition_cols(const std::string& ts = "\"timestamp\"") {
  const std::string t = ts + "::TIMESTAMP";
  if (g_keys == "url_day") return "page_url AS url_key, strftime(" + t + ", '%d') AS day";
  return "strftime(" + t + ", '%Y') AS year, strftime(" + t + ", '%m') AS month, strftime(" + t +
         ", '%d') AS day, strftime(" + t + ", '%H') AS hour";
}

std::string copy_options() {
  if (g_keys == "url_day") return "(FORMAT PARQUET, PARTITION_BY (url_key, day), COMPRESSION ZSTD)";
  return "(FORMAT PARQUET, PARTITION_BY (year, month, day, hour), COMPRESSION ZSTD)";
}

// The peer: DuckDB's own reader, validation as WHERE clauses, flattening with
// UNNEST (an event without actions keeps one row of NULLs), and COPY.
std::string peer_sql(const std::string& family, const std::string& input, const std::string& out) {
  if (family == "clickstream") {
    return "COPY (SELECT session_id, page_url, \"timestamp\", coalesce(TTI, 0.0) AS TTI, TTAR, "
           "a.action AS action_action, a.target AS action_target, a.\"time\" AS action_time, "
           "CAST(idx - 1 AS INTEGER) AS action_index, now()::TIMESTAMP AS ingest_timestamp, "
           "'clickstream' AS source_type, " +
           partition_cols() +
           " FROM (SELECT *, unnest(acts) AS a, generate_subscripts(acts, 1) AS idx FROM "
           "(SELECT *, CASE WHEN len(user_actions) > 0 THEN user_actions ELSE [NULL] END AS acts "
           "FROM read_ndjson(" +
           quote(input) +
           ", columns = {session_id: 'VARCHAR', page_url: 'VARCHAR', \"timestamp\": 'TIMESTAMP', "
           "TTI: 'DOUBLE', TTAR: 'DOUBLE', user_actions: 'STRUCT(action VARCHAR, target VARCHAR, "
           "\"time\" BIGINT)[]'}) "
           "WHERE session_id IS NOT NULL AND length(session_id) <= 128 AND page_url IS NOT NULL "
           "AND length(page_url) <= 2048 AND regexp_full_match(page_url, '/\\S*|https?://\\S+') "
           "AND \"timestamp\" IS NOT NULL AND (TTI IS NULL OR TTI >= 0) AND (TTAR IS NULL OR TTAR "
           ">= 0)))"
           ") TO " +
           quote(out) + " " + copy_options();
  }
  if (family == "iot") {
    // Validation, dedupe on event_id (first occurrence kept; DuckDB has no
    // streaming horizon, so this is a global dedupe), the rows to the table,
    // and 1-minute tumbling windows per device_type to a second table.
    return "CREATE OR REPLACE TEMP TABLE iot_rows AS SELECT event_id, device_id, device_type, "
           "\"timestamp\", "
           "event_duration, \"value\", status, metadata.location AS metadata_location, "
           "metadata.firmware AS metadata_firmware, now()::TIMESTAMP AS ingest_timestamp, 'iot' AS "
           "source_type, " +
           partition_cols() + " FROM read_ndjson(" + quote(input) +
           ", columns = {event_id: 'VARCHAR', device_id: 'VARCHAR', device_type: 'VARCHAR', "
           "\"timestamp\": 'TIMESTAMP', event_duration: 'DOUBLE', \"value\": 'DOUBLE', status: "
           "'VARCHAR', "
           "metadata: 'STRUCT(location VARCHAR, firmware VARCHAR)'}) "
           "WHERE regexp_full_match(event_id, "
           "'[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}') "
           "AND regexp_full_match(device_id, 'device-[0-9]{3}') "
           "AND device_type IN ('temperature', 'pressure', 'humidity', 'motion', 'light') "
           "AND \"timestamp\" IS NOT NULL AND event_duration BETWEEN 0 AND 1000 AND \"value\" IS "
           "NOT NULL "
           "AND status IN ('normal', 'warning', 'critical') "
           "AND (metadata.location IS NULL OR regexp_full_match(metadata.location, 'zone-[A-E]')) "
           "AND (metadata.firmware IS NULL OR regexp_full_match(metadata.firmware, "
           "'v[0-9]+\\.[0-9]+\\.[0-9]+')) "
           "QUALIFY row_number() OVER (PARTITION BY event_id) = 1; "
           "COPY (SELECT time_bucket(INTERVAL 1 MINUTE, \"timestamp\") AS window_start, "
           "device_type, "
           "count(*) AS events, avg(event_duration) AS avg_duration, min(event_duration) AS "
           "min_duration, "
           "max(event_duration) AS max_duration, avg(\"value\") AS avg_value, "
           "quantile_cont(event_duration, 0.95) AS p95_duration, "
           "strftime(window_start, '%Y') AS year, strftime(window_start, '%m') AS month, "
           "strftime(window_start, '%d') AS day, strftime(window_start, '%H') AS hour "
           "FROM iot_rows GROUP BY ALL) TO " +
           quote(out + "_windows") + " " + copy_options() + "; COPY iot_rows TO " + quote(out) +
           " " + copy_options();
  }
  throw std::runtime_error("unknown family " + family);
}

int run_sql(Db& db, const std::string& sql) {
  Result r;
  db.query(sql, r);
  for (idx_t row = 0; row < r.rows(); ++row) {
    for (idx_t col = 0; col < r.columns(); ++col) {
      std::printf("%s%s", col ? "\t" : "", r.text(col, row).c_str());
    }
    std::printf("\n");
  }
  return 0;
}

int run_peer(Db& db, const std::string& family, const std::string& input, const std::string& out,
             int runs) {
  std::vector<double> times;
  int64_t rows = 0;
  for (int i = 0; i < runs; ++i) {
    fs::remove_all(out);
    fs::remove_all(out + "_windows");
    auto t0 = std::chrono::steady_clock::now();
    Result r;
    db.query(peer_sql(family, input, out), r);
    times.push_back(seconds_since(t0));
    rows = r.int64(0, 0);
  }
  fs::remove_all(out + "_windows");
  std::printf("peer_seconds=%.4f rows=%lld\n", median(times), static_cast<long long>(rows));
  return 0;
}

// CPU seconds of this process (all threads): steadier than wall time on a
// shared machine.
double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Times COPY of rows that are already in a DuckDB table: (1) one COPY with
// PARTITION_BY, (2) one COPY into a single file, (3) one COPY per partition from
// per-partition tables (rows partitioned before the encoder sees them).
int run_floor(Db& db, const std::string& table_dir, const std::string& out, int runs) {
  // sluice's rows with the partition columns computed again from the data.
  db.execute("CREATE TABLE t AS SELECT *, " + partition_cols() + " FROM read_parquet(" +
             quote(table_dir + "/**/*.parquet") + ", hive_partitioning = false)");
  std::vector<std::vector<std::string>> keys;
  if (g_keys == "hourly") {
    Result parts;
    db.query("SELECT DISTINCT year, month, day, hour FROM t ORDER BY ALL", parts);
    for (idx_t i = 0; i < parts.rows(); ++i) {
      keys.push_back({parts.text(0, i), parts.text(1, i), parts.text(2, i), parts.text(3, i)});
      db.execute("CREATE TABLE p" + std::to_string(i) +
                 " AS SELECT * EXCLUDE (year, month, day, hour) FROM t " +
                 "WHERE year = " + quote(keys.back()[0]) + " AND month = " + quote(keys.back()[1]) +
                 " AND day = " + quote(keys.back()[2]) + " AND hour = " + quote(keys.back()[3]));
    }
  }
  Result count;
  db.query("SELECT count(*) FROM t", count);
  const long long rows = count.int64(0, 0);
  Result distinct;
  db.query(g_keys == "url_day"
               ? "SELECT count(*) FROM (SELECT DISTINCT url_key, day FROM t)"
               : "SELECT count(*) FROM (SELECT DISTINCT year, month, day, hour FROM t)",
           distinct);
  const long long partitions = distinct.int64(0, 0);

  std::vector<double> partitioned, partitioned_cpu, single, prepartitioned;
  unsigned long long partitioned_bytes = 0, partitioned_files = 0;
  for (int i = 0; i < runs; ++i) {
    fs::remove_all(out);
    const double c0 = cpu_seconds();
    auto t0 = std::chrono::steady_clock::now();
    db.execute("COPY t TO " + quote(out) + " " + copy_options());
    partitioned.push_back(seconds_since(t0));
    partitioned_cpu.push_back(cpu_seconds() - c0);
    partitioned_bytes = partitioned_files = 0;
    for (const auto& e : fs::recursive_directory_iterator(out)) {
      if (e.is_regular_file()) {
        partitioned_bytes += e.file_size();
        partitioned_files++;
      }
    }

    fs::remove_all(out);
    fs::create_directories(out);
    t0 = std::chrono::steady_clock::now();
    db.execute("COPY (SELECT * EXCLUDE (" +
               std::string(g_keys == "url_day" ? "url_key, day" : "year, month, day, hour") +
               ") FROM t) TO " + quote(out + "/all.parquet") +
               " (FORMAT PARQUET, COMPRESSION ZSTD)");
    single.push_back(seconds_since(t0));

    fs::remove_all(out);
    t0 = std::chrono::steady_clock::now();
    for (size_t p = 0; p < keys.size(); ++p) {
      std::string dir = out + "/year=" + keys[p][0] + "/month=" + keys[p][1] +
                        "/day=" + keys[p][2] + "/hour=" + keys[p][3];
      fs::create_directories(dir);
      db.execute("COPY p" + std::to_string(p) + " TO " + quote(dir + "/data_0.parquet") +
                 " (FORMAT PARQUET, COMPRESSION ZSTD)");
    }
    prepartitioned.push_back(seconds_since(t0));
  }
  fs::remove_all(out);
  std::printf(
      "floor_partitioned_seconds=%.4f floor_partitioned_cpu_seconds=%.4f "
      "floor_partitioned_bytes=%llu floor_partitioned_files=%llu floor_single_file_seconds=%.4f "
      "floor_prepartitioned_seconds=%.4f "
      "rows=%lld partitions=%lld\n",
      median(partitioned), median(partitioned_cpu), partitioned_bytes, partitioned_files,
      median(single), median(prepartitioned), rows, partitions);
  return 0;
}

int usage() {
  std::fprintf(
      stderr,
      "usage: duck_bench sql SQL\n"
      "       duck_bench peer clickstream|iot INPUT.ndjson OUTDIR [RUNS] [hourly|url_day]\n"
      "       duck_bench floor LAKE/TABLE OUTDIR [RUNS] [hourly|url_day]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string mode = argv[1];
  try {
    Db db;
    if (mode == "sql") return run_sql(db, argv[2]);
    if ((mode == "peer" && argc > 6) || (mode == "floor" && argc > 5)) g_keys = argv[argc - 1];
    if (mode == "peer" && argc >= 5) {
      return run_peer(db, argv[2], argv[3], argv[4], argc > 5 ? std::atoi(argv[5]) : 1);
    }
    if (mode == "floor" && argc >= 4)
      return run_floor(db, argv[2], argv[3], argc > 4 ? std::atoi(argv[4]) : 1);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "duck_bench: %s\n", e.what());
    return 1;
  }
  return usage();
}
