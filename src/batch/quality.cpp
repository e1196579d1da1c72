#include "batch/quality.h"

#include <fmt/format.h>

namespace sluice {

namespace {

std::string join_idents(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + sql_ident(c);
  return out;
}

std::string join_plain(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + c;
  return out;
}

std::string number(double v) {
  return fmt::format("{}", v);
}

std::string format_failure(const std::string& head, int64_t count, DuckResult& sample) {
  std::string values;
  for (size_t r = 0; r < sample.rows(); ++r) {
    std::string v = sample.is_null(0, r) ? "NULL" : sample.string_at(0, r);
    values += (values.empty() ? "" : "; ") + v;
  }
  return fmt::format("{}: {} offending row(s), e.g. {}", head, count, values);
}

int64_t scalar_int(DuckDb& db, const std::string& sql) {
  DuckResult r;
  db.query(sql, r);
  return r.rows() == 0 || r.is_null(0, 0) ? 0 : r.int64_at(0, 0);
}

}  // namespace

std::string sql_ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string describe_check(const QualityCheckConfig& c) {
  switch (c.kind) {
    case QualityCheckConfig::kRowCount:
      return "row_count";
    case QualityCheckConfig::kNotNull:
      return "not_null(" + join_plain(c.columns) + ")";
    case QualityCheckConfig::kRange:
      return "range(" + join_plain(c.columns) + ")";
    case QualityCheckConfig::kUnique:
      return "unique(" + join_plain(c.columns) + ")";
    case QualityCheckConfig::kFreshness:
      return "freshness(" + join_plain(c.columns) + ")";
  }
  return "check";
}

std::vector<CheckFailure> run_quality_checks(DuckDb& db,
                                             const std::vector<QualityCheckConfig>& checks,
                                             const CheckContext& ctx) {
  std::vector<CheckFailure> failures;
  const std::string t = sql_ident(ctx.table);
  auto bounds_text = [](const QualityCheckConfig& c) {
    return fmt::format("[{}, {}]", c.min ? number(*c.min) : "-inf", c.max ? number(*c.max) : "inf");
  };
  for (const QualityCheckConfig& c : checks) {
    const std::string name = describe_check(c);
    switch (c.kind) {
      case QualityCheckConfig::kRowCount: {
        // Per selected day: a missing day counts as zero rows.
        std::string bad;
        for (const Day& d : ctx.days) {
          int64_t n = scalar_int(db, fmt::format("SELECT count(*) FROM {} WHERE {} = DATE '{}'", t,
                                                 sql_ident(ctx.date_column), d.to_string()));
          if ((c.min && n < *c.min) || (c.max && n > *c.max)) {
            bad += (bad.empty() ? "" : "; ") + fmt::format("{}: {} rows", d.to_string(), n);
          }
        }
        if (!bad.empty()) {
          failures.push_back({name, fmt::format("row count outside {}: {}", bounds_text(c), bad)});
        }
        break;
      }
      case QualityCheckConfig::kNotNull: {
        for (const std::string& col : c.columns) {
          int64_t n = scalar_int(
              db, fmt::format("SELECT count(*) FROM {} WHERE {} IS NULL", t, sql_ident(col)));
          if (n > 0) {
            DuckResult sample;
            db.query(fmt::format("SELECT to_json(r)::VARCHAR FROM {} r WHERE {} IS NULL LIMIT 5", t,
                                 sql_ident(col)),
                     sample);
            failures.push_back({name, format_failure("column " + col + " is NULL", n, sample)});
          }
        }
        break;
      }
      case QualityCheckConfig::kRange: {
        const std::string col = sql_ident(c.columns[0]);
        std::string cond;
        if (c.min) cond += fmt::format("{} < {}", col, number(*c.min));
        if (c.max)
          cond += fmt::format("{}{} > {}", cond.empty() ? "" : " OR ", col, number(*c.max));
        int64_t n = scalar_int(db, fmt::format("SELECT count(*) FROM {} WHERE {}", t, cond));
        if (n > 0) {
          DuckResult sample;
          db.query(fmt::format("SELECT CAST({} AS VARCHAR) FROM {} WHERE {} ORDER BY 1 LIMIT 5",
                               col, t, cond),
                   sample);
          failures.push_back(
              {name, format_failure(c.columns[0] + " outside " + bounds_text(c), n, sample)});
        }
        break;
      }
      case QualityCheckConfig::kUnique: {
        const std::string cols = join_idents(c.columns);
        const std::string dup = fmt::format(
            "SELECT {}, count(*) AS n FROM {} GROUP BY ALL HAVING count(*) > 1", cols, t);
        int64_t n = scalar_int(db, "SELECT count(*) FROM (" + dup + ")");
        if (n > 0) {
          DuckResult sample;
          db.query(
              fmt::format("SELECT to_json(d)::VARCHAR FROM ({}) d ORDER BY n DESC LIMIT 5", dup),
              sample);
          failures.push_back(
              {name, format_failure("duplicate key (" + join_plain(c.columns) + ")", n, sample)});
        }
        break;
      }
      case QualityCheckConfig::kFreshness: {
        const std::string col = sql_ident(c.columns[0]);
        DuckResult r;
        db.query(fmt::format("SELECT epoch_ms(max({})::TIMESTAMP), max({})::VARCHAR FROM {}", col,
                             col, t),
                 r);
        int64_t reference = ctx.now_ms;
        if (c.relative_to == "window_end" && !ctx.days.empty()) {
          reference = ctx.days.rbegin()->start_ms() + 86400000LL;
        }
        if (r.rows() == 0 || r.is_null(0, 0)) {
          failures.push_back({name, "no rows: the latest " + c.columns[0] + " is unknown"});
          break;
        }
        int64_t latest = r.int64_at(0, 0);
        if (reference - latest > c.max_age_ms) {
          failures.push_back(
              {name,
               fmt::format("latest {} is {}, {} s older than the reference ({}), max age {} s",
                           c.columns[0], r.string_at(1, 0), (reference - latest) / 1000,
                           c.relative_to, c.max_age_ms / 1000)});
        }
        break;
      }
    }
  }
  return failures;
}

namespace {
std::string quality_message(const std::string& job, const std::vector<CheckFailure>& failures) {
  std::string out = "batch job " + job + ": " + std::to_string(failures.size()) +
                    " quality check(s) failed; nothing was published or loaded";
  for (const auto& f : failures) out += "\n  " + f.check + ": " + f.message;
  return out;
}
}  // namespace

QualityError::QualityError(const std::string& job, std::vector<CheckFailure> failures)
    : RuntimeError(quality_message(job, failures)), failures_(std::move(failures)) {}

}  // namespace sluice
