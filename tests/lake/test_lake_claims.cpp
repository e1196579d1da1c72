// Ownership claims in the commit log (scale-out fencing): a claim makes its
// writer the only one that may commit the claimed streams, returns the
// positions as of the claim, and leaves the state meta and offsets alone.
#include <gtest/gtest.h>

#include "lake_test_util.h"
#include "sinks/lake/lake_writer.h"

namespace sluice {
namespace {

using namespace sluice::testing;

RecordBatch one_row(const OutputSchema& schema, int64_t i64) {
  RecordBatch b(schema);
  add_row(b, "x", 1, i64, 1.0, true, ts_of("2024-03-01T13:05:00Z"));
  return b;
}

TEST(LakeClaims, AClaimFencesTheFormerOwnerEvenIfTheNewOneCommittedNothing) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), hourly_keys());
  LakeWriter old_owner(config, schema, "ts", "a");
  old_owner.open();
  EXPECT_TRUE(old_owner.claim({"t/0", "t/1"}).empty());  // nothing committed yet
  old_owner.append(one_row(schema, 1));
  old_owner.commit({{"t/0", -1}}, {{"t/0", 10}}, {});

  // The old owner buffers more of t/0, then t/0 moves to a new owner.
  old_owner.append(one_row(schema, 2));
  LakeWriter new_owner(config, schema, "ts", "b");
  new_owner.open();
  SourceOffsets positions = new_owner.claim({"t/0"});
  EXPECT_EQ(positions, (SourceOffsets{{"t/0", 10}}));

  // Its start offset still matches the log, but the claim refuses it.
  EXPECT_THROW(old_owner.commit({{"t/0", 10}}, {{"t/0", 20}}, {}), StaleWriterError);
  old_owner.discard_buffer();  // as the contract of commit() asks
  // A stream it still owns commits fine.
  old_owner.append(one_row(schema, 3));
  EXPECT_NO_THROW(old_owner.commit({{"t/1", -1}}, {{"t/1", 5}}, {}));
  new_owner.append(one_row(schema, 4));
  LakeCommitEntry e = new_owner.commit({{"t/0", 10}}, {{"t/0", 15}}, {});
  EXPECT_EQ(e.rows(), 1);

  DuckDb db(1);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM read_parquet(" + glob_of(tmp.path() + "/events") +
                              ") WHERE i64 = 2"),
            0);
  EXPECT_EQ(glob_rows(tmp.path() + "/events"), 3);
}

TEST(LakeClaims, AClaimAfterACommitSeesItsPositionAndARestartedOwnerIsANewOwner) {
  TempDir tmp;
  OutputSchema schema = all_types_schema();
  LakeSinkConfig config = lake_config(tmp.path(), hourly_keys());
  LakeWriter first(config, schema, "ts", "a");
  first.open();
  first.claim({"t/0"});
  first.append(one_row(schema, 1));
  first.commit({{"t/0", -1}}, {{"t/0", 7}}, {{"watermark", "42"}});

  // The same writer id in a second process (a restart while the first one
  // was paused) claims: the paused first process is fenced.
  LakeWriter second(config, schema, "ts", "a");
  LakeState state = second.open();
  EXPECT_EQ(state.meta.at("watermark"), "42");  // claims carry no state meta
  EXPECT_EQ(state.offsets, (SourceOffsets{{"t/0", 7}}));
  EXPECT_NE(first.owner_token(), second.owner_token());
  EXPECT_EQ(second.claim({"t/0"}), (SourceOffsets{{"t/0", 7}}));
  first.append(one_row(schema, 2));
  EXPECT_THROW(first.commit({{"t/0", 7}}, {{"t/0", 9}}, {}), StaleWriterError);
  EXPECT_EQ(second.next_seq(), 4);  // claim, commit, claim
  LakeState again = LakeWriter(config, schema, "ts", "c").open();
  EXPECT_EQ(again.last_seq, 3);
  EXPECT_EQ(again.meta.at("watermark"), "42");
}

TEST(LakeClaims, MalformedClaimIsAClearError) {
  LakeCommitEntry e;
  e.seq = 5;
  e.meta = {{"claim", "x"}, {"claim_streams", "not json"}};
  std::map<std::string, std::string> owners;
  try {
    apply_claim(e, owners);
    FAIL() << "no error";
  } catch (const RuntimeError& ex) {
    EXPECT_NE(std::string(ex.what()).find("log entry 5"), std::string::npos) << ex.what();
  }
  e.meta = claim_meta("w@1", {"t/0", "t/3"});
  apply_claim(e, owners);
  EXPECT_EQ(owners, (std::map<std::string, std::string>{{"t/0", "w@1"}, {"t/3", "w@1"}}));
}

}  // namespace
}  // namespace sluice
