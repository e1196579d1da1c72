// The S3 storage against a real Ceph RADOS Gateway started for this binary
// (tests/support/rgw.sh): the conformance suite, conditional create under
// concurrency, multipart uploads (complete, and aborted on failure with no
// upload left behind), and the errors a user meets: wrong secret, unknown
// key id, missing bucket, clock skew.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "storage/location.h"
#include "storage/s3/s3_storage.h"
#include "storage_conformance.h"
#include "support/fault_proxy.h"
#include "support/rgw_fixture.h"

namespace sluice {
namespace {

using storage::S3Storage;
using storage::StorageError;
using storage::StorageErrorKind;
using testsupport::RgwEnvironment;

S3Storage rgw_storage(const std::string& bucket, const std::string& prefix,
                      S3Storage::Limits limits = {}) {
  return S3Storage(RgwEnvironment::get().client_config(bucket), prefix, limits);
}

class S3Rgw : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { RgwEnvironment::get().create_bucket("conformance"); }
};

TEST_F(S3Rgw, PutGetHeadDelete) {
  S3Storage s = rgw_storage("conformance", "pgh");
  testsupport::conformance_put_get_head_delete(s);
}

TEST_F(S3Rgw, ListsEveryKeyInOrder) {
  S3Storage s = rgw_storage("conformance", "list/deeper");
  testsupport::conformance_list(s);
}

TEST_F(S3Rgw, PutIfAbsentHasOneWinner) {
  S3Storage s = rgw_storage("conformance", "pia");
  testsupport::conformance_put_if_absent(s);
}

TEST_F(S3Rgw, FilesAndCopy) {
  testsupport::TempDir dir;
  S3Storage s = rgw_storage("conformance", "files");
  testsupport::conformance_files_and_copy(s, dir.path());
  testsupport::conformance_move_all(s);
}

TEST_F(S3Rgw, OpenStorageFromTheEnvironment) {
  RgwEnvironment::get().export_environment();
  auto s = storage::open_storage("s3://conformance/env/x", {});
  EXPECT_EQ(s->url(), "s3://conformance/env/x");
  s->put("k", "v");
  EXPECT_EQ(rgw_storage("conformance", "").get("env/x/k"), "v");
}

TEST_F(S3Rgw, MultipartUploadInParallelParts) {
  testsupport::TempDir dir;
  const std::string file = dir.path() + "/big.bin";
  const std::string data = testsupport::pattern_bytes((23 << 20) + 12345, 3);
  {
    std::ofstream out(file, std::ios::binary);
    out << data;
  }
  S3Storage::Limits limits;
  limits.multipart_threshold = 8 << 20;
  limits.part_size = 5 << 20;
  limits.parallel_parts = 3;
  S3Storage s = rgw_storage("conformance", "mp", limits);
  const int64_t before = s.client().attempts();
  s.put_file("big.bin", file);
  // Create + 5 parts + complete.
  EXPECT_EQ(s.client().attempts() - before, 7);
  EXPECT_EQ(s.head("big.bin")->size, static_cast<int64_t>(data.size()));
  EXPECT_TRUE(s.get_range("big.bin", 5 << 20, 100) == data.substr(5 << 20, 100));
  EXPECT_TRUE(s.get("big.bin") == data);
  EXPECT_TRUE(s.list_uploads("").empty());
}

TEST_F(S3Rgw, FailedMultipartUploadIsAborted) {
  testsupport::TempDir dir;
  const std::string file = dir.path() + "/short.bin";
  {
    std::ofstream out(file, std::ios::binary);
    out << testsupport::pattern_bytes(12 << 20, 4);
  }
  auto config = RgwEnvironment::get().client_config("conformance");
  config.max_retries = 1;
  S3Storage::Limits limits;
  limits.part_size = 5 << 20;
  S3Storage s(config, "mpfail", limits);
  // The file is shorter than the size claimed: the last part cannot be read.
  EXPECT_THROW(s.multipart_upload("broken.bin", file, 20 << 20), StorageError);
  EXPECT_TRUE(s.list_uploads("").empty()) << "an upload was left behind";
  EXPECT_FALSE(s.head("broken.bin"));
}

TEST_F(S3Rgw, WrongSecretIsAClear403) {
  auto config = RgwEnvironment::get().client_config("conformance");
  config.credentials.secret_key = "not-the-secret";
  S3Storage s(config, "", {});
  try {
    s.get("anything");
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageErrorKind::kPermissionDenied);
    std::string msg = e.what();
    EXPECT_NE(msg.find("HTTP 403 SignatureDoesNotMatch"), std::string::npos) << msg;
    EXPECT_NE(msg.find("wrong secret key"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("not-the-secret"), std::string::npos) << msg;
  }
  EXPECT_EQ(s.client().attempts(), 1);  // not retried
}

TEST_F(S3Rgw, UnknownAccessKey) {
  auto config = RgwEnvironment::get().client_config("conformance");
  config.credentials.access_key = "NOSUCHKEY";
  S3Storage s(config, "", {});
  try {
    s.put("k", "v");
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageErrorKind::kPermissionDenied);
    EXPECT_NE(std::string(e.what()).find("InvalidAccessKeyId"), std::string::npos) << e.what();
  }
}

TEST_F(S3Rgw, MissingBucket) {
  S3Storage s = rgw_storage("no-such-bucket", "x");
  try {
    s.put("k", "v");
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageErrorKind::kBucketMissing);
    EXPECT_NE(std::string(e.what()).find("bucket does not exist"), std::string::npos) << e.what();
  }
}

TEST_F(S3Rgw, ClockSkew) {
  auto config = RgwEnvironment::get().client_config("conformance");
  config.clock_ms = [] {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() -
           3600 * 1000;
  };
  S3Storage s(config, "", {});
  try {
    s.get("anything");
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageErrorKind::kClockSkew);
    EXPECT_NE(std::string(e.what()).find("clock"), std::string::npos) << e.what();
  }
  // The same client with the right time works.
  config.clock_ms = [] {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  };
  S3Storage ok(config, "skew", {});
  ok.put("k", "v");
  EXPECT_EQ(ok.get("k"), "v");
}

// The same storage through a proxy that injects faults in front of RGW.
S3Storage proxied(testsupport::FaultProxy& proxy, const std::string& prefix, int max_retries = 6) {
  auto config = RgwEnvironment::get().client_config("conformance");
  config.host = "127.0.0.1:" + std::to_string(proxy.port());
  config.max_retries = max_retries;
  config.retry_base_ms = 5;
  config.stall_timeout_s = 1;
  return S3Storage(config, prefix, {});
}

int rgw_port() {
  const std::string host = RgwEnvironment::get().host();
  return std::stoi(host.substr(host.find(':') + 1));
}

TEST_F(S3Rgw, FaultsAreRetriedAndNothingIsLost) {
  using Action = testsupport::FaultProxy::Action;
  testsupport::FaultProxy proxy(rgw_port());
  S3Storage s = proxied(proxy, "faults");
  proxy.script({Action::kSlowDown, Action::kServerError, Action::kDropAfterForward});
  s.put("k", "value");  // three faults, then it goes through
  EXPECT_EQ(proxy.requests(), 4);
  EXPECT_EQ(s.get("k"), "value");
  // A delay beyond the stall limit is a timeout, retried.
  proxy.set_delay_ms(2500);
  proxy.script({Action::kDelay});
  EXPECT_EQ(s.get("k"), "value");
  EXPECT_EQ(proxy.requests(), 7);  // put x4, get, delayed get, get
}

TEST_F(S3Rgw, ConditionalCreateWhoseAnswerIsDropped) {
  using Action = testsupport::FaultProxy::Action;
  testsupport::FaultProxy proxy(rgw_port());
  S3Storage s = proxied(proxy, "dropped");
  // RGW creates the object, the answer never arrives; the retry meets 412,
  // and the read-back finds our bytes: the create is ours, exactly once.
  proxy.script({Action::kDropAfterForward});
  EXPECT_TRUE(s.put_if_absent("log/1.json", "entry A"));
  EXPECT_FALSE(s.put_if_absent("log/1.json", "entry B"));
  EXPECT_EQ(s.get("log/1.json"), "entry A");
}

TEST_F(S3Rgw, RetriesAreBoundedBehindAFaultyProxy) {
  using Action = testsupport::FaultProxy::Action;
  testsupport::FaultProxy proxy(rgw_port());
  S3Storage s = proxied(proxy, "bounded", 3);
  proxy.script(std::vector<Action>(100, Action::kSlowDown));
  try {
    s.put("k", "v");
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageErrorKind::kTransient);
    EXPECT_NE(std::string(e.what()).find("gave up after 4 attempts"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(proxy.requests(), 4);
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new sluice::testsupport::RgwEnvironment);
  return RUN_ALL_TESTS();
}
