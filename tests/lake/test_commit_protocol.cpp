// The commit protocol over Storage (sinks/lake/commit_protocol.h), on a
// local directory and on S3 (a real RADOS Gateway started once for this
// binary): a crash at every step boundary, several writers racing for the
// same seq, fencing, and a writer process killed with SIGKILL at random
// moments, ten times, after which every committed position is in the table
// exactly once, both through the log and through a plain listing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "core/error.h"
#include "sinks/lake/commit_protocol.h"
#include "storage/local_storage.h"
#include "storage/s3/s3_storage.h"
#include "support/fault_proxy.h"
#include "support/rgw_fixture.h"

namespace sluice {
namespace {

using testsupport::RgwEnvironment;

enum class Where { kLocal, kS3 };

struct Table {
  std::unique_ptr<testsupport::TempDir> dir = std::make_unique<testsupport::TempDir>();
  std::unique_ptr<storage::Storage> storage;
};

Table make_table(Where where, const std::string& name) {
  Table t;
  if (where == Where::kLocal) {
    t.storage = std::make_unique<storage::LocalStorage>(t.dir->path() + "/" + name);
  } else {
    auto& rgw = RgwEnvironment::get();
    rgw.create_bucket("protocol");
    t.storage = std::make_unique<storage::S3Storage>(rgw.client_config("protocol"),
                                                     name + "-" + std::to_string(getpid()),
                                                     storage::S3Storage::Limits{});
  }
  return t;
}

// A "data file" whose content names the commit it belongs to: the table's
// contents can then be checked against the log and against the positions.
std::string write_local(const std::string& dir, const std::string& content, int n) {
  std::string path = dir + "/local-" + std::to_string(n) + "-" + std::to_string(getpid());
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

LakeCommitEntry pending(const std::vector<std::string>& staged, int64_t start, int64_t end) {
  LakeCommitEntry e;
  for (size_t i = 0; i < staged.size(); ++i) {
    LakeCommitEntry::File f;
    f.staging = staged[i];
    f.partition = "day=" + std::to_string(start % 3);
    f.rows = 1;
    f.bytes = 0;
    e.files.push_back(f);
  }
  e.start_offsets["s"] = start;
  e.end_offsets["s"] = end;
  return e;
}

// The table equals its log: every logged file is at its final key with the
// bytes "<start>:<i>", no other *.parquet exists, nothing is staged, and
// the positions of the log are contiguous from 0 (nothing lost, nothing
// twice). Returns the committed end position.
int64_t check_exactly_once(storage::Storage& table) {
  std::vector<LakeCommitEntry> entries = read_commit_log(table);
  int64_t at = 0;
  std::set<std::string> logged;
  for (size_t k = 0; k < entries.size(); ++k) {
    const LakeCommitEntry& e = entries[k];
    EXPECT_EQ(e.seq, static_cast<int64_t>(k) + 1) << "log gap";
    EXPECT_EQ(e.start_offsets.at("s"), at) << "seq " << e.seq;
    at = e.end_offsets.at("s");
    for (size_t i = 0; i < e.files.size(); ++i) {
      logged.insert(e.files[i].path);
      auto bytes = storage::get_if_exists(table, e.files[i].path);
      if (!bytes) {
        ADD_FAILURE() << "missing " << e.files[i].path;
        continue;
      }
      EXPECT_EQ(*bytes, std::to_string(e.start_offsets.at("s")) + ":" + std::to_string(i));
    }
  }
  for (const auto& o : storage::list_all(table, "")) {
    if (o.key.rfind("_sluice_log/", 0) == 0) continue;
    EXPECT_NE(o.key.rfind("_sluice_staging/", 0), 0u) << "staging leftover " << o.key;
    if (o.key.size() > 8 && o.key.compare(o.key.size() - 8, 8, ".parquet") == 0) {
      EXPECT_TRUE(logged.count(o.key)) << "unlogged " << o.key;
    }
  }
  return at;
}

// One commit of `files` files covering positions [start, start + 1).
LakeCommitEntry commit_once(LakeCommitter& c, const std::string& scratch, int64_t start, int files,
                            int stop_after_step) {
  std::vector<std::string> staged;
  for (int i = 0; i < files; ++i) {
    staged.push_back(
        c.stage(write_local(scratch, std::to_string(start) + ":" + std::to_string(i), i), true));
  }
  if (stop_after_step == 1) return {};
  LakeCommitEntry e = c.publish(pending(staged, start, start + 1), nullptr);
  if (stop_after_step == 2) return e;
  c.finish(e);
  return e;
}

class CommitProtocol : public ::testing::TestWithParam<Where> {};

TEST_P(CommitProtocol, CrashAtEveryStepThenRecover) {
  Table t = make_table(GetParam(), "steps");
  {
    LakeCommitter w(*t.storage, "w1");
    w.recover();
    commit_once(w, t.dir->path(), 0, 3, 3);  // complete
    commit_once(w, t.dir->path(), 1, 2, 2);  // published, not moved
  }
  {
    LakeCommitter w(*t.storage, "w1");
    auto entries = w.recover();  // rolls seq 2 forward
    EXPECT_EQ(entries.size(), 2u);
    EXPECT_EQ(check_exactly_once(*t.storage), 2);
    commit_once(w, t.dir->path(), 2, 2, 1);  // staged only: rolled back
  }
  {
    LakeCommitter w(*t.storage, "w1");
    w.recover();
    EXPECT_EQ(check_exactly_once(*t.storage), 2);
    // Moved to the final key, but the crash came before the staged object
    // was deleted (S3's copy-then-delete): recovery deletes it, no duplicate.
    LakeCommitEntry e = commit_once(w, t.dir->path(), 2, 1, 2);
    t.storage->copy(e.files[0].staging, e.files[0].path);
  }
  LakeCommitter w(*t.storage, "w1");
  w.recover();
  EXPECT_EQ(check_exactly_once(*t.storage), 3);
}

// Writer ids "w1" and "w1-x": w1's recovery deletes only its own
// unpublished staged objects, never w1-x's (staged, about to publish).
TEST_P(CommitProtocol, RecoveryTakesOnlyItsOwnStagedFiles) {
  Table t = make_table(GetParam(), "own");
  LakeCommitter other(*t.storage, "w1-x");
  other.recover();
  const std::string theirs = other.stage(write_local(t.dir->path(), "theirs", 0), true);
  {
    LakeCommitter w(*t.storage, "w1");
    w.recover();
    commit_once(w, t.dir->path(), 0, 2, 1);  // staged only: w1 crashed
  }
  LakeCommitter w(*t.storage, "w1");
  w.recover();
  std::vector<std::string> staged;
  for (const auto& o : storage::list_all(*t.storage, "_sluice_staging/")) staged.push_back(o.key);
  EXPECT_EQ(staged, std::vector<std::string>{theirs}) << "w1 took w1-x's file, or kept its own";
  // w1-x publishes its file afterwards: nothing was lost.
  LakeCommitEntry e = other.publish(pending({theirs}, 0, 1), nullptr);
  other.finish(e);
  EXPECT_EQ(t.storage->get(e.files.at(0).path), "theirs");
  EXPECT_EQ(is_staged_name_of("w1-x-1a2b-0.parquet", "w1"), false);
  EXPECT_EQ(is_staged_name_of("w1-1a2b-0.parquet", "w1"), true);
  EXPECT_EQ(is_staged_name_of("w1-1-123-0.parquet", "w1"), false);
  EXPECT_EQ(is_staged_name_of("w1-170000-3.parquet.inprogress", "w1"), true);
  EXPECT_EQ(is_final_name_of("part-00000000000000000001-0-w1.parquet", "w1"), true);
  EXPECT_EQ(is_final_name_of("part-00000000000000000001-0-w1-x.parquet", "x"), false);
}

TEST_P(CommitProtocol, ConcurrentPublishersNeverShareASeq) {
  Table t = make_table(GetParam(), "seq");
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::map<int64_t, std::string> owner;
  std::atomic<int> duplicates{0};
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      LakeCommitter c(*t.storage, "p" + std::to_string(w));
      for (int k = 0; k < 6; ++k) {
        LakeCommitEntry e = c.publish(LakeCommitEntry{}, nullptr);
        std::lock_guard<std::mutex> lock(mutex);
        if (!owner.emplace(e.seq, "p" + std::to_string(w)).second) duplicates++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(duplicates.load(), 0);
  auto entries = read_commit_log(*t.storage);
  ASSERT_EQ(entries.size(), 24u);
  for (const auto& e : entries) EXPECT_EQ(owner.at(e.seq), e.writer_id);
}

TEST_P(CommitProtocol, FenceSeesEveryNewerEntry) {
  Table t = make_table(GetParam(), "fence");
  LakeCommitter a(*t.storage, "a");
  LakeCommitter b(*t.storage, "b");
  a.recover();
  b.recover();
  LakeCommitEntry ea;
  ea.end_offsets["s"] = 10;
  a.publish(ea, nullptr);
  // b starts from position 0 of the same stream: its fence check sees a's
  // entry and refuses, and nothing of b's is published.
  LakeCommitEntry eb;
  eb.start_offsets["s"] = 0;
  eb.end_offsets["s"] = 5;
  auto fence = [&](const std::vector<LakeCommitEntry>& newer) {
    for (const auto& e : newer) {
      auto it = e.end_offsets.find("s");
      if (it != e.end_offsets.end() && it->second != eb.start_offsets["s"]) {
        throw RuntimeError("stale writer");
      }
    }
  };
  EXPECT_THROW(b.publish(eb, fence), RuntimeError);
  EXPECT_EQ(read_commit_log(*t.storage).size(), 1u);
}

// The writer of the SIGKILL test: commits positions from where the log
// ends, forever, with 1-3 files per commit.
[[noreturn]] void writer_process(Where where, const std::string& name, const std::string& scratch,
                                 const std::string& bucket_prefix) {
  std::unique_ptr<storage::Storage> s;
  if (where == Where::kLocal) {
    s = std::make_unique<storage::LocalStorage>(name);
  } else {
    s = std::make_unique<storage::S3Storage>(RgwEnvironment::get().client_config("protocol"),
                                             bucket_prefix, storage::S3Storage::Limits{});
  }
  LakeCommitter c(*s, "killed-writer");
  auto entries = c.recover();
  int64_t at = entries.empty() ? 0 : entries.back().end_offsets.at("s");
  for (;;) {
    commit_once(c, scratch, at, 1 + static_cast<int>(at % 3), 3);
    ++at;
  }
}

TEST_P(CommitProtocol, SigkillAtRandomMomentsTenTimes) {
  Table t = make_table(GetParam(), "kill");
  const std::string prefix = "kill-" + std::to_string(getpid());  // as make_table names it
  const std::string local_root = t.dir->path() + "/kill";
  std::mt19937 rng(42);
  int64_t last = 0;
  size_t seq_seen = 0;
  for (int kill = 0; kill < 10; ++kill) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        writer_process(GetParam(), local_root, t.dir->path(), prefix);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer process failed: %s\n", e.what());
      }
      _exit(3);
    }
    // Kill at a random moment after the writer made progress (one more
    // commit than before), so that every round exercises a new commit even
    // on a loaded machine.
    const std::string next_entry =
        std::string(kLakeLogDir) + "/" + commit_log_name(static_cast<int64_t>(seq_seen) + 1);
    for (int i = 0; i < 3000 && !t.storage->head(next_entry); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 300));
    ::kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer process ended by itself";
    // What a reader sees right after the crash, before any recovery: the
    // log never names a position twice, and no file appears twice.
    auto entries = read_commit_log(*t.storage);
    if (!entries.empty()) {
      EXPECT_GE(entries.back().end_offsets.at("s"), last);
      last = entries.back().end_offsets.at("s");
    }
    seq_seen = entries.size();
  }
  LakeCommitter w(*t.storage, "killed-writer");
  w.recover();
  EXPECT_EQ(check_exactly_once(*t.storage), last);
  EXPECT_GE(last, 10) << "the writer did not commit in every round";
}

// Commits through a proxy that drops answers and returns 503/500 on a fifth
// of the requests: every commit lands exactly once.
TEST(CommitProtocolFaults, NothingLostOrDuplicated) {
  auto& rgw = RgwEnvironment::get();
  rgw.create_bucket("protocol");
  const std::string host = rgw.host();
  testsupport::FaultProxy proxy(std::stoi(host.substr(host.find(':') + 1)));
  proxy.script({}, 20);
  auto config = rgw.client_config("protocol");
  config.host = "127.0.0.1:" + std::to_string(proxy.port());
  config.max_retries = 10;
  config.retry_base_ms = 5;
  config.retry_max_ms = 50;
  testsupport::TempDir dir;
  storage::S3Storage table(config, "faults-" + std::to_string(getpid()), {});
  LakeCommitter c(table, "faulty");
  c.recover();
  for (int64_t at = 0; at < 15; ++at) commit_once(c, dir.path(), at, 1 + at % 3, 3);
  storage::S3Storage direct(rgw.client_config("protocol"), "faults-" + std::to_string(getpid()),
                            {});
  EXPECT_EQ(check_exactly_once(direct), 15);
  EXPECT_GT(proxy.faults(), 10) << "the proxy injected too few faults to show anything";
}

// A local table whose put_if_absent fails after (or instead of) creating
// the object, like a failed fsync after link(2) or a lost S3 response.
class FlakyPublish : public storage::LocalStorage {
 public:
  using LocalStorage::LocalStorage;
  enum class Mode { kOk, kFailAfterCreate, kFailBeforeCreate } mode = Mode::kOk;
  bool put_if_absent(const std::string& key, std::string_view data) override {
    if (key.rfind("_sluice_log/", 0) == 0 && mode != Mode::kOk) {
      if (mode == Mode::kFailAfterCreate) LocalStorage::put_if_absent(key, data);
      throw storage::StorageError(storage::StorageErrorKind::kIo, "injected publish failure");
    }
    return LocalStorage::put_if_absent(key, data);
  }
};

// publish() tells whether the entry was linked even when it throws, so a
// caller deletes staged files only when nothing was published.
TEST(CommitProtocolPublish, ReportsALinkedEntryWhenALaterStepThrows) {
  testsupport::TempDir dir;
  FlakyPublish table(dir.path() + "/t");
  LakeCommitter c(table, "w");
  c.recover();
  using State = LakeCommitter::PublishState;
  State state = State::kUnknown;

  table.mode = FlakyPublish::Mode::kFailBeforeCreate;
  std::string staged = c.stage(write_local(dir.path(), "0:0", 0), true);
  EXPECT_THROW(c.publish(pending({staged}, 0, 1), nullptr, state), storage::StorageError);
  EXPECT_EQ(state, State::kNotPublished);
  EXPECT_TRUE(read_commit_log(table).empty());
  c.discard({staged});

  table.mode = FlakyPublish::Mode::kFailAfterCreate;
  staged = c.stage(write_local(dir.path(), "0:0", 0), true);
  EXPECT_THROW(c.publish(pending({staged}, 0, 1), nullptr, state), storage::StorageError);
  EXPECT_EQ(state, State::kPublished);
  EXPECT_EQ(c.last_seq(), 1);
  // The staged file was kept: recovery rolls the published entry forward.
  table.mode = FlakyPublish::Mode::kOk;
  LakeCommitter again(table, "w");
  ASSERT_EQ(again.recover().size(), 1u);
  EXPECT_EQ(check_exactly_once(table), 1);
}

INSTANTIATE_TEST_SUITE_P(Storage, CommitProtocol, ::testing::Values(Where::kLocal, Where::kS3),
                         [](const auto& info) {
                           return info.param == Where::kLocal ? std::string("Local")
                                                              : std::string("S3");
                         });

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new sluice::testsupport::RgwEnvironment);
  return RUN_ALL_TESTS();
}
