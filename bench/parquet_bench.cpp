// Parquet encoder benchmark: N clickstream-shaped rows built in memory (as the
// lake writer would hold them after flattening), written (a) by sluice's native
// encoder (src/formats/parquet, one thread, zstd) and (b) by DuckDB's COPY from
// an in-memory table holding the same rows (zstd, same row-group size), with 1
// and with 2 DuckDB threads. Prints median seconds, rows/s, file sizes and the
// ratios. Single-threaded driver; never part of ctest.
//
//   parquet_bench [ROWS] [RUNS] [WORKDIR] [ZSTD_LEVEL] [DICTIONARY_MIN_REPEATS]
#include <duckdb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/batch.h"
#include "formats/parquet/parquet_writer.h"

namespace {

// Dictionary repeat threshold of the sluice writer (argument 5).
size_t g_min_repeats = 4;

namespace fs = std::filesystem;
using sluice::Column;
using sluice::ColumnType;
using sluice::OutputSchema;
using sluice::RecordBatch;

constexpr uint32_t kBatchRows = 4096;       // rows per RecordBatch, as the pipeline hands them over
constexpr uint32_t kRowGroupRows = 122880;  // DuckDB's default ROW_GROUP_SIZE, used by both writers

const OutputSchema kSchema = {
    {"session_id", ColumnType::kString},    {"page_url", ColumnType::kString},
    {"timestamp", ColumnType::kTimestamp},  {"TTI", ColumnType::kInt32},
    {"TTAR", ColumnType::kInt32},           {"action_action", ColumnType::kString},
    {"action_target", ColumnType::kString}, {"action_time", ColumnType::kTimestamp},
    {"action_index", ColumnType::kInt32},   {"ingest_timestamp", ColumnType::kTimestamp},
    {"source_type", ColumnType::kString},
};

// Events of 1..7 rows (one per user action, or one row of NULL actions), like
// the flattened clickstream family.
std::vector<RecordBatch> build_rows(size_t rows) {
  std::mt19937_64 rng(42);
  const char* actions[] = {"click", "scroll", "hover", "add_to_cart", "view_details", "purchase"};
  const char* targets[] = {"#buy",   "#details", "#reviews", "#image",
                           "#price", "#share",   "#cart",    "#menu"};
  std::vector<std::string> urls;
  for (int i = 0; i < 500; ++i)
    urls.push_back("/product/item-" + std::to_string(i * 7919 % 100003));
  std::vector<RecordBatch> batches;
  int64_t ts = 1735689600000000LL;
  const int64_t ingest = 1735693200000000LL;
  size_t made = 0;
  char session[40];
  while (made < rows) {
    if (batches.empty() || batches.back().rows() >= kBatchRows) {
      batches.emplace_back(kSchema);
      for (Column& c : batches.back().columns) c.reserve(kBatchRows + 8);
    }
    RecordBatch& b = batches.back();
    const uint64_t id = rng();
    std::snprintf(session, sizeof session, "%08x-%04x-4%03x-a%03x-%012llx",
                  static_cast<unsigned>(id >> 32), static_cast<unsigned>(id >> 16 & 0xffff),
                  static_cast<unsigned>(id & 0xfff), static_cast<unsigned>(id >> 52),
                  static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
    const std::string& url = urls[rng() % urls.size()];
    ts += static_cast<int64_t>(rng() % 2000);
    const int32_t tti = static_cast<int32_t>(rng() % 5000);
    const int32_t ttar = static_cast<int32_t>(rng() % 3000);
    const int n_actions = static_cast<int>(rng() % 8);  // 0 -> one row of NULL actions
    const int n_rows = std::max(1, n_actions);
    for (int a = 0; a < n_rows && made < rows; ++a, ++made) {
      auto& c = b.columns;
      c[0].push_string(session);
      c[1].push_string(url);
      c[2].push_int64(ts);
      c[3].push_int32(tti);
      c[4].push_int32(ttar);
      if (n_actions == 0) {
        c[5].push_null();
        c[6].push_null();
        c[7].push_null();
        c[8].push_int32(0);
      } else {
        c[5].push_string(actions[rng() % 6]);
        c[6].push_string(targets[rng() % 8]);
        c[7].push_int64(ts + 1000 * static_cast<int64_t>(rng() % 30000));
        c[8].push_int32(a);
      }
      c[9].push_int64(ingest + static_cast<int64_t>(made / 10000) * 1000);
      c[10].push_string("clickstream");
    }
  }
  return batches;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds of the whole process (all of DuckDB's threads included).
double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double write_sluice(const std::vector<RecordBatch>& batches, const std::string& path,
                    int zstd_level) {
  const auto t0 = std::chrono::steady_clock::now();
  sluice::parquet::WriterOptions options;
  options.codec = sluice::parquet::Codec::kZstd;
  options.zstd_level = zstd_level;
  options.dictionary_min_repeats = g_min_repeats;
  sluice::parquet::FileSink sink(path);
  sluice::parquet::FileWriter writer(kSchema, options, sink);
  std::vector<sluice::parquet::Slice> group;
  uint32_t in_group = 0;
  for (const RecordBatch& b : batches) {
    uint32_t at = 0;
    const uint32_t n = static_cast<uint32_t>(b.rows());
    while (at < n) {
      const uint32_t take = std::min(n - at, kRowGroupRows - in_group);
      group.push_back({&b, at, at + take});
      at += take;
      in_group += take;
      if (in_group == kRowGroupRows) {
        writer.write_row_group(group);
        group.clear();
        in_group = 0;
      }
    }
  }
  if (!group.empty()) writer.write_row_group(group);
  writer.close();
  sink.close();
  return seconds_since(t0);
}

class Duck {
 public:
  Duck() {
    if (duckdb_open(nullptr, &db_) != DuckDBSuccess) throw std::runtime_error("duckdb_open failed");
    if (duckdb_connect(db_, &con_) != DuckDBSuccess)
      throw std::runtime_error("duckdb_connect failed");
  }
  ~Duck() {
    duckdb_disconnect(&con_);
    duckdb_close(&db_);
  }
  void execute(const std::string& sql) {
    duckdb_result r;
    if (duckdb_query(con_, sql.c_str(), &r) != DuckDBSuccess) {
      std::string e = duckdb_result_error(&r);
      duckdb_destroy_result(&r);
      throw std::runtime_error("duckdb: " + e + "\nSQL: " + sql);
    }
    duckdb_destroy_result(&r);
  }
  std::string scalar(const std::string& sql) {
    duckdb_result r;
    if (duckdb_query(con_, sql.c_str(), &r) != DuckDBSuccess) {
      std::string e = duckdb_result_error(&r);
      duckdb_destroy_result(&r);
      throw std::runtime_error("duckdb: " + e);
    }
    char* s = duckdb_value_varchar(&r, 0, 0);
    std::string out = s ? s : "NULL";
    duckdb_free(s);
    duckdb_destroy_result(&r);
    return out;
  }
  // Loads the batches into table t (TIMESTAMP columns, as the lake's COPY sees them).
  void load(const std::vector<RecordBatch>& batches) {
    std::string ddl = "CREATE TABLE t (";
    for (size_t i = 0; i < kSchema.size(); ++i) {
      ddl +=
          (i ? ", \"" : "\"") + kSchema[i].name + "\" " + sluice::column_sql_type(kSchema[i].type);
    }
    execute(ddl + ")");
    duckdb_appender app;
    if (duckdb_appender_create(con_, nullptr, "t", &app) != DuckDBSuccess)
      throw std::runtime_error("appender");
    for (const RecordBatch& b : batches) {
      for (size_t r = 0; r < b.rows(); ++r) {
        for (size_t c = 0; c < kSchema.size(); ++c) {
          const Column& col = b.columns[c];
          if (col.is_null(r)) {
            duckdb_append_null(app);
            continue;
          }
          switch (kSchema[c].type) {
            case ColumnType::kString: {
              const std::string_view s = col.string_at(r);
              duckdb_append_varchar_length(app, s.data(), s.size());
              break;
            }
            case ColumnType::kInt32:
              duckdb_append_int32(app, col.int32_at(r));
              break;
            case ColumnType::kTimestamp:
              duckdb_append_timestamp(app, duckdb_timestamp{col.int64_at(r)});
              break;
            default:
              throw std::runtime_error("unexpected type");
          }
        }
        duckdb_appender_end_row(app);
      }
    }
    duckdb_appender_destroy(&app);
  }

 private:
  duckdb_database db_;
  duckdb_connection con_;
};

}  // namespace

int main(int argc, char** argv) {
  const size_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  const std::string work = argc > 3 ? argv[3] : "/tmp/sluice-parquet-bench";
  const int level = argc > 4 ? std::atoi(argv[4]) : 1;
  if (argc > 5) g_min_repeats = std::strtoull(argv[5], nullptr, 10);
  try {
    fs::create_directories(work);
    const std::vector<RecordBatch> batches = build_rows(rows);
    const std::string ours = work + "/sluice.parquet", theirs = work + "/duckdb.parquet";

    // Wall and CPU seconds per run; the machine may be shared, so the CPU
    // time (all threads of the process) is the steadier figure.
    std::vector<double> t_ours, c_ours;
    for (int i = 0; i < runs; ++i) {
      const double c0 = cpu_now();
      t_ours.push_back(write_sluice(batches, ours, level));
      c_ours.push_back(cpu_now() - c0);
    }
    if (std::getenv("SLUICE_ONLY") != nullptr) {  // profiling aid: the native writer alone
      std::printf("sluice_seconds=%.4f sluice_cpu_seconds=%.4f sluice_bytes=%ju\n", median(t_ours),
                  median(c_ours), static_cast<uintmax_t>(fs::file_size(ours)));
      return 0;
    }
    Duck duck;
    duck.load(batches);
    std::vector<double> t_duck[2], c_duck[2];
    const std::string copy = "COPY t TO '" + theirs +
                             "' (FORMAT PARQUET, COMPRESSION ZSTD, ROW_GROUP_SIZE " +
                             std::to_string(kRowGroupRows) + ")";
    for (int threads : {1, 2}) {
      duck.execute("SET threads = " + std::to_string(threads));
      for (int i = 0; i < runs; ++i) {
        const double c0 = cpu_now();
        const auto t0 = std::chrono::steady_clock::now();
        duck.execute(copy);
        t_duck[threads - 1].push_back(seconds_since(t0));
        c_duck[threads - 1].push_back(cpu_now() - c0);
      }
    }
    // Both files hold the same rows (checked through DuckDB), not only as many.
    const std::string diff = duck.scalar(
        "SELECT count(*) FROM ((SELECT * REPLACE (\"timestamp\"::TIMESTAMP AS \"timestamp\", "
        "action_time::TIMESTAMP AS action_time, ingest_timestamp::TIMESTAMP AS ingest_timestamp) "
        "FROM read_parquet('" +
        ours + "')) EXCEPT ALL (SELECT * FROM read_parquet('" + theirs + "')))");
    const double s_ours = median(t_ours), s_d1 = median(t_duck[0]), s_d2 = median(t_duck[1]);
    const double cpu_ours = median(c_ours), cpu_d1 = median(c_duck[0]), cpu_d2 = median(c_duck[1]);
    const double size_ours = static_cast<double>(fs::file_size(ours));
    const double size_duck = static_cast<double>(fs::file_size(theirs));
    const double n = static_cast<double>(rows);
    std::printf(
        "rows=%zu runs=%d row_group_rows=%u batch_rows=%u sluice_zstd_level=%d "
        "dictionary_min_repeats=%zu (medians)\n",
        rows, runs, kRowGroupRows, kBatchRows, level, g_min_repeats);
    std::printf("  %-30s %8s %12s %8s %12s %12s\n", "", "wall s", "rows/s", "CPU s", "rows/CPU-s",
                "bytes");
    std::printf("  %-30s %8.3f %12.0f %8.3f %12.0f %12.0f\n", "sluice FileWriter (1 thread)",
                s_ours, n / s_ours, cpu_ours, n / cpu_ours, size_ours);
    std::printf("  %-30s %8.3f %12.0f %8.3f %12.0f %12.0f\n", "DuckDB COPY, threads=1", s_d1,
                n / s_d1, cpu_d1, n / cpu_d1, size_duck);
    std::printf("  %-30s %8.3f %12.0f %8.3f %12.0f\n", "DuckDB COPY, threads=2", s_d2, n / s_d2,
                cpu_d2, n / cpu_d2);
    std::printf("  DuckDB / sluice, wall: %.2fx (threads=1), %.2fx (threads=2)\n", s_d1 / s_ours,
                s_d2 / s_ours);
    std::printf("  DuckDB / sluice, CPU:  %.2fx (threads=1), %.2fx (threads=2)\n",
                cpu_d1 / cpu_ours, cpu_d2 / cpu_ours);
    std::printf("  size sluice / DuckDB: %.3f\n", size_ours / size_duck);
    std::printf("  rows differing between the two files: %s\n", diff.c_str());
    if (std::getenv("KEEP") == nullptr) {  // KEEP=1 leaves both files in WORKDIR
      fs::remove(ours);
      fs::remove(theirs);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parquet_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
