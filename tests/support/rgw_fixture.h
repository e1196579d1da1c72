// A RADOS Gateway for a whole test binary: started once (about 20 s) by
// tests/support/rgw.sh in a temporary directory on free loopback ports,
// stopped when the binary ends. Register it with
//   ::testing::AddGlobalTestEnvironment(new sluice::testsupport::RgwEnvironment)
// (see rgw_main() below) and reach it through RgwEnvironment::get().
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "storage/location.h"
#include "storage/s3/s3_storage.h"
#include "temp_dir.h"

namespace sluice::testsupport {

class RgwEnvironment : public ::testing::Environment {
 public:
  static RgwEnvironment& get() { return *instance(); }

  void SetUp() override {
    instance() = this;
    dir_ = std::make_unique<TempDir>("sluice-rgw");
    const std::string cmd = std::string("bash ") + SLUICE_SOURCE_DIR +
                            "/tests/support/rgw.sh start " + dir_->path() + "/rgw > " +
                            dir_->path() + "/start.out 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      std::ifstream in(dir_->path() + "/start.out");
      std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      FAIL() << "tests/support/rgw.sh could not start RGW:\n" << out;
    }
    std::ifstream env(dir_->path() + "/rgw/env");
    std::string line;
    while (std::getline(env, line)) {
      size_t eq = line.find('=');
      if (eq != std::string::npos) vars_[line.substr(0, eq)] = line.substr(eq + 1);
    }
    endpoint_ = vars_["RGW_ENDPOINT"];
    access_key_ = vars_["RGW_ACCESS_KEY"];
    secret_key_ = vars_["RGW_SECRET_KEY"];
  }

  void TearDown() override {
    const std::string cmd = std::string("bash ") + SLUICE_SOURCE_DIR +
                            "/tests/support/rgw.sh stop " + dir_->path() + "/rgw > /dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "rgw.sh stop failed";
    dir_.reset();
  }

  const std::string& endpoint() const { return endpoint_; }
  const std::string& access_key() const { return access_key_; }
  const std::string& secret_key() const { return secret_key_; }
  std::string host() const { return endpoint_.substr(endpoint_.find("://") + 3); }

  // A client configuration for `bucket` with this gateway's user.
  storage::S3ClientConfig client_config(const std::string& bucket) const {
    storage::S3ClientConfig c;
    c.scheme = "http";
    c.host = host();
    c.bucket = bucket;
    c.path_style = true;
    c.credentials.access_key = access_key_;
    c.credentials.secret_key = secret_key_;
    c.retry_base_ms = 20;
    return c;
  }

  // Creates the bucket (idempotent for its owner).
  void create_bucket(const std::string& bucket) const {
    storage::S3Client client(client_config(bucket));
    storage::S3Request r;
    r.method = "PUT";
    r.accept = {409};
    client.send(r);
  }

  // Sets AWS_* variables so that open_storage() and `sluice` reach this gateway.
  void export_environment() const {
    ::setenv("AWS_ACCESS_KEY_ID", access_key_.c_str(), 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", secret_key_.c_str(), 1);
    ::setenv("AWS_ENDPOINT_URL", endpoint_.c_str(), 1);
    ::unsetenv("AWS_SESSION_TOKEN");
    ::unsetenv("AWS_PROFILE");
  }

 private:
  static RgwEnvironment*& instance() {
    static RgwEnvironment* env = nullptr;
    return env;
  }
  std::unique_ptr<TempDir> dir_;
  std::map<std::string, std::string> vars_;
  std::string endpoint_, access_key_, secret_key_;
};

}  // namespace sluice::testsupport
