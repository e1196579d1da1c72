// DLQ file: line format (original bytes or base64), appends, sync size and
// truncate_to for exactly-once restarts.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "../support/temp_dir.h"
#include "core/error.h"
#include "sinks/dlq/dlq_writer.h"
#include "test_schemas.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::read_lines;

using testsupport::TempDir;

std::string base64_decode(const std::string& in) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    acc = (acc << 6) | static_cast<uint32_t>(alphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// Parses the clickstream fail fixture, returning the batch and its rejects.
void parse_fail_fixture(RawBatch& in, std::vector<Reject>& rejects) {
  LimitsConfig limits;
  limits.max_record_bytes = 4096;
  Parser parser(testing::clickstream_schema(), testing::clickstream_transforms(), limits);
  in = testing::batch_of(read_lines(testing::fixture("clickstream_fail.ndjson")), "clicks/3");
  RecordBatch out(parser.output_schema());
  ParseStats stats;
  parser.process(in, out, rejects, stats, 0);
}

TEST(DlqLine, CarriesReasonPositionAndOriginal) {
  RawBatch in;
  const uint32_t s = in.stream_id("clicks/3");
  in.add(R"({"a":"caf\u00e9 é"})", s, 1234);
  Reject r{0, "user_actions[2].action", "type", "expected a string, got 5"};
  auto j = nlohmann::json::parse(format_dlq_line(in, r));
  EXPECT_EQ(j["reason"], "user_actions[2].action: type: expected a string, got 5");
  EXPECT_EQ(j["field"], "user_actions[2].action");
  EXPECT_EQ(j["rule"], "type");
  EXPECT_EQ(j["source"], "clicks/3");
  EXPECT_EQ(j["offset"], 1234);
  EXPECT_EQ(j["position"], "clicks/3@1234");
  EXPECT_EQ(j["original"], R"({"a":"caf\u00e9 é"})");
  EXPECT_FALSE(j.contains("original_base64"));
  Reject record_level{0, "", "json", "bad"};
  EXPECT_EQ(nlohmann::json::parse(format_dlq_line(in, record_level))["reason"], "json: bad");
}

TEST(DlqLine, TextLineNamesFormatAndLineNumber) {
  RawBatch in;
  in.add("not an access log line", in.stream_id("file:/var/log/access.log"), 5120, -1, 17);
  Reject r{0, "", "format", "no [timestamp] found", "apache_combined"};
  auto j = nlohmann::json::parse(format_dlq_line(in, r));
  EXPECT_EQ(j["format"], "apache_combined");
  EXPECT_EQ(j["line"], 17);
  EXPECT_EQ(j["offset"], 5120);
  EXPECT_EQ(j["position"], "file:/var/log/access.log@5120 line 17");
  EXPECT_EQ(j["reason"], "format: no [timestamp] found");
  // Without a line number (one Kafka message, one record) there is no "line".
  RawBatch k;
  k.add("x", k.stream_id("logs/0"), 42);
  auto kj = nlohmann::json::parse(format_dlq_line(k, r));
  EXPECT_FALSE(kj.contains("line"));
  EXPECT_EQ(kj["position"], "logs/0@42");
}

TEST(DlqLine, InvalidUtf8GoesToBase64) {
  RawBatch in;
  const std::string bytes = "{\"s\":\"\xff\xfe\x00x\"}";
  in.add(std::string_view(bytes.data(), 12), in.stream_id("f"), 0);
  auto j = nlohmann::json::parse(format_dlq_line(in, Reject{0, "", "utf8", "bad"}));
  EXPECT_FALSE(j.contains("original"));
  EXPECT_EQ(base64_decode(j["original_base64"]), std::string(bytes.data(), 12));
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode(""), "");
}

TEST(DlqWriter, WritesEveryRejectOfTheFailFixture) {
  TempDir dir;
  const std::string path = dir.path() + "/nested/dir/dlq.ndjson";
  RawBatch in;
  std::vector<Reject> rejects;
  parse_fail_fixture(in, rejects);
  ASSERT_EQ(rejects.size(), in.records.size());
  int64_t size = 0;
  {
    DlqWriter w(path);
    w.write(in, rejects);
    EXPECT_EQ(w.records_written(), static_cast<int64_t>(rejects.size()));
    size = w.sync();
  }
  EXPECT_EQ(size, static_cast<int64_t>(std::filesystem::file_size(path)));
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), rejects.size());
  int base64_lines = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto j = nlohmann::json::parse(lines[i]);
    const RawRecord& rec = in.records[rejects[i].record_index];
    const std::string original(in.bytes(rec));
    EXPECT_EQ(j["rule"], rejects[i].rule);
    EXPECT_EQ(j["offset"], rec.position.offset);
    EXPECT_EQ(j["source"], "clicks/3");
    if (rejects[i].rule == "utf8") {
      ++base64_lines;
      EXPECT_EQ(base64_decode(j["original_base64"]), original);
    } else {
      EXPECT_EQ(j["original"], original) << i;
    }
  }
  EXPECT_EQ(base64_lines, 2);
}

TEST(DlqWriter, AppendsAcrossInstancesAndTruncatesToCommittedSize) {
  TempDir dir;
  const std::string path = dir.path() + "/dlq.ndjson";
  RawBatch in;
  std::vector<Reject> rejects;
  parse_fail_fixture(in, rejects);
  std::vector<Reject> first(rejects.begin(), rejects.begin() + 3);
  std::vector<Reject> second(rejects.begin() + 3, rejects.begin() + 5);
  int64_t committed = 0;
  {
    DlqWriter w(path);
    w.write(in, first);
    committed = w.sync();
    w.write(in, second);  // written after the "commit"
    EXPECT_GT(w.sync(), committed);
  }
  ASSERT_EQ(read_lines(path).size(), 5u);

  DlqWriter::truncate_to(path, committed);  // restart: cut uncommitted lines
  EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(path)), committed);
  EXPECT_EQ(read_lines(path).size(), 3u);
  DlqWriter::truncate_to(path, committed + 1000);  // never extends
  EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(path)), committed);

  {
    DlqWriter w(path);
    w.write(in, second);
    w.sync();
  }
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(nlohmann::json::parse(lines[3])["offset"],
            in.records[second[0].record_index].position.offset);

  DlqWriter::truncate_to(dir.path() + "/missing.ndjson", 0);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/missing.ndjson"));
}

TEST(DlqWriter, UnopenablePathThrows) {
  TempDir dir;
  const std::string file = dir.path() + "/plain";
  { DlqWriter w(file); }
  EXPECT_THROW(DlqWriter(file + "/under_a_file/dlq.ndjson"), RuntimeError);
}

}  // namespace
}  // namespace sluice
