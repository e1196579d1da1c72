#include "storage/s3/credentials.h"

#include <cstdlib>
#include <fstream>
#include <map>

#include "storage/storage.h"

namespace sluice::storage {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// The key = value pairs of section [profile] of an INI file; nullopt if the
// file or the section is missing.
std::optional<std::map<std::string, std::string>> read_profile(const std::string& file,
                                                               const std::string& profile) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::optional<std::map<std::string, std::string>> out;
  bool in_section = false;
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      std::string name = trim(line.substr(1, line.size() - 2));
      in_section = name == profile;
      if (in_section && !out) out.emplace();
      continue;
    }
    if (!in_section) continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    (*out)[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return out;
}

}  // namespace

Credentials load_credentials(
    const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  auto env = [&](const char* name) -> std::string {
    auto v = getenv(name);
    return v ? *v : std::string();
  };
  Credentials c;
  c.access_key = env("AWS_ACCESS_KEY_ID");
  c.secret_key = env("AWS_SECRET_ACCESS_KEY");
  if (!c.access_key.empty() || !c.secret_key.empty()) {
    if (c.access_key.empty() || c.secret_key.empty()) {
      throw StorageError(
          StorageErrorKind::kPermissionDenied,
          std::string("s3: ") +
              (c.access_key.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") +
              " is not set although " +
              (c.access_key.empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") + " is");
    }
    c.session_token = env("AWS_SESSION_TOKEN");
    c.source = "environment";
    return c;
  }
  const std::string explicit_profile = env("AWS_PROFILE");
  const std::string profile = explicit_profile.empty() ? "default" : explicit_profile;
  std::string file = env("AWS_SHARED_CREDENTIALS_FILE");
  if (file.empty()) {
    const std::string home = env("HOME");
    file = (home.empty() ? std::string(".") : home) + "/.aws/credentials";
  }
  auto section = read_profile(file, profile);
  if (!section) {
    throw StorageError(
        StorageErrorKind::kPermissionDenied,
        explicit_profile.empty()
            ? "s3: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE "
              "with a profile in " +
                  file
            : "s3: profile '" + profile + "' (AWS_PROFILE) not found in " + file);
  }
  c.access_key = (*section)["aws_access_key_id"];
  c.secret_key = (*section)["aws_secret_access_key"];
  c.session_token = (*section)["aws_session_token"];
  c.source = "profile " + profile + " in " + file;
  if (c.access_key.empty() || c.secret_key.empty()) {
    throw StorageError(StorageErrorKind::kPermissionDenied,
                       "s3: profile '" + profile + "' in " + file +
                           " lacks aws_access_key_id or aws_secret_access_key");
  }
  return c;
}

Credentials load_credentials() {
  return load_credentials([](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  });
}

}  // namespace sluice::storage
