#include "batch/batch_job.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "batch/file_cache.h"
#include "batch/lake_root.h"
#include "batch/lake_table.h"
#include "batch/quality.h"
#include "batch/warehouse.h"
#include "core/error.h"
#include "core/time.h"
#include "sinks/lake/commit_log.h"
#include "sinks/lake/duckdb_handle.h"
#include "sinks/lake/partition.h"
#include "storage/fs_util.h"
#include "storage/storage.h"

namespace sluice {

namespace {
bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
}  // namespace

bool sql_references_table(const std::string& sql, const std::string& table) {
  if (sql.find("{{" + table + "}}") != std::string::npos) return true;
  for (size_t at = sql.find(table); at != std::string::npos; at = sql.find(table, at + 1)) {
    bool left = at == 0 || !is_ident_char(sql[at - 1]);
    size_t end = at + table.size();
    bool right = end >= sql.size() || !is_ident_char(sql[end]);
    if (left && right) return true;
  }
  return false;
}

namespace {

constexpr const char* kResultTable = "__sluice_result";

// An exclusive flock() on a file, released on destruction.
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw RuntimeError("batch: cannot open lock " + path + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw RuntimeError("batch: another run holds " + path);
    }
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// Per day: the input seq processed per table.
struct JobState {
  std::map<Day, std::map<std::string, int64_t>> days;
  nlohmann::json raw = nlohmann::json::object();
};

// The job's state object (LAKE/_sluice_batch/JOB.json) through the lake
// root's storage: a local file replaced with rename, or an S3 object (a PUT
// replaces it atomically).
JobState read_state(storage::Storage& root, const std::string& key) {
  JobState s;
  std::optional<std::string> text = storage::get_if_exists(root, key);
  if (!text) return s;
  const std::string path = root.url() + "/" + key;
  try {
    s.raw = nlohmann::json::parse(*text);
    for (const auto& [day, info] : s.raw.at("days").items()) {
      auto d = Day::parse(day);
      if (!d) throw RuntimeError("batch: bad day '" + day + "' in " + path);
      s.days[*d] = info.at("inputs").get<std::map<std::string, int64_t>>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw RuntimeError("batch: corrupt state file " + path + ": " + e.what());
  }
  return s;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

std::string parquet_list(const std::vector<std::string>& paths) {
  std::string out = "[";
  for (const std::string& p : paths) out += (out.size() > 1 ? ", " : "") + sql_quote(p);
  return out + "]";
}

std::string day_list(const std::set<Day>& days) {
  std::string out;
  for (const Day& d : days) out += (out.empty() ? "" : ", ") + ("DATE '" + d.to_string() + "'");
  return out;
}

std::string directory_of(const std::string& file) {
  size_t slash = file.find_last_of('/');
  return slash == std::string::npos ? "." : file.substr(0, slash);
}

class JobRunner {
 public:
  JobRunner(const PipelineConfig& pipeline, const BatchRunOptions& options)
      : pipeline_(pipeline), options_(options) {
    lake_dir_ = options.lake_dir.empty() ? pipeline.lake.path : options.lake_dir;
    pipeline_dir_ = directory_of(pipeline.file);
    root_ = std::make_unique<LakeRoot>(lake_dir_, pipeline.lake.storage);
  }

  BatchJobReport run(const BatchJobConfig& job, bool named) {
    BatchJobReport report;
    report.job = job.name;
    const std::string warehouse = warehouse_spec();
    FileLock lock(lock_path(job.name));
    const std::string state_key = std::string(kBatchStateDir) + "/" + job.name + ".json";
    JobState state = read_state(root_->storage(), state_key);

    // Inputs: every lake table the SQL names, except the job's own output.
    std::map<std::string, LiveTable> inputs;
    tables_.clear();
    for (const std::string& name : root_->tables()) {
      if (name == job.output_table || !sql_references_table(job.sql, name)) continue;
      std::unique_ptr<storage::Storage> table = root_->open_table(name);
      LiveTable live = read_live_table(*table);
      live.table_dir = root_->table_location(name);
      inputs.emplace(name, std::move(live));
      tables_[name] = std::move(table);
    }

    std::set<Day> days;
    if (options_.days) {
      days.insert(options_.days->begin(), options_.days->end());
    } else {
      for (const auto& [name, table] : inputs) {
        for (const auto& [day, seq] : table.day_changed_seq) {
          auto s = state.days.find(day);
          int64_t done = 0;
          if (s != state.days.end() && s->second.count(name)) done = s->second.at(name);
          if (seq > done) days.insert(day);
        }
      }
    }
    const std::string output_name = sanitize_partition_value(job.output_table);
    report.output_dir = root_->table_location(output_name);
    if (days.empty()) {
      say(job.name + ": nothing new since the last run");
      return report;
    }
    report.days.assign(days.begin(), days.end());
    say(fmt::format("{}: {} day(s) {}..{}, inputs: {}", job.name, days.size(),
                    days.begin()->to_string(), days.rbegin()->to_string(), input_names(inputs)));

    DuckDb db(2);
    for (const auto& [name, table] : inputs) create_view(db, job, name, table, days);
    std::string sql = job.sql;
    for (const auto& [name, table] : inputs)
      sql = replace_all(sql, "{{" + name + "}}", sql_ident(name));
    sql = replace_all(sql, "{{pipeline_dir}}", pipeline_dir_);
    while (!sql.empty() &&
           (std::isspace(static_cast<unsigned char>(sql.back())) || sql.back() == ';')) {
      sql.pop_back();
    }
    db.execute(fmt::format("CREATE TEMP TABLE {} AS {}", kResultTable, sql));
    check_date_column(db, job, days);

    // Quality gate.
    std::vector<QualityCheckConfig> checks = job.checks;
    if (!job.key.empty()) {
      QualityCheckConfig unique;
      unique.kind = QualityCheckConfig::kUnique;
      unique.columns = job.key;
      checks.push_back(unique);
    }
    CheckContext ctx{kResultTable, job.date_column, days,
                     options_.now_ms ? options_.now_ms : now_micros() / 1000};
    std::vector<CheckFailure> failures = run_quality_checks(db, checks, ctx);
    if (!failures.empty()) throw QualityError(job.name, std::move(failures));
    say(fmt::format("{}: {} quality check(s) passed", job.name, checks.size()));

    publish(db, job, days, report);

    if (warehouse != "none") {
      std::unique_ptr<Warehouse> wh = open_warehouse(warehouse);
      wh->load(db,
               WarehouseLoad{kResultTable, job.warehouse_table, job.date_column, job.key, days});
      report.warehouse = wh->describe();
      say(fmt::format("{}: loaded into {} table {}", job.name, report.warehouse,
                      job.warehouse_table));
    }

    // --csv is relative to the working directory, a job's csv to the lake root.
    std::string csv, csv_key;  // csv_key: a key under an s3:// lake root
    if (named && !options_.csv_path.empty()) {
      csv = options_.csv_path;
    } else if (!job.csv_path.empty() && job.csv_path[0] == '/') {
      csv = job.csv_path;
    } else if (!job.csv_path.empty()) {
      csv = lake_dir_ + "/" + job.csv_path;
      if (root_->remote()) csv_key = job.csv_path;
    }
    if (!csv.empty()) {
      export_csv(db, output_name, csv, csv_key);
      report.csv_path = csv;
      say(fmt::format("{}: CSV {}", job.name, csv));
    }

    // Remember what was processed, per day and input table.
    nlohmann::json out = state.raw;
    out["job"] = job.name;
    if (!out.contains("days")) out["days"] = nlohmann::json::object();
    for (const Day& d : days) {
      nlohmann::json in = nlohmann::json::object();
      for (const auto& [name, table] : inputs) in[name] = table.last_seq;
      out["days"][d.to_string()] = {
          {"inputs", in}, {"output_seq", report.output_seq}, {"run_ms", now_micros() / 1000}};
    }
    root_->storage().put(state_key, out.dump(1) + "\n");
    if (cache_) {
      const FileCacheStats& c = cache_->stats();
      say(
          fmt::format("{}: cache {}: {} hit(s), {} download(s), {} eviction(s), {} bytes held, "
                      "peak {} of {} bytes",
                      job.name, cache_->dir(), c.hits, c.downloads, c.evictions, c.bytes,
                      c.peak_bytes, cache_->cap_bytes()));
      cache_->release_pins();
    }
    return report;
  }

 private:
  void say(const std::string& line) {
    if (options_.log) *options_.log << line << "\n";
  }

  static std::string input_names(const std::map<std::string, LiveTable>& inputs) {
    std::string out;
    for (const auto& [name, t] : inputs) out += (out.empty() ? "" : ", ") + name;
    return out.empty() ? "(none)" : out;
  }

  // "": the default, DuckDB beside a local lake; an s3:// lake has none.
  std::string warehouse_spec() const {
    if (!options_.warehouse.empty()) return options_.warehouse;
    if (!root_->remote()) return "duckdb:" + lake_dir_ + "/_warehouse.duckdb";
    throw RuntimeError("batch: an s3:// lake has no default warehouse (" + lake_dir_ +
                       "): give --warehouse duckdb:PATH|postgresql://...|none (or " +
                       "orchestrator.warehouse)");
  }

  // A local lake keeps the per-job lock beside the job's state; an s3:// lake
  // keeps it in the cache directory (it serializes the runs of one host).
  std::string lock_path(const std::string& job) {
    if (!root_->remote()) {
      const std::string dir = lake_dir_ + "/" + kBatchStateDir;
      lakefs::make_dirs(dir);
      return dir + "/" + job + ".lock";
    }
    const std::string dir = cache_dir() + "/locks";
    lakefs::make_dirs(dir);
    return fmt::format("{}/{:016x}-{}.lock", dir, std::hash<std::string>{}(lake_dir_), job);
  }

  std::string cache_dir() const {
    const std::string& dir = pipeline_.lake.storage.cache_dir;
    return dir.empty() ? FileCache::default_dir() : dir;
  }

  // Local paths DuckDB reads for `files` of `table`: in place on a local
  // lake, copies in the bounded cache for s3://.
  std::vector<std::string> local_paths(storage::Storage& table,
                                       const std::vector<const LiveFile*>& files) {
    std::vector<std::string> out;
    for (const LiveFile* f : files) {
      if (auto local = table.local_path(f->path)) {
        out.push_back(*local);
        continue;
      }
      if (!cache_) {
        cache_ = std::make_unique<FileCache>(cache_dir(), pipeline_.lake.storage.cache_bytes);
      }
      out.push_back(cache_->fetch(table, f->path, f->bytes));
    }
    return out;
  }

  void create_view(DuckDb& db, const BatchJobConfig& job, const std::string& name,
                   const LiveTable& table, const std::set<Day>& days) {
    std::vector<const LiveFile*> files = table.files_for(days);
    storage::Storage& st = *tables_.at(name);
    std::string body;
    if (!files.empty()) {
      body = "SELECT * FROM read_parquet(" + parquet_list(local_paths(st, files)) +
             ", union_by_name = true, hive_partitioning = false)";
    } else if (!table.files.empty()) {  // no data on these days: same columns, no rows
      body = "SELECT * FROM read_parquet(" +
             sql_quote(local_paths(st, {&table.files.front()}).front()) +
             ", hive_partitioning = false) LIMIT 0";
    } else {
      if (job.sql.find("{{" + name + "}}") != std::string::npos) {
        throw RuntimeError("batch job " + job.name + ": input table " + name +
                           " has no committed files");
      }
      return;
    }
    db.execute("CREATE TEMP VIEW " + sql_ident(name) + " AS " + body);
  }

  void check_date_column(DuckDb& db, const BatchJobConfig& job, const std::set<Day>& days) {
    DuckResult cols;
    db.query(std::string("DESCRIBE ") + kResultTable, cols);
    std::string type;
    for (size_t i = 0; i < cols.rows(); ++i) {
      if (cols.string_at(0, i) == job.date_column) type = cols.string_at(1, i);
    }
    if (type != "DATE") {
      throw RuntimeError(fmt::format(
          "batch job {}: the result needs a DATE column '{}' (the day a row belongs to){}",
          job.name, job.date_column, type.empty() ? "" : ", found type " + type));
    }
    DuckResult bad;
    db.query(
        fmt::format("SELECT DISTINCT {0}::VARCHAR FROM {1} WHERE {0} IS NULL OR {0} NOT IN ({2}) "
                    "ORDER BY 1 LIMIT 5",
                    sql_ident(job.date_column), kResultTable, day_list(days)),
        bad);
    if (bad.rows() > 0) {
      std::string values;
      for (size_t i = 0; i < bad.rows(); ++i) {
        values += (i ? ", " : "") + (bad.is_null(0, i) ? std::string("NULL") : bad.string_at(0, i));
      }
      throw RuntimeError(fmt::format(
          "batch job {}: result rows fall outside the selected days ({}): {} = {}", job.name,
          days.size() == 1 ? days.begin()->to_string()
                           : days.begin()->to_string() + ".." + days.rbegin()->to_string(),
          job.date_column, values));
    }
  }

  // One staged Parquet file per output partition of each day, then one
  // replace commit for all the days.
  void publish(DuckDb& db, const BatchJobConfig& job, const std::set<Day>& days,
               BatchJobReport& report) {
    TablePublisher publisher(root_->open_table(sanitize_partition_value(job.output_table)),
                             "batch-" + job.name);
    publisher.set_on_step(options_.on_publish_step);
    publisher.open();
    const bool calendar =
        std::count(job.partition_by.begin(), job.partition_by.end(), "year") +
            std::count(job.partition_by.begin(), job.partition_by.end(), "month") >
        0;
    std::vector<std::string> value_columns;  // partition keys taken from result columns
    for (const std::string& k : job.partition_by) {
      bool from_calendar = calendar && (k == "year" || k == "month" || k == "day");
      if (!from_calendar && k != job.date_column) value_columns.push_back(k);
    }
    const std::string codec = [&] {
      switch (pipeline_.lake.compression) {
        case Compression::kZstd:
          return "zstd";
        case Compression::kSnappy:
          return "snappy";
        case Compression::kUncompressed:
          return "uncompressed";
      }
      return "zstd";
    }();
    std::vector<StagedJobFile> staged;
    try {
      for (const Day& day : days) {
        std::string day_cond =
            fmt::format("{} = DATE '{}'", sql_ident(job.date_column), day.to_string());
        // Distinct values of the non-date partition columns on this day.
        std::vector<std::vector<std::optional<std::string>>> combos;
        if (value_columns.empty()) {
          combos.push_back({});
        } else {
          std::string cols;
          for (const auto& c : value_columns)
            cols += (cols.empty() ? "" : ", ") + sql_ident(c) + "::VARCHAR";
          DuckResult r;
          db.query(fmt::format("SELECT DISTINCT {} FROM {} WHERE {} ORDER BY ALL", cols,
                               kResultTable, day_cond),
                   r);
          for (size_t i = 0; i < r.rows(); ++i) {
            std::vector<std::optional<std::string>> combo;
            for (size_t k = 0; k < value_columns.size(); ++k) {
              combo.push_back(r.is_null(k, i) ? std::nullopt : std::optional(r.string_at(k, i)));
            }
            combos.push_back(std::move(combo));
          }
        }
        CivilTime civil = to_civil(day.start_ms() * 1000);
        for (const auto& combo : combos) {
          std::string path, cond = day_cond;
          size_t v = 0;
          for (const std::string& k : job.partition_by) {
            std::string value;
            if (calendar && k == "year") {
              value = fmt::format("{:04d}", civil.year);
            } else if (calendar && k == "month") {
              value = fmt::format("{:02d}", civil.month);
            } else if (calendar && k == "day") {
              value = fmt::format("{:02d}", civil.day);
            } else if (k == job.date_column) {
              value = day.to_string();
            } else {
              const auto& val = combo[v++];
              value = val ? *val : "";
              // Appended piece by piece: GCC 12 reports a false -Wrestrict
              // on long operator+ chains at -O3.
              cond += " AND ";
              cond += sql_ident(k);
              if (val) {
                cond += "::VARCHAR = ";
                cond += sql_quote(*val);
              } else {
                cond += " IS NULL";
              }
            }
            if (!path.empty()) path += '/';
            path += sanitize_partition_value(k);
            path += '=';
            path += sanitize_partition_value(value);
          }
          DuckResult count;
          db.query(fmt::format("SELECT count(*) FROM {} WHERE {}", kResultTable, cond), count);
          int64_t rows = count.int64_at(0, 0);
          if (rows == 0) continue;
          StagedJobFile f{publisher.staging_path(staged.size()), path, day, rows};
          staged.push_back(f);
          db.execute(fmt::format(
              "COPY (SELECT * FROM {} WHERE {} ORDER BY ALL) TO {} (FORMAT parquet, COMPRESSION "
              "{})",
              kResultTable, cond, sql_quote(publisher.local_file(f.staging)), codec));
          report.rows += rows;
        }
      }
    } catch (const RuntimeError&) {
      publisher.discard(staged);
      throw;
    }
    report.files = static_cast<int64_t>(staged.size());
    report.output_seq = publisher.replace(staged, days, {{"job", job.name}});
    say(fmt::format("{}: committed {} row(s) in {} file(s) to {} (seq {})", job.name, report.rows,
                    report.files, report.output_dir, report.output_seq));
  }

  // Rewrites the whole CSV from the output table's live files (so a re-run
  // replaces rows instead of appending them), atomically: rename of a local
  // file, or one PUT of `csv_key` under an s3:// lake root.
  void export_csv(DuckDb& db, const std::string& output_name, const std::string& csv,
                  const std::string& csv_key) {
    std::unique_ptr<storage::Storage> table = root_->open_table(output_name);
    LiveTable out = read_live_table(*table);
    std::vector<const LiveFile*> files;
    for (const LiveFile& f : out.files) files.push_back(&f);
    std::string source = files.empty()
                             ? std::string("(SELECT * FROM ") + kResultTable + " LIMIT 0)"
                             : "read_parquet(" + parquet_list(local_paths(*table, files)) +
                                   ", union_by_name = true, hive_partitioning = false)";
    std::unique_ptr<lakefs::ScratchDir> scratch;
    std::string target = csv;
    if (!csv_key.empty()) {
      scratch = std::make_unique<lakefs::ScratchDir>("sluice-csv");
      target = scratch->path() + "/export.csv";
    }
    std::string dir = directory_of(target);
    lakefs::make_dirs(dir);
    std::string tmp = target + ".tmp";
    db.execute(fmt::format("COPY (SELECT * FROM {} ORDER BY ALL) TO {} (FORMAT csv, HEADER)",
                           source, sql_quote(tmp)));
    lakefs::fsync_path(tmp);
    if (!lakefs::rename_path(tmp, target)) throw RuntimeError("batch: cannot write " + target);
    lakefs::fsync_path(dir);
    if (!csv_key.empty()) root_->storage().put_file(csv_key, target);
  }

  const PipelineConfig& pipeline_;
  const BatchRunOptions& options_;
  std::string lake_dir_;
  std::string pipeline_dir_;
  std::unique_ptr<LakeRoot> root_;
  std::map<std::string, std::unique_ptr<storage::Storage>> tables_;  // the inputs of run()
  std::unique_ptr<FileCache> cache_;                                 // s3:// only, made on use
};

}  // namespace

std::vector<BatchJobReport> run_batch_job(const PipelineConfig& pipeline, const std::string& job,
                                          const BatchRunOptions& options) {
  std::map<std::string, const BatchJobConfig*> by_name;
  for (const auto& j : pipeline.batch_jobs) by_name[j.name] = &j;
  if (!by_name.count(job)) {
    std::string known;
    for (const auto& [name, j] : by_name) known += (known.empty() ? "" : ", ") + name;
    throw RuntimeError("no batch job '" + job + "' in " + pipeline.file +
                       (known.empty() ? " (it declares none)" : " (jobs: " + known + ")"));
  }
  // Dependencies first, each once (the loader rejected cycles).
  std::vector<const BatchJobConfig*> order;
  std::set<std::string> seen;
  std::function<void(const BatchJobConfig&)> visit = [&](const BatchJobConfig& j) {
    if (!seen.insert(j.name).second) return;
    if (options.with_dependencies) {
      for (const auto& d : j.depends_on) visit(*by_name.at(d));
    }
    order.push_back(&j);
  };
  visit(*by_name.at(job));
  JobRunner runner(pipeline, options);
  std::vector<BatchJobReport> reports;
  for (const BatchJobConfig* j : order) reports.push_back(runner.run(*j, j->name == job));
  return reports;
}

}  // namespace sluice
