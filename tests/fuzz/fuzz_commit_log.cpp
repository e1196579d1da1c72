// libFuzzer target: any bytes as a commit-log entry (_sluice_log/NNN.json),
// then as a claim. Reading must return an entry or throw RuntimeError; an
// entry read back must survive a write/read round trip unchanged.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "core/error.h"
#include "sinks/lake/commit_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  sluice::LakeCommitEntry e;
  try {
    e = sluice::commit_entry_from_json(text);
  } catch (const sluice::RuntimeError&) {
    return 0;
  }
  sluice::LakeCommitEntry again = sluice::commit_entry_from_json(sluice::commit_entry_to_json(e));
  if (again.seq != e.seq || again.files.size() != e.files.size() ||
      again.end_offsets != e.end_offsets || again.meta != e.meta || again.removed != e.removed)
    std::abort();
  std::map<std::string, std::string> owners;
  try {
    sluice::apply_claim(e, owners);
  } catch (const sluice::RuntimeError&) {
  }
  (void)e.rows();
  return 0;
}
