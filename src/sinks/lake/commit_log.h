// The lake's commit log: one JSON file per commit in TABLE/_sluice_log/,
// named by a dense sequence number. Publishing an entry (a hard link that
// fails if the name exists) is the single atomic commit point.
//
// Threading: stateless functions; the log itself is shared between writer
// processes and coordinated through link(2).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/record.h"

namespace sluice::storage {
class Storage;
}

namespace sluice {

inline constexpr const char* kLakeLogDir = "_sluice_log";
inline constexpr const char* kLakeStagingDir = "_sluice_staging";

// One parsed log entry.
struct LakeCommitEntry {
  int64_t seq = 0;
  int64_t timestamp_ms = 0;
  std::string writer_id;
  // Set by the committer: with writer_id and timestamp_ms it makes the
  // entry's bytes unique to one publish attempt ("" in older entries).
  std::string nonce;
  // "" for data, claim and batch entries; kCompactionKind for a compaction
  // (files rewritten, no offsets, rows unchanged).
  std::string kind;
  struct File {
    std::string path;  // relative to the table dir
    int64_t rows = 0;
    int64_t bytes = 0;
    std::string partition;  // "year=2024/month=03", "" when unpartitioned
    std::string staging;    // where it was staged, relative to the table dir
    std::string slice;      // batch outputs: the day ("YYYY-MM-DD") it belongs to
  };
  std::vector<File> files;
  SourceOffsets start_offsets;              // positions this commit's data starts from
  SourceOffsets end_offsets;                // next positions after this commit
  std::map<std::string, std::string> meta;  // free-form, e.g. "dlq_bytes"
  // Files of earlier commits that this commit replaces (batch jobs' replace
  // commits, compaction): they are no longer part of the table.
  std::vector<std::string> removed;

  int64_t rows() const;
};

std::string commit_entry_to_json(const LakeCommitEntry& entry);
// Throws RuntimeError if `text` is not a valid entry.
LakeCommitEntry commit_entry_from_json(const std::string& text);

// "<seq as 20 digits>.json"
std::string commit_log_name(int64_t seq);
// The seq of a published log file name, or nullopt for any other name.
std::optional<int64_t> parse_commit_log_name(const std::string& name);

// Reads the entry with `seq`, or nullopt if it is not published.
std::optional<LakeCommitEntry> read_commit_entry(const std::string& table_dir, int64_t seq);

// All published entries, sorted by seq. Throws RuntimeError on a corrupt one.
std::vector<LakeCommitEntry> read_commit_log(const std::string& table_dir);

// The same through a Storage whose root is the table (local or s3://).
std::optional<LakeCommitEntry> read_commit_entry(storage::Storage& table, int64_t seq);
std::vector<LakeCommitEntry> read_commit_log(storage::Storage& table);

// Ownership claims (scale-out fencing, ARCHITECTURE.md "Fencing a stale
// owner"). A claim entry has no files and no offsets; its meta "claim" holds
// the claiming writer's owner token and "claim_streams" a JSON list of the
// streams it takes over. From that entry on, only that owner may commit
// those streams; a later claim by anyone takes them away.
inline constexpr const char* kClaimMetaKey = "claim";
inline constexpr const char* kClaimStreamsMetaKey = "claim_streams";
bool is_claim_entry(const LakeCommitEntry& entry);
// Builds the meta of a claim entry.
std::map<std::string, std::string> claim_meta(const std::string& owner,
                                              const std::vector<std::string>& streams);
// Records a claim entry's streams in `owners` (stream -> owner token); other
// entries leave it unchanged. Throws RuntimeError on a malformed claim.
void apply_claim(const LakeCommitEntry& entry, std::map<std::string, std::string>& owners);

// Compaction entries (`sluice lake compact`, lake_maintenance.h): they add
// merged files and remove the files merged, carry no stream offsets and no
// state meta, and change no row of the table.
inline constexpr const char* kCompactionKind = "compaction";
bool is_compaction_entry(const LakeCommitEntry& entry);

// The files of the table after every entry of `entries` (in seq order):
// added and not removed by a later entry, keyed by path.
std::map<std::string, LakeCommitEntry::File> live_files(
    const std::vector<LakeCommitEntry>& entries);

}  // namespace sluice
