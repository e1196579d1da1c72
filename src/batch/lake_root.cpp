#include "batch/lake_root.h"

#include <algorithm>

#include "sinks/lake/commit_log.h"
#include "sinks/lake/lake_tools.h"
#include "storage/fs_util.h"
#include "storage/location.h"

namespace sluice {

LakeRoot::LakeRoot(std::string location, const LakeStorageConfig& config)
    : location_(std::move(location)), config_(config) {
  while (location_.size() > 1 && location_.back() == '/') location_.pop_back();
  root_ = open_lake_storage(location_, config_);
  remote_ = storage::has_scheme(location_);
}

std::string LakeRoot::table_location(const std::string& name) const {
  return location_ + "/" + name;
}

std::unique_ptr<storage::Storage> LakeRoot::open_table(const std::string& name) const {
  return open_lake_storage(table_location(name), config_);
}

std::vector<std::string> LakeRoot::tables() {
  std::vector<std::string> out;
  for (const std::string& name : root_->list_dirs("")) {
    if (name.empty() || name[0] == '_' || name[0] == '.') continue;
    const std::string log = name + "/" + kLakeLogDir;
    if (auto local = root_->local_path(log)) {
      if (lakefs::exists(*local)) out.push_back(name);
    } else if (!root_->list(log + "/", "").objects.empty()) {
      out.push_back(name);
    }
  }
  return out;
}

int64_t LakeRoot::last_data_seq(const std::string& table) {
  Seen& seen = seen_[table];
  std::vector<int64_t> seqs;
  for (const storage::ObjectInfo& o : storage::list_all(*root_, table + "/" + kLakeLogDir + "/")) {
    const std::string name = o.key.substr(o.key.find_last_of('/') + 1);
    if (auto seq = parse_commit_log_name(name)) seqs.push_back(*seq);
  }
  std::sort(seqs.begin(), seqs.end());
  // A log shorter than what was read before: the table was recreated.
  if (seqs.empty() || seqs.back() < seen.last_seq) seen = Seen{};
  seqs.erase(seqs.begin(), std::upper_bound(seqs.begin(), seqs.end(), seen.last_seq));
  std::unique_ptr<storage::Storage> t = open_table(table);
  for (int64_t seq : seqs) {
    std::optional<LakeCommitEntry> e = read_commit_entry(*t, seq);
    if (!e) break;  // listed but unreadable: look again on the next call
    if (!is_compaction_entry(*e)) seen.last_data_seq = seq;
    seen.last_seq = seq;
  }
  return seen.last_data_seq;
}

}  // namespace sluice
