// LakeWriter's ownership claims: the scale-out fence (see lake_writer.h and
// ARCHITECTURE.md "Fencing a stale owner"). Kept apart from the commit path;
// commit() only consults owners_ in its fence check.
#include <fmt/format.h>
#include <unistd.h>

#include "sinks/lake/commit_protocol.h"
#include "sinks/lake/lake_writer.h"

namespace sluice {

std::string LakeWriter::owner_token() const {
  return fmt::format("{}@{}.{:x}", writer_id_, static_cast<long>(::getpid()), nonce_);
}

SourceOffsets LakeWriter::claim(const std::vector<std::string>& streams) {
  if (!opened_) throw RuntimeError("lake: claim() before open()");
  LakeCommitEntry entry;
  entry.meta = claim_meta(owner_token(), streams);
  // Published like a commit (LakeCommitter::publish) at the next free seq.
  // The positions returned are those of the log just below the claim, so
  // every commit of a former owner is either before it (and counted in the
  // positions) or after it (and refused by its fence).
  refresh_log();
  entry = committer_->publish(std::move(entry), [&](const std::vector<LakeCommitEntry>& newer) {
    for (const LakeCommitEntry& e : newer) apply_entry(e);
  });
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
