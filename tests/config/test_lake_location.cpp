// sink.lake.path accepts local paths, file:// and s3://, with an optional
// storage section; any other scheme fails with the file, line and key and
// names the supported schemes (it used to become a local folder "gs:").
#include <gtest/gtest.h>

#include "config/loader.h"
#include "core/error.h"

namespace sluice {
namespace {

std::string pipeline(const std::string& lake) {
  return "name: t\nsource:\n  type: file\n  file: {path: in.ndjson}\nschema:\n"
         "  timestamp_field: ts\n  fields:\n    - {name: id, type: string}\n"
         "    - {name: ts, type: timestamp}\nsink:\n  lake:\n" +
         lake;
}

TEST(LakeLocation, UnsupportedSchemeIsAConfigError) {
  for (const char* url : {"gs://b/x", "abfss://c@a.dfs.core.windows.net/x", "hdfs://nn/x"}) {
    try {
      load_pipeline_from_string(pipeline(std::string("    path: ") + url + "\n"), "p.yaml");
      FAIL() << url;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.line(), 12) << e.what();
      EXPECT_EQ(e.key(), "sink.lake.path");
      std::string msg = e.what();
      EXPECT_NE(msg.find("unsupported scheme"), std::string::npos) << msg;
      EXPECT_NE(msg.find("s3://bucket/prefix"), std::string::npos) << msg;
    }
  }
}

TEST(LakeLocation, OverrideIsCheckedToo) {
  try {
    load_pipeline_from_string(pipeline("    path: ./lake\n"), "p.yaml",
                              {{"sink.lake.path", "'gs://lake/x'"}});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("gs://"), std::string::npos) << e.what();
  }
}

TEST(LakeLocation, S3WithStorageSection) {
  PipelineConfig c = load_pipeline_from_string(
      pipeline("    path: s3://lake/prefix\n    storage: {endpoint: 'http://127.0.0.1:7480', "
               "region: eu-west-1, path_style: true, verify_tls: false}\n"),
      "p.yaml");
  EXPECT_EQ(c.lake.path, "s3://lake/prefix");
  EXPECT_EQ(c.lake.storage.endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(c.lake.storage.region, "eu-west-1");
  EXPECT_EQ(c.lake.storage.path_style, true);
  EXPECT_FALSE(c.lake.storage.verify_tls);
  EXPECT_EQ(c.dlq.path, "./_dlq/t.ndjson");  // the DLQ stays a local file
}

TEST(LakeLocation, StorageSectionIsChecked) {
  try {
    load_pipeline_from_string(pipeline("    path: s3://lake\n    storage: {endpont: x}\n"),
                              "p.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("endpont"), std::string::npos) << e.what();
  }
  try {
    load_pipeline_from_string(
        pipeline("    path: s3://lake\n    storage: {endpoint: minio:9000}\n"), "p.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "sink.lake.storage.endpoint");
  }
}

TEST(LakeLocation, FileUrlIsALocalPath) {
  PipelineConfig c = load_pipeline_from_string(pipeline("    path: file:///data/lake\n"), "p.yaml");
  EXPECT_EQ(c.lake.path, "/data/lake");
  EXPECT_EQ(c.dlq.path, "/data/lake/_dlq/t.ndjson");
}

}  // namespace
}  // namespace sluice
