// Inputs the commit-log fuzzer (tests/fuzz/fuzz_commit_log.cpp) found: each
// must be a RuntimeError naming the field, never undefined behaviour or a
// made-up number.
#include <gtest/gtest.h>

#include <string>

#include "../support/temp_dir.h"
#include "core/error.h"
#include "sinks/lake/commit_log.h"

namespace sluice {
namespace {

std::string fixture(const std::string& name) {
  return testsupport::read_file(std::string(SLUICE_SOURCE_DIR) + "/tests/fuzz/regressions/" + name);
}

void expect_malformed(const std::string& text, const std::string& field) {
  try {
    LakeCommitEntry e = commit_entry_from_json(text);
    FAIL() << "read seq " << e.seq;
  } catch (const RuntimeError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("malformed commit log entry"), std::string::npos) << what;
    EXPECT_NE(what.find(field), std::string::npos) << what;
  }
}

std::string entry(const std::string& seq, const std::string& rows, const std::string& offset) {
  return "{\"seq\": " + seq + ", \"timestamp_ms\": 1, \"writer_id\": \"w\", \"files\": " +
         "[{\"path\": \"p.parquet\", \"rows\": " + rows + ", \"bytes\": 1}], " +
         "\"start_offsets\": {\"t/0\": 0}, \"end_offsets\": {\"t/0\": " + offset + "}}";
}

TEST(CommitLogFuzzRegressions, SeqBeyondInt64IsMalformed) {
  ASSERT_FALSE(fixture("commit_log_seq_out_of_range.json").empty());
  expect_malformed(fixture("commit_log_seq_out_of_range.json"), "seq");
}

TEST(CommitLogFuzzRegressions, NonIntegerNumbersAreMalformed) {
  EXPECT_EQ(commit_entry_from_json(entry("3", "10", "7")).end_offsets.at("t/0"), 7);
  expect_malformed(entry("3.5", "10", "7"), "seq");
  expect_malformed(entry("9223372036854775808", "10", "7"), "seq");
  expect_malformed(entry("3", "1e300", "7"), "rows");
  expect_malformed(entry("3", "10", "-1e40"), "end_offsets.t/0");
  expect_malformed(entry("3", "10", "\"7\""), "end_offsets.t/0");
}

}  // namespace
}  // namespace sluice
