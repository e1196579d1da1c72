// The peer of the text bench: DuckDB doing sluice's access-log split on the
// same file, through its C API. read_csv takes each line as one VARCHAR
// column, regexp_extract splits the combined format (client, ident, user,
// time, method, path, query, protocol, status, bytes, referer, user agent),
// the time becomes a UTC timestamp, lines that do not match (or are not
// UTF-8: read_csv's ignore_errors) are dropped,
// and COPY writes zstd Parquet partitioned by year/month/day/hour of the
// event time, as examples/access_logs.yaml does. DuckDB uses every core.
//
//   text_peer INPUT.log OUTDIR [RUNS]
// Prints the median wall time and the row count.
#include <duckdb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

class Db {
 public:
  Db() {
    if (duckdb_open(nullptr, &db_) != DuckDBSuccess) throw std::runtime_error("duckdb_open failed");
    if (duckdb_connect(db_, &con_) != DuckDBSuccess)
      throw std::runtime_error("duckdb_connect failed");
  }
  ~Db() {
    duckdb_disconnect(&con_);
    duckdb_close(&db_);
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  // Runs `sql`; returns the first cell as an integer (0 without one).
  int64_t execute(const std::string& sql) {
    duckdb_result r;
    if (duckdb_query(con_, sql.c_str(), &r) != DuckDBSuccess) {
      std::string e = duckdb_result_error(&r);
      duckdb_destroy_result(&r);
      throw std::runtime_error("duckdb: " + e + "\nin: " + sql);
    }
    int64_t v =
        duckdb_row_count(&r) > 0 && duckdb_column_count(&r) > 0 ? duckdb_value_int64(&r, 0, 0) : 0;
    duckdb_destroy_result(&r);
    return v;
  }

 private:
  duckdb_database db_ = nullptr;
  duckdb_connection con_ = nullptr;
};

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// The combined format, one RE2 pattern; quoted fields allow \" escapes.
const char* kPattern =
    R"re(^(\S+) (\S+) (\S+) \[([^\]]+)\] "(\S+) ([^ ?"]*)\??([^ "]*) ([^"]*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")re";

std::string split_sql(const std::string& input, const std::string& out) {
  return "COPY (SELECT m.client, nullif(m.usr, '-') AS \"user\", "
         "strptime(m.ts, '%d/%b/%Y:%H:%M:%S %z') AS \"timestamp\", m.method, m.path, "
         "nullif(m.query, '') AS query, m.protocol, CAST(m.status AS INTEGER) AS status, "
         "CAST(nullif(m.bytes, '-') AS BIGINT) AS bytes, nullif(m.referer, '-') AS referer, "
         "nullif(m.agent, '-') AS user_agent, year(\"timestamp\") AS year, "
         "month(\"timestamp\") AS month, day(\"timestamp\") AS day, hour(\"timestamp\") AS hour "
         "FROM (SELECT regexp_extract(line, " +
         quote(kPattern) +
         ", ['client', 'ident', 'usr', 'ts', 'method', 'path', 'query', 'protocol', 'status', "
         "'bytes', 'referer', 'agent']) AS m FROM read_csv(" +
         quote(input) +
         ", columns = {'line': 'VARCHAR'}, header = false, delim = '\\t', quote = '', "
         "escape = '', auto_detect = false, strict_mode = false, null_padding = true, "
         "ignore_errors = true)) "
         "WHERE m.client <> '') TO " +
         quote(out) +
         " (FORMAT PARQUET, COMPRESSION ZSTD, PARTITION_BY (year, month, day, hour), "
         "OVERWRITE_OR_IGNORE)";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: text_peer INPUT.log OUTDIR [RUNS]\n");
    return 2;
  }
  const std::string input = argv[1], out = argv[2];
  const int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  try {
    std::vector<double> times;
    int64_t rows = 0;
    for (int r = 0; r < runs; ++r) {
      fs::remove_all(out);
      Db db;
      db.execute("SET TimeZone = 'UTC'");
      auto t0 = std::chrono::steady_clock::now();
      rows = db.execute(split_sql(input, out));
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    std::printf("peer_seconds=%.4f rows=%lld\n", times[times.size() / 2],
                static_cast<long long>(rows));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "text_peer: %s\n", e.what());
    return 1;
  }
  return 0;
}
