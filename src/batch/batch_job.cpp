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

#include "batch/lake_table.h"
#include "batch/quality.h"
#include "batch/warehouse.h"
#include "core/error.h"
#include "core/time.h"
#include "sinks/lake/commit_log.h"
#include "sinks/lake/duckdb_handle.h"
#include "sinks/lake/partition.h"
#include "storage/fs_util.h"

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

JobState read_state(const std::string& path) {
  JobState s;
  if (!lakefs::exists(path)) return s;
  try {
    s.raw = nlohmann::json::parse(lakefs::read_file(path));
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

void write_state_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  lakefs::write_file_synced(tmp, text);
  if (!lakefs::rename_path(tmp, path)) throw RuntimeError("batch: cannot write " + path);
  lakefs::fsync_path(lakefs::parent_dir(path));
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

std::string parquet_list(const std::string& dir, const std::vector<const LiveFile*>& files) {
  std::string out = "[";
  for (const LiveFile* f : files)
    out += (out.size() > 1 ? ", " : "") + sql_quote(dir + "/" + f->path);
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
  }

  BatchJobReport run(const BatchJobConfig& job, bool named) {
    BatchJobReport report;
    report.job = job.name;
    const std::string state_dir = lake_dir_ + "/" + kBatchStateDir;
    lakefs::make_dirs(state_dir);
    FileLock lock(state_dir + "/" + job.name + ".lock");
    const std::string state_path = state_dir + "/" + job.name + ".json";
    JobState state = read_state(state_path);

    // Inputs: every lake table the SQL names, except the job's own output.
    std::map<std::string, LiveTable> inputs;
    for (const std::string& name : lakefs::list_dir(lake_dir_)) {
      if (name == job.output_table || name.empty() || name[0] == '_') continue;
      const std::string dir = lake_dir_ + "/" + name;
      if (!lakefs::exists(dir + "/" + kLakeLogDir) || !sql_references_table(job.sql, name))
        continue;
      inputs.emplace(name, read_live_table(dir));
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
    report.output_dir = lake_dir_ + "/" + sanitize_partition_value(job.output_table);
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

    std::string spec = options_.warehouse.empty() ? "duckdb:" + lake_dir_ + "/_warehouse.duckdb"
                                                  : options_.warehouse;
    if (spec != "none") {
      std::unique_ptr<Warehouse> wh = open_warehouse(spec);
      wh->load(db,
               WarehouseLoad{kResultTable, job.warehouse_table, job.date_column, job.key, days});
      report.warehouse = wh->describe();
      say(fmt::format("{}: loaded into {} table {}", job.name, report.warehouse,
                      job.warehouse_table));
    }

    // --csv is relative to the working directory, a job's csv to the lake root.
    std::string csv;
    if (named && !options_.csv_path.empty()) {
      csv = options_.csv_path;
    } else if (!job.csv_path.empty()) {
      csv = job.csv_path[0] == '/' ? job.csv_path : lake_dir_ + "/" + job.csv_path;
    }
    if (!csv.empty()) {
      export_csv(db, report.output_dir, csv);
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
    write_state_atomically(state_path, out.dump(1) + "\n");
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

  void create_view(DuckDb& db, const BatchJobConfig& job, const std::string& name,
                   const LiveTable& table, const std::set<Day>& days) {
    std::vector<const LiveFile*> files = table.files_for(days);
    std::string body;
    if (!files.empty()) {
      body = "SELECT * FROM read_parquet(" + parquet_list(table.table_dir, files) +
             ", union_by_name = true, hive_partitioning = false)";
    } else if (!table.files.empty()) {  // no data on these days: same columns, no rows
      body = "SELECT * FROM read_parquet(" +
             sql_quote(table.table_dir + "/" + table.files.front().path) +
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
    TablePublisher publisher(report.output_dir, "batch-" + job.name);
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
  // replaces rows instead of appending them), atomically with rename.
  void export_csv(DuckDb& db, const std::string& output_dir, const std::string& csv) {
    LiveTable out = read_live_table(output_dir);
    std::vector<const LiveFile*> files;
    for (const LiveFile& f : out.files) files.push_back(&f);
    std::string source = files.empty() ? std::string("(SELECT * FROM ") + kResultTable + " LIMIT 0)"
                                       : "read_parquet(" + parquet_list(output_dir, files) +
                                             ", union_by_name = true, hive_partitioning = false)";
    std::string dir = directory_of(csv);
    lakefs::make_dirs(dir);
    std::string tmp = csv + ".tmp";
    db.execute(fmt::format("COPY (SELECT * FROM {} ORDER BY ALL) TO {} (FORMAT csv, HEADER)",
                           source, sql_quote(tmp)));
    lakefs::fsync_path(tmp);
    if (!lakefs::rename_path(tmp, csv)) throw RuntimeError("batch: cannot write " + csv);
    lakefs::fsync_path(dir);
  }

  const PipelineConfig& pipeline_;
  const BatchRunOptions& options_;
  std::string lake_dir_;
  std::string pipeline_dir_;
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
