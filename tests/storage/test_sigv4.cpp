// Request signing against the examples AWS publishes for S3 SigV4 ("Examples
// of signature calculations" in the S3 API reference: GET Object with a
// Range, PUT Object with a storage class, GET Bucket lifecycle, GET Bucket
// list objects). The requests go through S3Client and libcurl's signer to a
// loopback server that records the Authorization header actually sent;
// the host is the example's, connected to the loopback port.
#include <gtest/gtest.h>

#include "capture_server.h"
#include "storage/s3/s3_client.h"

namespace sluice {
namespace {

using storage::S3Client;
using storage::S3ClientConfig;
using storage::S3Request;
using testsupport::CaptureServer;

constexpr const char* kExampleKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kExampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr int64_t kExampleTimeMs = 1369353600000;  // 2013-05-24T00:00:00Z

S3ClientConfig example_config(const CaptureServer& server) {
  S3ClientConfig c;
  c.scheme = "http";
  c.host = "s3.amazonaws.com";
  c.bucket = "examplebucket";
  c.region = "us-east-1";
  c.path_style = false;
  c.credentials.access_key = kExampleKeyId;
  c.credentials.secret_key = kExampleSecret;
  c.clock_ms = [] { return kExampleTimeMs; };
  c.connect_to = "examplebucket.s3.amazonaws.com:80:127.0.0.1:" + std::to_string(server.port());
  c.max_retries = 0;
  return c;
}

std::string expected(const std::string& signed_headers, const std::string& signature) {
  return std::string("AWS4-HMAC-SHA256 Credential=") + kExampleKeyId +
         "/20130524/us-east-1/s3/aws4_request, SignedHeaders=" + signed_headers +
         ", Signature=" + signature;
}

TEST(SigV4, AwsExampleGetObjectWithRange) {
  CaptureServer server;
  S3Client client(example_config(server));
  S3Request r;
  r.key = "test.txt";
  r.headers = {"Range: bytes=0-9"};
  client.send(r);
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/test.txt");
  EXPECT_EQ(seen[0].header("Host"), "examplebucket.s3.amazonaws.com");
  EXPECT_EQ(seen[0].header("Authorization"),
            expected("host;range;x-amz-content-sha256;x-amz-date",
                     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
}

TEST(SigV4, AwsExamplePutObject) {
  CaptureServer server;
  S3Client client(example_config(server));
  S3Request r;
  r.method = "PUT";
  r.key = "test$file.text";  // the key is sent as /test%24file.text
  r.memory = "Welcome to Amazon S3.";
  r.headers = {"Date: Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class: REDUCED_REDUNDANCY"};
  client.send(r);
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body, "Welcome to Amazon S3.");
  EXPECT_EQ(seen[0].header("x-amz-content-sha256"),
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(seen[0].header("Authorization"),
            expected("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                     "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
}

TEST(SigV4, AwsExampleGetBucketLifecycle) {
  CaptureServer server;
  S3Client client(example_config(server));
  S3Request r;
  r.query = {{"lifecycle", ""}};
  client.send(r);
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].header("Authorization"),
            expected("host;x-amz-content-sha256;x-amz-date",
                     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
}

TEST(SigV4, AwsExampleListObjects) {
  CaptureServer server;
  S3Client client(example_config(server));
  S3Request r;
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};  // sorted when sent
  client.send(r);
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].query, "max-keys=2&prefix=J");
  EXPECT_EQ(seen[0].header("Authorization"),
            expected("host;x-amz-content-sha256;x-amz-date",
                     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
}

TEST(SigV4, SessionTokenIsSentAndSigned) {
  CaptureServer server;
  S3ClientConfig c = example_config(server);
  c.credentials.session_token = "FQoGZXIvYXdzEXAMPLETOKEN";
  S3Client client(c);
  S3Request r;
  r.key = "test.txt";
  client.send(r);
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].header("x-amz-security-token"), "FQoGZXIvYXdzEXAMPLETOKEN");
  EXPECT_NE(seen[0]
                .header("Authorization")
                .find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
            std::string::npos)
      << seen[0].header("Authorization");
}

TEST(SigV4, CanonicalEncoding) {
  EXPECT_EQ(storage::uri_encode("year=2026/a b+c~d_e.f-g", true), "year%3D2026/a%20b%2Bc~d_e.f-g");
  EXPECT_EQ(storage::uri_encode("a/b", false), "a%2Fb");
  EXPECT_EQ(storage::uri_encode("\xc3\xa9", false), "%C3%A9");
  EXPECT_EQ(storage::canonical_query({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(storage::canonical_query(
                {{"prefix", "a/"}, {"list-type", "2"}, {"continuation-token", "x=y"}}),
            "continuation-token=x%3Dy&list-type=2&prefix=a%2F");
  EXPECT_EQ(storage::amz_date(kExampleTimeMs), "20130524T000000Z");
  EXPECT_EQ(storage::sha256_hex("Welcome to Amazon S3."),
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
}

TEST(SigV4, PathStyleAddressing) {
  CaptureServer server;
  S3ClientConfig c = example_config(server);
  c.host = "127.0.0.1:" + std::to_string(server.port());
  c.connect_to.clear();
  c.path_style = true;
  S3Client client(c);
  S3Request r;
  r.key = "year=2026/part 1.parquet";
  client.send(r);
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].header("Host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[0].path, "/examplebucket/year=2026/part 1.parquet");  // decoded by the server
}

}  // namespace
}  // namespace sluice
