// The native encoder alone on a lake's own rows: loads every Parquet file of
// a sluice lake table (its partitions' rows, as the writer had them) into
// RecordBatches, untimed, then times writing them again with
// sluice::parquet::FileWriter (zstd level 1, 122880-row row groups), one file
// per partition directory (the rows of all its lake files, as DuckDB's COPY
// PARTITION_BY writes one file per partition, so that sizes compare at equal
// file counts), on THREADS threads. The counterpart of duck_bench's encode
// floor (rows already in memory). Never part of ctest.
//
//   lake_encode_bench LAKE/TABLE OUTDIR [RUNS] [THREADS]
// Prints: native_seconds=.. native_cpu_seconds=.. rows=.. files=.. bytes=..
// (files: written, one per partition; lake_files: read)
#include <duckdb.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/batch.h"
#include "duck/chunk_batch.h"
#include "formats/parquet/parquet_writer.h"

namespace {

namespace fs = std::filesystem;
using sluice::OutputSchema;
using sluice::RecordBatch;

constexpr uint32_t kRowGroupRows = 122880;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

struct Loaded {
  OutputSchema schema;
  std::map<std::string, RecordBatch> partitions;  // per partition directory, its rows
  std::vector<const RecordBatch*> files;          // what is written: one per partition
  size_t rows = 0;
  size_t lake_files = 0;
};

// The schema comes from the first file; every file is read by column name
// (sluice::append_result, shared with the lake reader), so files whose
// columns come in another order load correctly.
void load_file(duckdb_connection con, const std::string& path, const std::string& partition,
               Loaded& out) {
  duckdb_result res;
  const std::string sql =
      "SELECT * FROM read_parquet(" + quote(path) + ", hive_partitioning = false)";
  if (duckdb_query(con, sql.c_str(), &res) != DuckDBSuccess) {
    std::string e = duckdb_result_error(&res);
    duckdb_destroy_result(&res);
    throw std::runtime_error(e);
  }
  try {
    if (out.schema.empty()) out.schema = sluice::result_schema(&res);
    RecordBatch& b = out.partitions.try_emplace(partition, out.schema).first->second;
    const size_t before = b.rows();
    sluice::append_result(&res, b);
    out.rows += b.rows() - before;
    out.lake_files++;
  } catch (...) {
    duckdb_destroy_result(&res);
    throw;
  }
  duckdb_destroy_result(&res);
}

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: lake_encode_bench LAKE/TABLE OUTDIR [RUNS] [THREADS]\n");
    return 2;
  }
  const std::string table = argv[1], out = argv[2];
  const int runs = argc > 3 ? std::atoi(argv[3]) : 1;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 2;
  try {
    duckdb_database db;
    duckdb_connection con;
    if (duckdb_open(nullptr, &db) != DuckDBSuccess || duckdb_connect(db, &con) != DuckDBSuccess)
      throw std::runtime_error("duckdb_open failed");
    Loaded loaded;
    for (const auto& e : fs::recursive_directory_iterator(table)) {
      const std::string p = e.path().string();
      if (e.is_regular_file() && e.path().extension() == ".parquet" &&
          p.find("/_sluice_") == std::string::npos) {
        load_file(con, p, e.path().parent_path().string(), loaded);
      }
    }
    for (const auto& [partition, rows] : loaded.partitions) loaded.files.push_back(&rows);
    duckdb_disconnect(&con);
    duckdb_close(&db);

    std::vector<double> walls, cpus;
    uint64_t bytes = 0;
    for (int run = 0; run < runs; ++run) {
      fs::remove_all(out);
      fs::create_directories(out);
      std::atomic<size_t> next{0};
      std::atomic<uint64_t> written{0};
      const double c0 = cpu_now();
      const auto t0 = std::chrono::steady_clock::now();
      auto work = [&] {
        for (size_t i; (i = next++) < loaded.files.size();) {
          const RecordBatch& b = *loaded.files[i];
          sluice::parquet::FileSink sink(out + "/f" + std::to_string(i) + ".parquet");
          sluice::parquet::FileWriter w(loaded.schema, {}, sink);
          for (uint32_t at = 0; at < b.rows(); at += kRowGroupRows) {
            sluice::parquet::Slice s{
                &b, at, static_cast<uint32_t>(std::min<size_t>(b.rows(), at + kRowGroupRows))};
            w.write_row_group({&s, 1});
          }
          w.close();
          sink.close();
          written += sink.position();
        }
      };
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t) pool.emplace_back(work);
      for (auto& t : pool) t.join();
      walls.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      cpus.push_back(cpu_now() - c0);
      bytes = written;
    }
    fs::remove_all(out);
    std::sort(walls.begin(), walls.end());
    std::sort(cpus.begin(), cpus.end());
    std::printf(
        "native_seconds=%.4f native_cpu_seconds=%.4f rows=%zu files=%zu lake_files=%zu "
        "bytes=%llu\n",
        walls[walls.size() / 2], cpus[cpus.size() / 2], loaded.rows, loaded.files.size(),
        loaded.lake_files, static_cast<unsigned long long>(bytes));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lake_encode_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
