// Lake locations: local paths, file:// and s3:// are accepted; any other
// scheme is a clear error naming the supported ones.
#include <gtest/gtest.h>

#include "storage/location.h"

namespace sluice {
namespace {

using storage::Location;
using storage::parse_location;
using storage::StorageError;

TEST(Location, LocalPaths) {
  EXPECT_EQ(parse_location("./lake").kind, Location::Kind::kLocal);
  EXPECT_EQ(parse_location("./lake").path, "./lake");
  EXPECT_EQ(parse_location("/data/lake").path, "/data/lake");
  EXPECT_EQ(parse_location("file:///data/lake").path, "/data/lake");
  EXPECT_EQ(parse_location("a:b/c").kind, Location::Kind::kLocal);  // no "://": a path
}

TEST(Location, S3) {
  Location l = parse_location("s3://lake/prefix/x/");
  EXPECT_EQ(l.kind, Location::Kind::kS3);
  EXPECT_EQ(l.bucket, "lake");
  EXPECT_EQ(l.prefix, "prefix/x");
  EXPECT_EQ(parse_location("s3://lake").prefix, "");
  EXPECT_THROW(parse_location("s3://"), StorageError);
  EXPECT_THROW(parse_location("s3://Upper/x"), StorageError);
  EXPECT_THROW(parse_location("s3://b/a//c"), StorageError);
}

TEST(Location, OtherSchemesNameTheSupportedOnes) {
  for (const char* url : {"gs://bucket/x", "abfss://c@acct.dfs.core.windows.net/x", "hdfs://nn/x",
                          "S3A://bucket/x", "http://host/x"}) {
    try {
      parse_location(url);
      FAIL() << url << " accepted";
    } catch (const StorageError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find("unsupported scheme"), std::string::npos) << msg;
      EXPECT_NE(msg.find("s3://bucket/prefix"), std::string::npos) << msg;
      EXPECT_NE(msg.find("local path"), std::string::npos) << msg;
    }
  }
}

}  // namespace
}  // namespace sluice
