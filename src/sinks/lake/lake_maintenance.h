// Table maintenance on any Storage (local directory or s3://): `sluice lake
// compact` and `sluice lake vacuum` (ARCHITECTURE.md "Compaction and
// vacuum").
//
// compact_table() merges the small files of closed partitions into files near
// a target size and publishes them in ONE commit-log entry of kind
// "compaction" that adds the merged files and removes the merged ones. It
// goes through LakeCommitter (stage, put_if_absent of the next seq, move), so
// it takes its seq among the streaming writers' commits; it carries no stream
// offsets, so it never moves a writer's fence. A partition is closed when no
// data commit added a file to it for `closed_after_ms` (the choice and why it
// only matters for efficiency, not correctness, are in ARCHITECTURE.md).
//
// vacuum_table() deletes objects that no live commit references (staged
// files nobody published, files a compaction or batch replace removed, stray
// temporary log files) once they are older than the retention, and on S3
// aborts multipart uploads started before it.
//
// Threading: one call at a time per process; several processes may compact
// and write the same table (the log orders them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/kill_hook.h"

namespace sluice {

namespace storage {
class Storage;
}

struct CompactOptions {
  int64_t target_bytes = 128LL << 20;
  // A partition is compacted only if its newest data commit is older.
  int64_t closed_after_ms = 3600LL * 1000;
  // Where merged files are written before they are staged (a temp dir if empty).
  std::string scratch_dir;
  // Test hook: called at each step ("recovered", "staged-1", "staged",
  // "published", "moved", "removed-1"); the CLI maps SLUICE_TEST_COMPACT_KILL_AT
  // onto it to SIGKILL itself there (kill_at_step_from_env, core/kill_hook.h).
  StepHook on_step;
};

struct CompactReport {
  int64_t partitions = 0;  // partitions with at least one merge
  int64_t files_in = 0;
  int64_t files_out = 0;
  int64_t rows = 0;  // rows rewritten
  int64_t bytes_in = 0;
  int64_t bytes_out = 0;
  int64_t seq = 0;  // the compaction entry, 0 if nothing was merged
};

// Throws RuntimeError (StorageError for storage failures); on a throw before
// the entry is published nothing changed but unreferenced staged objects
// (vacuum removes them).
CompactReport compact_table(storage::Storage& table, const CompactOptions& options);

struct VacuumOptions {
  int64_t retain_ms = 7LL * 86400 * 1000;
  bool dry_run = false;  // list only; nothing is rolled forward or deleted
};

struct VacuumReport {
  struct Item {
    std::string key;  // relative to the table; "upload <key> <id>" for uploads
    std::string reason;
    int64_t bytes = 0;
  };
  std::vector<Item> deleted;  // or, with dry_run, what would be
  int64_t kept_young = 0;     // unreferenced but younger than the retention
};

VacuumReport vacuum_table(storage::Storage& table, const VacuumOptions& options);

// "128MB", "64MiB", "1GB", "500kB", "4096" (bytes); nullopt when malformed.
// Decimal and binary units both mean powers of 1024, as rotate.max_bytes does.
std::optional<int64_t> parse_byte_size(std::string_view text);

}  // namespace sluice
