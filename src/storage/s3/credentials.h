// AWS credentials from the standard places, in the AWS CLI's order:
// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), then the
// profile AWS_PROFILE (default "default") of the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials). The secret and
// the token never appear in a message.
//
// Threading: stateless; reads the environment.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace sluice::storage {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // empty unless temporary credentials
  std::string source;         // "environment" or "profile NAME in FILE", for messages
};

// `getenv` is injectable for tests. Throws StorageError kPermissionDenied
// naming the places it looked if no credentials are found.
Credentials load_credentials(
    const std::function<std::optional<std::string>(const std::string&)>& getenv);
Credentials load_credentials();

}  // namespace sluice::storage
