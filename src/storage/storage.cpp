#include "storage/storage.h"

namespace sluice::storage {

const char* storage_error_kind_name(StorageErrorKind kind) {
  switch (kind) {
    case StorageErrorKind::kNotFound:
      return "not_found";
    case StorageErrorKind::kBucketMissing:
      return "bucket_missing";
    case StorageErrorKind::kPermissionDenied:
      return "permission_denied";
    case StorageErrorKind::kClockSkew:
      return "clock_skew";
    case StorageErrorKind::kTransient:
      return "transient";
    case StorageErrorKind::kInvalid:
      return "invalid";
    case StorageErrorKind::kIo:
      return "io";
  }
  return "unknown";
}

std::vector<size_t> Storage::move_all(
    const std::vector<std::pair<std::string, std::string>>& moves) {
  std::vector<size_t> missing;
  for (size_t i = 0; i < moves.size(); ++i) {
    try {
      move(moves[i].first, moves[i].second);
    } catch (const StorageError& ex) {
      if (ex.kind() != StorageErrorKind::kNotFound) throw;
      missing.push_back(i);
    }
  }
  return missing;
}

std::vector<ObjectInfo> list_all(Storage& storage, const std::string& prefix) {
  std::vector<ObjectInfo> out;
  std::string token;
  do {
    ListPage page = storage.list(prefix, token);
    for (auto& o : page.objects) out.push_back(std::move(o));
    token = std::move(page.next_token);
  } while (!token.empty());
  return out;
}

std::optional<std::string> get_if_exists(Storage& storage, const std::string& key) {
  try {
    return storage.get(key);
  } catch (const StorageError& e) {
    if (e.kind() == StorageErrorKind::kNotFound) return std::nullopt;
    throw;
  }
}

std::string join_key(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

}  // namespace sluice::storage
