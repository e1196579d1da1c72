// `sluice batch JOB --pipeline PIPELINE.yaml ...`: runs one batch job (and
// its dependencies) over the lake; exit 5 when a quality check fails.
#include <cstdio>
#include <iostream>

#include "batch/batch_job.h"
#include "batch/quality.h"
#include "cli/commands.h"
#include "config/loader.h"
#include "core/error.h"
#include "core/kill_hook.h"

namespace sluice::cli {

namespace {

Day parse_day(const std::string& flag, const std::string& text) {
  auto d = Day::parse(text);
  if (!d) throw CLI::ValidationError(flag, "expected a date YYYY-MM-DD, got '" + text + "'");
  return *d;
}

}  // namespace

int batch_command(const BatchArgs& a) {
  PipelineConfig config = load_pipeline(a.pipeline, to_overrides(a.sets));
  if (!a.lake.empty()) check_lake_location(a.lake, "--lake");
  BatchRunOptions options;
  options.lake_dir = a.lake;
  options.warehouse = a.warehouse;
  options.csv_path = a.csv;
  options.with_dependencies = !a.no_deps;
  options.log = a.quiet ? nullptr : &std::cerr;
  options.on_publish_step = kill_at_step_from_env("SLUICE_TEST_BATCH_KILL_AT");
  if (!a.date.empty()) {
    options.days = std::vector<Day>{parse_day("--date", a.date)};
  } else if (!a.from.empty()) {
    Day first = parse_day("--from", a.from), last = parse_day("--to", a.to);
    if (last < first) throw CLI::ValidationError("--to", "is before --from");
    if (last.days_since_epoch - first.days_since_epoch > 3660) {
      throw CLI::ValidationError("--to", "a range covers at most 3660 days");
    }
    options.days.emplace();
    for (Day d = first; d <= last; ++d.days_since_epoch) options.days->push_back(d);
  }
  try {
    for (const BatchJobReport& r : run_batch_job(config, a.job, options)) {
      if (r.days.empty()) {
        std::printf("%s: up to date\n", r.job.c_str());
        continue;
      }
      std::printf("%s: %zu day(s) %s..%s, %lld row(s), %lld file(s), lake %s%s%s%s%s\n",
                  r.job.c_str(), r.days.size(), r.days.front().to_string().c_str(),
                  r.days.back().to_string().c_str(), static_cast<long long>(r.rows),
                  static_cast<long long>(r.files), r.output_dir.c_str(),
                  r.warehouse.empty() ? "" : ", warehouse ", r.warehouse.c_str(),
                  r.csv_path.empty() ? "" : ", csv ", r.csv_path.c_str());
    }
  } catch (const QualityError& e) {
    std::fprintf(stderr, "sluice: %s\n", e.what());
    return kExitQuality;
  }
  return kExitOk;
}

}  // namespace sluice::cli
