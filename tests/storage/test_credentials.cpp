// Credentials from the environment and from the shared credentials file;
// errors name the places looked at and never the secret.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "storage/s3/credentials.h"
#include "storage/storage.h"
#include "support/temp_dir.h"

namespace sluice {
namespace {

using storage::Credentials;
using storage::load_credentials;
using storage::StorageError;

auto env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Credentials, EnvironmentComesFirst) {
  Credentials c = load_credentials(env_of({{"AWS_ACCESS_KEY_ID", "AK"},
                                           {"AWS_SECRET_ACCESS_KEY", "SK"},
                                           {"AWS_SESSION_TOKEN", "TOK"},
                                           {"AWS_PROFILE", "other"}}));
  EXPECT_EQ(c.access_key, "AK");
  EXPECT_EQ(c.secret_key, "SK");
  EXPECT_EQ(c.session_token, "TOK");
  EXPECT_EQ(c.source, "environment");
}

TEST(Credentials, HalfAnEnvironmentPairIsAnError) {
  try {
    load_credentials(env_of({{"AWS_SECRET_ACCESS_KEY", "very-secret"}}));
    FAIL();
  } catch (const StorageError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("AWS_ACCESS_KEY_ID"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("very-secret"), std::string::npos) << msg;
  }
}

TEST(Credentials, ProfileFromTheSharedFile) {
  testsupport::TempDir dir;
  const std::string file = dir.path() + "/credentials";
  testsupport::write_file(file,
                          "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = d\n"
                          "\n# comment\n[ci]\naws_access_key_id=CIKEY\r\naws_secret_access_key = "
                          "ci/secret+x\naws_session_token = tok\n");
  Credentials d = load_credentials(env_of({{"AWS_SHARED_CREDENTIALS_FILE", file}}));
  EXPECT_EQ(d.access_key, "DEFAULTKEY");
  Credentials c =
      load_credentials(env_of({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "ci"}}));
  EXPECT_EQ(c.access_key, "CIKEY");
  EXPECT_EQ(c.secret_key, "ci/secret+x");
  EXPECT_EQ(c.session_token, "tok");
  EXPECT_EQ(c.source, "profile ci in " + file);
  // HOME/.aws/credentials when no file is named.
  std::filesystem::create_directories(dir.path() + "/.aws");
  testsupport::write_file(dir.path() + "/.aws/credentials",
                          "[default]\naws_access_key_id=HOMEKEY\naws_secret_access_key=h\n");
  EXPECT_EQ(load_credentials(env_of({{"HOME", dir.path()}})).access_key, "HOMEKEY");
}

TEST(Credentials, MissingProfileNamesProfileAndFile) {
  testsupport::TempDir dir;
  const std::string file = dir.path() + "/credentials";
  testsupport::write_file(file, "[default]\naws_access_key_id=A\naws_secret_access_key=hidden\n");
  try {
    load_credentials(env_of({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "prod"}}));
    FAIL();
  } catch (const StorageError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("'prod'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    EXPECT_EQ(msg.find("hidden"), std::string::npos) << msg;
  }
  try {
    load_credentials(env_of({{"HOME", dir.path()}}));
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("AWS_ACCESS_KEY_ID"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sluice
