// `sluice lake ls|log|verify|compact|vacuum TABLE`.
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.h"
#include "core/kill_hook.h"
#include "core/time.h"
#include "sinks/lake/lake_maintenance.h"
#include "sinks/lake/lake_tools.h"
#include "sinks/lake/lake_writer.h"
#include "sinks/lake/partition.h"
#include "storage/storage.h"

namespace sluice::cli {

namespace {

std::string table_location(const LakeArgs& a) {
  if (a.lake.empty()) return a.table_dir;
  std::string root = a.lake;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root + "/" + sanitize_partition_value(a.table_dir);
}

int usage(const std::string& text) {
  std::cerr << "sluice lake: " << text << "\n";
  return kExitUsage;
}

int compact(const LakeArgs& a) {
  CompactOptions o;
  auto target = parse_byte_size(a.target_size);
  if (!target)
    return usage("--target-size: expected a size like 128MB, got '" + a.target_size + "'");
  auto closed = parse_duration_ms(a.closed_after);
  if (!closed)
    return usage("--closed-after: expected a duration like 1h, got '" + a.closed_after + "'");
  o.target_bytes = *target;
  o.closed_after_ms = *closed;
  o.scratch_dir = a.scratch;
  o.on_step = kill_at_step_from_env("SLUICE_TEST_COMPACT_KILL_AT");
  auto table = open_table(table_location(a));
  CompactReport r = compact_table(*table, o);
  if (r.seq == 0) {
    std::cout << "nothing to compact in " << table->url() << "\n";
  } else {
    std::cout << fmt::format(
        "compacted {}: {} files ({} bytes) -> {} files ({} bytes), {} rows in {} partitions, "
        "commit {}\n",
        table->url(), r.files_in, r.bytes_in, r.files_out, r.bytes_out, r.rows, r.partitions,
        r.seq);
  }
  return kExitOk;
}

int vacuum(const LakeArgs& a) {
  VacuumOptions o;
  auto retain = parse_duration_ms(a.retain);
  if (!retain) return usage("--retain: expected a duration like 7d, got '" + a.retain + "'");
  if (*retain < 3600LL * 1000 && !a.force) {
    return usage(
        "--retain below 1h can delete the staged files of a running writer's next commit; "
        "add --force if no writer runs");
  }
  o.retain_ms = *retain;
  o.dry_run = a.dry_run;
  auto table = open_table(table_location(a));
  VacuumReport r = vacuum_table(*table, o);
  int64_t bytes = 0;
  for (const auto& item : r.deleted) {
    std::cout << (a.dry_run ? "would delete " : "deleted ") << item.key << " (" << item.reason
              << ")\n";
    bytes += item.bytes;
  }
  std::cout << fmt::format("{}: {} {} {} ({} bytes), {} unreferenced younger than {} kept\n",
                           table->url(), a.dry_run ? "would delete" : "deleted", r.deleted.size(),
                           r.deleted.size() == 1 ? "object" : "objects", bytes, r.kept_young,
                           a.retain);
  return kExitOk;
}

}  // namespace

int lake_command(const std::string& verb, const LakeArgs& a) {
  if (verb == "ls") return lake_ls(a.table_dir, std::cout);
  if (verb == "log") return lake_log(a.table_dir, std::cout);
  if (verb == "compact") return compact(a);
  if (verb == "vacuum") return vacuum(a);
  return lake_verify(a.table_dir, std::cout);
}

}  // namespace sluice::cli
