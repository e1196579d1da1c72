// LakeWriter's ownership claims: the scale-out fence (see lake_writer.h and
// ARCHITECTURE.md "Fencing a stale owner"). Kept apart from the commit path;
// commit() only consults owners_ in its fence check.
#include <fmt/format.h>
#include <unistd.h>

#include "core/time.h"
#include "sinks/lake/fs_util.h"
#include "sinks/lake/lake_writer.h"

namespace sluice {

std::string LakeWriter::owner_token() const {
  return fmt::format("{}@{}.{:x}", writer_id_, static_cast<long>(::getpid()), nonce_);
}

SourceOffsets LakeWriter::claim(const std::vector<std::string>& streams) {
  if (!opened_) throw RuntimeError("lake: claim() before open()");
  LakeCommitEntry entry;
  entry.writer_id = writer_id_;
  entry.meta = claim_meta(owner_token(), streams);
  // Like a commit's step 2: link() publishes the entry at the next free seq.
  // The positions returned are those of the log just below the claim, so
  // every commit of a former owner is either before it (and counted in the
  // positions) or after it (and refused by its fence).
  for (;;) {
    refresh_log();
    entry.seq = last_seq_ + 1;
    entry.timestamp_ms = now_micros() / 1000;
    std::string tmp = fmt::format("{}/.{:020d}.claim.{}.tmp", log_dir_, entry.seq, file_id_);
    std::string published = log_dir_ + "/" + commit_log_name(entry.seq);
    bool done = false;
    try {
      lakefs::write_file_synced(tmp, commit_entry_to_json(entry));
      done = lakefs::link_if_absent(tmp, published);
      if (done) lakefs::fsync_path(log_dir_);
      lakefs::remove_file(tmp);
    } catch (const RuntimeError&) {
      ::unlink(tmp.c_str());
      throw;
    }
    if (done) break;
  }
  last_seq_ = entry.seq;
  apply_claim(entry, owners_);
  SourceOffsets positions;
  for (const auto& s : streams) {
    auto it = committed_.find(s);
    if (it != committed_.end()) positions[s] = it->second;
  }
  return positions;
}

}  // namespace sluice
