// `sluice lake vacuum`: see lake_maintenance.h and ARCHITECTURE.md
// "Compaction and vacuum".
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "core/error.h"
#include "core/time.h"
#include "sinks/lake/commit_protocol.h"
#include "sinks/lake/lake_maintenance.h"
#include "storage/fs_util.h"
#include "storage/local_storage.h"
#include "storage/s3/s3_storage.h"
#include "storage/storage.h"

namespace sluice {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A path component starting with '_' or '.' (staging, log, hidden files):
// what Spark, Trino and Athena skip.
bool hidden_path(const std::string& key) {
  size_t pos = 0;
  while (pos < key.size()) {
    if (key[pos] == '_' || key[pos] == '.') return true;
    size_t slash = key.find('/', pos);
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return false;
}

}  // namespace

std::optional<int64_t> parse_byte_size(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0 || i > 15) return std::nullopt;
  int64_t n = 0;
  for (size_t k = 0; k < i; ++k) n = n * 10 + (text[k] - '0');
  std::string unit(text.substr(i));
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.empty() || unit == "B") return n;
  if (unit == "K" || unit == "KB" || unit == "KIB") return n << 10;
  if (unit == "M" || unit == "MB" || unit == "MIB") return n << 20;
  if (unit == "G" || unit == "GB" || unit == "GIB") return n << 30;
  return std::nullopt;
}

VacuumReport vacuum_table(storage::Storage& table, const VacuumOptions& options) {
  if (options.retain_ms < 0) throw RuntimeError("lake vacuum: negative retention");
  VacuumReport report;
  std::vector<LakeCommitEntry> entries;
  if (options.dry_run) {
    entries = read_commit_log(table);
  } else {
    // Roll forward what a crash interrupted (moves of published entries,
    // deletions of removed files) before judging what is unreferenced.
    char host[256] = {0};
    if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = 0;
    LakeCommitter committer(table,
                            fmt::format("vacuum-{}-{}", host[0] ? host : "localhost", ::getpid()));
    entries = committer.recover();
  }
  const auto live = live_files(entries);
  std::set<std::string> staged_refs, removed;
  for (const LakeCommitEntry& e : entries) {
    for (const auto& f : e.files) {
      if (!f.staging.empty()) staged_refs.insert(f.staging);
    }
    removed.insert(e.removed.begin(), e.removed.end());
  }
  const int64_t now_ms = now_micros() / 1000;
  const int64_t cutoff = now_ms - options.retain_ms;
  const std::string staging_prefix = std::string(kLakeStagingDir) + "/";
  const std::string log_prefix = std::string(kLakeLogDir) + "/";
  std::vector<std::pair<storage::ObjectInfo, VacuumReport::Item>> candidates;
  for (storage::ObjectInfo& o : storage::list_all(table, "")) {
    std::string reason;
    bool any_age = false;  // removed files go regardless of age (a crashed deletion)
    if (starts_with(o.key, log_prefix)) {
      if (ends_with(o.key, ".tmp")) reason = "temporary log file";
    } else if (starts_with(o.key, staging_prefix)) {
      // A published entry's staged file is still to be moved (recover did
      // it unless dry_run): never delete it.
      if (!staged_refs.count(o.key)) reason = "staged, never published";
    } else if (ends_with(o.key, ".parquet") && !hidden_path(o.key) && !live.count(o.key)) {
      if (removed.count(o.key)) {
        reason = "removed by a commit";
        any_age = true;
      } else {
        reason = "not in the commit log";
      }
    }
    if (reason.empty()) continue;
    if (!any_age && o.modified_ms > cutoff) {
      ++report.kept_young;
      continue;
    }
    VacuumReport::Item item{o.key, reason, o.size};
    candidates.emplace_back(std::move(o), std::move(item));
  }
  // Entries published while we listed (a writer committing now): whatever
  // they name is live, even if the listing above came before them.
  const int64_t last_seq = entries.empty() ? 0 : entries.back().seq;
  for (int64_t seq = last_seq + 1;; ++seq) {
    auto e = read_commit_entry(table, seq);
    if (!e) break;
    for (const auto& f : e->files) {
      staged_refs.insert(f.staging);
      staged_refs.insert(f.path);
    }
  }
  for (auto& [object, item] : candidates) {
    if (staged_refs.count(object.key)) continue;
    if (!options.dry_run) table.remove(object.key);
    report.deleted.push_back(std::move(item));
  }
  // LocalStorage's temporary files (a write killed between its temp file
  // and the rename or link): never listed, so swept here, after the same
  // retention (a running write may own a young one).
  if (auto* local = dynamic_cast<storage::LocalStorage*>(&table)) {
    for (const std::string& rel : lakefs::list_files_recursive(local->url())) {
      const std::string base = rel.substr(rel.find_last_of('/') + 1);
      if (!starts_with(base, storage::kLocalTmpPrefix)) continue;
      const std::string path = local->url() + "/" + rel;
      struct stat st;
      if (::lstat(path.c_str(), &st) != 0) continue;  // raced away
      const int64_t modified_ms = int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1000000;
      if (modified_ms > cutoff) {
        ++report.kept_young;
        continue;
      }
      if (!options.dry_run) lakefs::remove_file(path);
      report.deleted.push_back(
          {rel, "temporary file of an interrupted write", static_cast<int64_t>(st.st_size)});
    }
  }
  if (auto* s3 = dynamic_cast<storage::S3Storage*>(&table)) {
    for (const storage::MultipartUpload& u : s3->list_uploads("")) {
      auto started = parse_iso8601(u.initiated);
      if (started && *started / 1000 > cutoff) {
        ++report.kept_young;
        continue;
      }
      if (!options.dry_run) s3->abort_upload(u);
      report.deleted.push_back(
          {fmt::format("upload {} {}", u.key, u.upload_id), "multipart upload not completed", 0});
    }
  }
  return report;
}

}  // namespace sluice
