#include "sinks/lake/commit_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "storage/fs_util.h"
#include "storage/storage.h"

namespace sluice {

int64_t LakeCommitEntry::rows() const {
  int64_t n = 0;
  for (const File& f : files) n += f.rows;
  return n;
}

std::string commit_entry_to_json(const LakeCommitEntry& entry) {
  nlohmann::json j;
  j["seq"] = entry.seq;
  j["timestamp_ms"] = entry.timestamp_ms;
  j["writer_id"] = entry.writer_id;
  if (!entry.nonce.empty()) j["nonce"] = entry.nonce;
  if (!entry.kind.empty()) j["kind"] = entry.kind;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : entry.files) {
    nlohmann::json file = {{"path", f.path},
                           {"rows", f.rows},
                           {"bytes", f.bytes},
                           {"partition", f.partition},
                           {"staging", f.staging}};
    if (!f.slice.empty()) file["slice"] = f.slice;
    files.push_back(std::move(file));
  }
  j["files"] = std::move(files);
  j["start_offsets"] = entry.start_offsets;
  j["end_offsets"] = entry.end_offsets;
  j["meta"] = entry.meta;
  if (!entry.removed.empty()) j["removed"] = entry.removed;
  return j.dump(1) + "\n";
}

namespace {

// A JSON integer that fits int64_t. nlohmann parses a larger literal, or one
// with a fraction or exponent, as a double, and get<int64_t>() of a double
// outside the range is undefined behaviour (found by fuzz_commit_log).
int64_t integer_field(const nlohmann::json& v, const std::string& what) {
  if (v.is_number_integer() &&
      (!v.is_number_unsigned() ||
       v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    return v.get<int64_t>();
  }
  throw RuntimeError("lake: malformed commit log entry: " + what +
                     " is not an integer: " + v.dump());
}

SourceOffsets offsets_field(const nlohmann::json& v, const std::string& what) {
  if (!v.is_object()) {
    throw RuntimeError("lake: malformed commit log entry: " + what + " is not an object");
  }
  SourceOffsets out;
  for (const auto& [stream, offset] : v.items()) {
    out[stream] = integer_field(offset, what + "." + stream);
  }
  return out;
}

}  // namespace

LakeCommitEntry commit_entry_from_json(const std::string& text) {
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    LakeCommitEntry e;
    e.seq = integer_field(j.at("seq"), "seq");
    e.timestamp_ms = integer_field(j.at("timestamp_ms"), "timestamp_ms");
    e.writer_id = j.at("writer_id").get<std::string>();
    e.nonce = j.value("nonce", std::string());
    e.kind = j.value("kind", std::string());
    for (const auto& f : j.at("files")) {
      LakeCommitEntry::File file;
      file.path = f.at("path").get<std::string>();
      file.rows = integer_field(f.at("rows"), "rows");
      file.bytes = integer_field(f.at("bytes"), "bytes");
      file.partition = f.value("partition", std::string());
      file.staging = f.value("staging", std::string());
      file.slice = f.value("slice", std::string());
      e.files.push_back(std::move(file));
    }
    e.start_offsets = offsets_field(j.at("start_offsets"), "start_offsets");
    e.end_offsets = offsets_field(j.at("end_offsets"), "end_offsets");
    if (j.contains("meta")) e.meta = j.at("meta").get<std::map<std::string, std::string>>();
    if (j.contains("removed")) e.removed = j.at("removed").get<std::vector<std::string>>();
    return e;
  } catch (const nlohmann::json::exception& ex) {
    throw RuntimeError(std::string("lake: malformed commit log entry: ") + ex.what());
  }
}

std::string commit_log_name(int64_t seq) {
  return fmt::format("{:020d}.json", seq);
}

std::optional<int64_t> parse_commit_log_name(const std::string& name) {
  if (name.size() != 25 || name.compare(20, 5, ".json") != 0) return std::nullopt;
  int64_t seq = 0;
  for (size_t i = 0; i < 20; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    seq = seq * 10 + (c - '0');
  }
  return seq;
}

std::optional<LakeCommitEntry> read_commit_entry(const std::string& table_dir, int64_t seq) {
  std::string path = table_dir + "/" + kLakeLogDir + "/" + commit_log_name(seq);
  if (!lakefs::exists(path)) return std::nullopt;
  LakeCommitEntry e = commit_entry_from_json(lakefs::read_file(path));
  if (e.seq != seq) {
    throw RuntimeError(fmt::format("lake: log entry {} claims seq {}", path, e.seq));
  }
  return e;
}

std::vector<LakeCommitEntry> read_commit_log(const std::string& table_dir) {
  std::vector<int64_t> seqs;
  for (const std::string& name : lakefs::list_dir(table_dir + "/" + kLakeLogDir)) {
    if (auto seq = parse_commit_log_name(name)) seqs.push_back(*seq);
  }
  std::sort(seqs.begin(), seqs.end());
  std::vector<LakeCommitEntry> out;
  out.reserve(seqs.size());
  for (int64_t seq : seqs) {
    if (auto e = read_commit_entry(table_dir, seq)) out.push_back(std::move(*e));
  }
  return out;
}

std::optional<LakeCommitEntry> read_commit_entry(storage::Storage& table, int64_t seq) {
  const std::string key = std::string(kLakeLogDir) + "/" + commit_log_name(seq);
  auto text = storage::get_if_exists(table, key);
  if (!text) return std::nullopt;
  LakeCommitEntry e = commit_entry_from_json(*text);
  if (e.seq != seq) {
    throw RuntimeError(fmt::format("lake: log entry {}/{} claims seq {}", table.url(), key, e.seq));
  }
  return e;
}

std::vector<LakeCommitEntry> read_commit_log(storage::Storage& table) {
  std::vector<int64_t> seqs;
  const std::string prefix = std::string(kLakeLogDir) + "/";
  for (const storage::ObjectInfo& o : storage::list_all(table, prefix)) {
    if (auto seq = parse_commit_log_name(o.key.substr(prefix.size()))) seqs.push_back(*seq);
  }
  std::sort(seqs.begin(), seqs.end());
  std::vector<LakeCommitEntry> out;
  out.reserve(seqs.size());
  for (int64_t seq : seqs) {
    if (auto e = read_commit_entry(table, seq)) out.push_back(std::move(*e));
  }
  return out;
}

bool is_claim_entry(const LakeCommitEntry& entry) {
  return entry.meta.count(kClaimMetaKey) != 0;
}

std::map<std::string, std::string> claim_meta(const std::string& owner,
                                              const std::vector<std::string>& streams) {
  return {{kClaimMetaKey, owner}, {kClaimStreamsMetaKey, nlohmann::json(streams).dump()}};
}

void apply_claim(const LakeCommitEntry& entry, std::map<std::string, std::string>& owners) {
  auto owner = entry.meta.find(kClaimMetaKey);
  if (owner == entry.meta.end()) return;
  auto streams = entry.meta.find(kClaimStreamsMetaKey);
  try {
    if (streams == entry.meta.end()) throw std::invalid_argument("no claim_streams");
    for (const auto& s : nlohmann::json::parse(streams->second)) {
      owners[s.get<std::string>()] = owner->second;
    }
  } catch (const std::exception& ex) {
    throw RuntimeError(
        fmt::format("lake: malformed claim in log entry {}: {}", entry.seq, ex.what()));
  }
}

bool is_compaction_entry(const LakeCommitEntry& entry) {
  return entry.kind == kCompactionKind;
}

std::map<std::string, LakeCommitEntry::File> live_files(
    const std::vector<LakeCommitEntry>& entries) {
  std::map<std::string, LakeCommitEntry::File> live;
  for (const LakeCommitEntry& e : entries) {
    for (const std::string& path : e.removed) live.erase(path);
    for (const LakeCommitEntry::File& f : e.files) live[f.path] = f;
  }
  return live;
}

}  // namespace sluice
