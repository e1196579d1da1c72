// Error mapping and retries of the S3 storage, against a scripted loopback
// server: which failures are retried (5xx, SlowDown, 200-with-an-error,
// refused connections) and how often, which fail at once, what the final
// message says, and that a conditional create whose answer was lost is
// recognised as ours when the retry meets 412.
#include <gtest/gtest.h>

#include "capture_server.h"
#include "storage/s3/s3_errors.h"
#include "storage/s3/s3_storage.h"

namespace sluice {
namespace {

using storage::S3ClientConfig;
using storage::S3Storage;
using storage::StorageError;
using storage::StorageErrorKind;
using testsupport::CaptureServer;

std::string error_xml(const std::string& code) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
         "</Code><Message></Message></Error>";
}

S3Storage make_storage(int port, int max_retries = 3) {
  S3ClientConfig c;
  c.scheme = "http";
  c.host = "127.0.0.1:" + std::to_string(port);
  c.bucket = "bkt";
  c.path_style = true;
  c.credentials.access_key = "AKID";
  c.credentials.secret_key = "super-secret-value";
  c.max_retries = max_retries;
  c.retry_base_ms = 1;
  c.retry_max_ms = 4;
  return S3Storage(std::move(c), "pre", {});
}

StorageError expect_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const StorageError& e) {
    return e;
  }
  ADD_FAILURE() << "no StorageError";
  return StorageError(StorageErrorKind::kIo, "none");
}

TEST(S3Errors, SlowDownAndServerErrorsAreRetried) {
  CaptureServer server;
  server.script({{503, error_xml("SlowDown")}, {500, error_xml("InternalError")}, {200, "data"}});
  S3Storage s = make_storage(server.port());
  EXPECT_EQ(s.get("k"), "data");
  EXPECT_EQ(server.seen().size(), 3u);
  EXPECT_EQ(server.seen()[0].path, "/bkt/pre/k");
}

TEST(S3Errors, RetriesAreBoundedAndTheLastErrorIsClear) {
  CaptureServer server;
  server.script({{503, error_xml("SlowDown")}});
  S3Storage s = make_storage(server.port(), 3);
  StorageError e = expect_error([&] { s.put("k", "v"); });
  EXPECT_EQ(e.kind(), StorageErrorKind::kTransient);
  EXPECT_EQ(server.seen().size(), 4u);  // 1 + 3 retries
  std::string msg = e.what();
  EXPECT_NE(msg.find("s3: PUT s3://bkt/pre/k"), std::string::npos) << msg;
  EXPECT_NE(msg.find("HTTP 503 SlowDown"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gave up after 4 attempts"), std::string::npos) << msg;
}

TEST(S3Errors, WrongSecretFailsAtOnceWithoutTheSecret) {
  CaptureServer server;
  server.script({{403, error_xml("SignatureDoesNotMatch")}});
  S3Storage s = make_storage(server.port());
  StorageError e = expect_error([&] { s.get("k"); });
  EXPECT_EQ(e.kind(), StorageErrorKind::kPermissionDenied);
  EXPECT_EQ(server.seen().size(), 1u);
  std::string msg = e.what();
  EXPECT_NE(msg.find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("super-secret-value"), std::string::npos) << msg;
}

TEST(S3Errors, EachCauseHasItsKindAndHint) {
  struct Case {
    int status;
    std::string code;
    StorageErrorKind kind;
    std::string hint;
  };
  std::vector<Case> cases = {
      {404, "NoSuchBucket", StorageErrorKind::kBucketMissing, "bucket does not exist"},
      {404, "NoSuchKey", StorageErrorKind::kNotFound, "no such object"},
      {403, "InvalidAccessKeyId", StorageErrorKind::kPermissionDenied, "AWS_ACCESS_KEY_ID"},
      {403, "RequestTimeTooSkewed", StorageErrorKind::kClockSkew, "clock"},
      {403, "AccessDenied", StorageErrorKind::kPermissionDenied, "access denied"},
      {400, "InvalidArgument", StorageErrorKind::kInvalid, "HTTP 400 InvalidArgument"},
  };
  for (const Case& c : cases) {
    CaptureServer server;
    server.script({{c.status, error_xml(c.code)}});
    S3Storage s = make_storage(server.port());
    StorageError e = expect_error([&] { s.get("k"); });
    EXPECT_EQ(e.kind(), c.kind) << c.code;
    EXPECT_NE(std::string(e.what()).find(c.hint), std::string::npos) << e.what();
    EXPECT_EQ(server.seen().size(), 1u) << c.code << " must not be retried";
  }
}

TEST(S3Errors, ErrorInsideA200CopyIsRetried) {
  CaptureServer server;
  server.script(
      {{200, error_xml("InternalError")}, {200, "<CopyObjectResult></CopyObjectResult>"}});
  S3Storage s = make_storage(server.port());
  s.copy("a", "b");
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].header("x-amz-copy-source"), "/bkt/pre/a");
}

TEST(S3Errors, RefusedConnectionIsRetriedThenReported) {
  int port;
  {
    CaptureServer server;
    port = server.port();
  }  // nothing listens there any more
  S3Storage s = make_storage(port, 2);
  StorageError e = expect_error([&] { s.get("k"); });
  EXPECT_EQ(e.kind(), StorageErrorKind::kTransient);
  EXPECT_NE(std::string(e.what()).find("connection failed"), std::string::npos) << e.what();
  EXPECT_EQ(s.client().attempts(), 3);
}

TEST(S3Errors, ConditionalCreateWhoseAnswerWasLost) {
  // The first PUT is stored, but its answer is a 500 (as if the connection
  // dropped after the server applied it); the retry meets 412. The object
  // holds our bytes, so the create is ours.
  CaptureServer server;
  server.script(
      {{500, error_xml("InternalError"), true}, {412, error_xml("PreconditionFailed")}, {200, ""}});
  S3Storage s = make_storage(server.port());
  EXPECT_TRUE(s.put_if_absent("log/1.json", "entry of writer A"));
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].header("If-None-Match"), "*");
  EXPECT_EQ(seen[2].method, "GET");
}

TEST(S3Errors, ConditionalCreateLostToAnotherWriter) {
  CaptureServer server;
  // Another writer's entry is there; an ambiguous first attempt does not
  // make it ours.
  server.script({{500, error_xml("InternalError")},
                 {412, error_xml("PreconditionFailed")},
                 {200, "entry of writer B"}});
  S3Storage s = make_storage(server.port());
  EXPECT_FALSE(s.put_if_absent("log/1.json", "entry of writer A"));
  // A plain 412 is a loss without a read-back.
  CaptureServer plain;
  plain.script({{412, error_xml("PreconditionFailed")}});
  S3Storage p = make_storage(plain.port());
  EXPECT_FALSE(p.put_if_absent("log/1.json", "x"));
  EXPECT_EQ(plain.seen().size(), 1u);
}

TEST(S3Errors, ClassificationIsExhaustive) {
  using storage::S3Failure;
  EXPECT_EQ(storage::classify_s3(503, "SlowDown", 0), S3Failure::kSlowDown);
  EXPECT_EQ(storage::classify_s3(409, "ConditionalRequestConflict", 0),
            S3Failure::kConditionalConflict);
  EXPECT_TRUE(storage::is_retriable(S3Failure::kConditionalConflict));
  EXPECT_FALSE(storage::is_retriable(S3Failure::kPreconditionFailed));
  EXPECT_EQ(storage::classify_s3(0, "", 28 /* CURLE_OPERATION_TIMEDOUT */), S3Failure::kTimeout);
  EXPECT_TRUE(storage::is_retriable(S3Failure::kTimeout));
  EXPECT_FALSE(storage::is_retriable(S3Failure::kTlsVerify));
}

}  // namespace
}  // namespace sluice
