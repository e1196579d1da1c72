// `sluice lake compact` and `sluice lake vacuum` (sinks/lake/lake_maintenance.h)
// on a local directory and on the RADOS Gateway of this binary
// (test_commit_protocol.cpp starts it): rows and types unchanged by a
// compaction, the process SIGKILLed at every step and at random moments and
// then rerun, compaction while `sluice run` writes the same table, and
// vacuum deleting only unreferenced objects older than the retention.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "lake_test_util.h"
#include "sinks/lake/commit_protocol.h"
#include "sinks/lake/lake_maintenance.h"
#include "sinks/lake/lake_reader.h"
#include "sinks/lake/lake_tools.h"
#include "sinks/lake/lake_writer.h"
#include "storage/local_storage.h"
#include "storage/s3/s3_storage.h"
#include "support/rgw_fixture.h"

namespace sluice {
namespace {

using namespace sluice::testing;
using testsupport::RgwEnvironment;
namespace fs = std::filesystem;

constexpr const char* kBucket = "maint";

// `commits` commits of 40 rows over three hours, every type with NULLs: many
// small files written by the native encoder. Returns the table directory.
std::string write_small_files(const std::string& root, int commits) {
  LakeWriter w(lake_config(root, hourly_keys()), all_types_schema(), "ts", "w1");
  w.open();
  int64_t at = 0;
  for (int c = 0; c < commits; ++c) {
    RecordBatch b(all_types_schema());
    for (int i = 0; i < 40; ++i, ++at) {
      std::optional<std::string> s;
      if (at % 5) s = "v" + std::to_string(at % 17);
      add_row(b, s, at % 3 ? std::optional<int32_t>(static_cast<int32_t>(at)) : std::nullopt,
              at * 1000, at % 4 ? std::optional<double>(at * 0.5) : std::nullopt,
              at % 6 ? std::optional<bool>(at % 2 == 0) : std::nullopt,
              ts_of("2024-03-01T10:00:00Z") + (at % 3) * 3600000000LL + at);
    }
    w.append(b);
    w.commit({{"t/0", at - 40}}, {{"t/0", at}}, {});
  }
  return root + "/events";
}

// Publishes every commit of the local table `from` again on `to` through
// LakeCommitter (how a writer on S3 commits): the same files and positions.
void replay_table(const std::string& from, storage::Storage& to) {
  LakeCommitter c(to, "w1");
  c.recover();
  for (const LakeCommitEntry& e : read_commit_log(from)) {
    LakeCommitEntry n;
    n.start_offsets = e.start_offsets;
    n.end_offsets = e.end_offsets;
    for (LakeCommitEntry::File f : e.files) {
      f.staging = c.stage(from + "/" + f.path, false);
      n.files.push_back(f);
    }
    n = c.publish(n, nullptr);
    c.finish(n);
  }
}

bool hidden(const std::string& key) {
  if (key[0] == '_' || key[0] == '.') return true;
  return key.find("/_") != std::string::npos || key.find("/.") != std::string::npos;
}

// What a reader sees: every row (as text, sorted, with multiplicity) and the
// DuckDB types of every file.
struct Content {
  std::vector<std::string> rows;
  std::set<std::string> types;
  size_t files = 0;
};

Content read_keys(storage::Storage& t, const std::vector<std::string>& keys) {
  Content c;
  c.files = keys.size();
  if (keys.empty()) return c;
  TempDir scratch;
  std::string list;
  DuckDb db(1);
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string path;
    if (auto local = t.local_path(keys[i])) {
      path = *local;
    } else {
      path = scratch.path() + "/" + std::to_string(i) + ".parquet";
      t.get_to_file(keys[i], path);
    }
    list += (list.empty() ? "" : ", ") + sql_quote(path);
    DuckResult d;
    db.query(
        "DESCRIBE SELECT * FROM read_parquet(" + sql_quote(path) + ", hive_partitioning = false)",
        d);
    std::string shape;
    for (size_t r = 0; r < d.rows(); ++r)
      shape += d.string_at(0, r) + " " + d.string_at(1, r) + ";";
    c.types.insert(shape);
  }
  DuckResult r;
  db.query("SELECT CAST(ROW(s, i32, i64, d, b, ts) AS VARCHAR) FROM read_parquet([" + list +
               "], hive_partitioning = false) ORDER BY 1",
           r);
  for (size_t i = 0; i < r.rows(); ++i) c.rows.push_back(r.string_at(0, i));
  return c;
}

// Through the commit log: the live files.
Content through_log(storage::Storage& t) {
  std::vector<std::string> keys;
  for (const auto& [path, f] : live_files(read_commit_log(t))) keys.push_back(path);
  return read_keys(t, keys);
}

// Through a plain listing of TABLE/**.parquet, skipping _ and . paths.
Content through_glob(storage::Storage& t) {
  std::vector<std::string> keys;
  for (const auto& o : storage::list_all(t, "")) {
    if (!hidden(o.key) && o.key.size() > 8 && o.key.substr(o.key.size() - 8) == ".parquet")
      keys.push_back(o.key);
  }
  return read_keys(t, keys);
}

void expect_same_rows(const Content& got, const Content& want, const std::string& what) {
  EXPECT_EQ(got.rows.size(), want.rows.size()) << what;
  EXPECT_TRUE(got.rows == want.rows) << what << ": the row multisets differ";
  EXPECT_EQ(got.types, want.types) << what;
}

// Runs the sluice binary; returns its wait status.
int run_sluice(const std::vector<std::string>& args, const std::string& kill_at = "",
               int64_t kill_after_ms = -1) {
  pid_t pid = fork();
  if (pid == 0) {
    if (!kill_at.empty()) ::setenv("SLUICE_TEST_COMPACT_KILL_AT", kill_at.c_str(), 1);
    if (!std::freopen("/dev/null", "w", stdout)) _exit(126);
    std::vector<char*> argv;
    std::string bin = SLUICE_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (kill_after_ms >= 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

bool exited_ok(int status) {
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

enum class Where { kLocal, kS3 };

// A table location (a directory or s3://maint/<prefix>) and its storage.
struct Target {
  std::string location;
  std::unique_ptr<storage::Storage> storage;
};

Target make_target(Where where, const std::string& dir, const std::string& name) {
  Target t;
  if (where == Where::kLocal) {
    t.location = dir + "/" + name;
  } else {
    auto& rgw = RgwEnvironment::get();
    rgw.create_bucket(kBucket);
    rgw.export_environment();
    t.location = std::string("s3://") + kBucket + "/" + name + "-" + std::to_string(getpid());
  }
  t.storage = open_table(t.location);
  return t;
}

const char* kCompactArgs[] = {"--closed-after", "0s", "--target-size", "4KB"};

CompactOptions rerun_options() {
  CompactOptions o;
  o.closed_after_ms = 0;
  o.target_bytes = 4096;
  return o;
}

std::vector<std::string> compact_args(const std::string& location) {
  std::vector<std::string> a = {"lake", "compact", location};
  a.insert(a.end(), std::begin(kCompactArgs), std::end(kCompactArgs));
  return a;
}

TEST(LakeCompact, MergesSmallFilesKeepingRowsTypesAndPositions) {
  TempDir dir;
  const std::string table_dir = write_small_files(dir.path(), 12);
  storage::LocalStorage table(table_dir);
  const Content before = through_log(table);
  ASSERT_EQ(before.files, 36u);
  ASSERT_EQ(before.types.size(), 1u);

  CompactOptions o;
  o.closed_after_ms = 0;
  o.target_bytes = 4096;
  CompactReport r = compact_table(table, o);
  EXPECT_GT(r.seq, 0);
  EXPECT_EQ(r.files_in, 36);
  EXPECT_EQ(r.rows, 480);
  const Content after = through_log(table);
  expect_same_rows(after, before, "through the log");
  expect_same_rows(through_glob(table), before, "through a glob");
  EXPECT_LT(after.files, before.files / 2);
  // Each merge took consecutive files up to the target: per partition, at
  // most one merged file's inputs could still have fit with the next one.
  std::map<std::string, std::vector<int64_t>> sizes;
  const auto entries = read_commit_log(table);
  std::map<std::string, int64_t> in_bytes;
  for (const auto& e : entries) {
    for (const auto& f : e.files) in_bytes[f.path] = f.bytes;
  }
  const LakeCommitEntry& c = entries.back();
  ASSERT_TRUE(is_compaction_entry(c));
  EXPECT_TRUE(c.start_offsets.empty() && c.end_offsets.empty());
  int64_t merged_in = 0;
  for (const auto& p : c.removed) merged_in += in_bytes[p];
  EXPECT_LE(merged_in, 4096 * static_cast<int64_t>(c.files.size()));
  EXPECT_GT(merged_in, 4096 * (static_cast<int64_t>(c.files.size()) - 3) / 2)
      << "merged files are far below the target";
  EXPECT_TRUE(verify_table(table_dir).ok);
  // The event-time rebuild reads the same rows.
  EXPECT_EQ(read_committed_rows(table, all_types_schema(), "ts", 0).rows(), 480u);
  // The writer's positions are unchanged, and it keeps committing (fence
  // and claims untouched by the compaction entry).
  LakeWriter w(lake_config(dir.path(), hourly_keys()), all_types_schema(), "ts", "w1");
  LakeState s = w.open();
  EXPECT_EQ(s.offsets.at("t/0"), 480);
  RecordBatch b(all_types_schema());
  add_row(b, "x", 1, 1, 1.0, true, ts_of("2024-03-01T10:00:00Z"));
  w.append(b);
  EXPECT_NO_THROW(w.commit({{"t/0", 480}}, {{"t/0", 481}}, {}));
  // A second compaction finds only the new small file and merged files it
  // cannot combine further below the target without the partition changing.
  EXPECT_EQ(through_log(table).rows.size(), 481u);
}

TEST(LakeCompact, LeavesOpenPartitionsAlone) {
  TempDir dir;
  const std::string table_dir = write_small_files(dir.path(), 4);
  storage::LocalStorage table(table_dir);
  CompactOptions o;
  o.target_bytes = 4096;  // closed_after_ms: the default hour; every commit is fresh
  EXPECT_EQ(compact_table(table, o).seq, 0);
  EXPECT_EQ(read_commit_log(table).size(), 4u);
}

// A compaction's (or vacuum's) recover() may move a writer's staged files
// between the writer's publish and its own moves: the writer's finish()
// still succeeds.
TEST(LakeCompact, FinishAfterAnotherProcessRecoveredTheEntry) {
  TempDir dir;
  storage::LocalStorage table(dir.path() + "/t");
  LakeCommitter writer(table, "w1");
  writer.recover();
  const std::string local = dir.path() + "/f.parquet";
  std::ofstream(local) << "bytes";
  LakeCommitEntry e;
  LakeCommitEntry::File f;
  f.partition = "p=1";
  f.rows = 1;
  f.staging = writer.stage(local, false);
  e.files.push_back(f);
  e = writer.publish(e, nullptr);
  LakeCommitter other(table, "compact-test");
  other.recover();
  ASSERT_TRUE(table.head(e.files[0].path)) << "recover did not move the staged file";
  EXPECT_NO_THROW(writer.finish(e));
  EXPECT_TRUE(table.head(e.files[0].path));
}

class LakeCompactCrash : public ::testing::TestWithParam<Where> {};

// SIGKILL at every step of a compaction, then a rerun: the table through the
// log is the original, a glob shows no row twice, vacuum leaves nothing.
TEST_P(LakeCompactCrash, SigkillAtEveryStepThenRerun) {
  TempDir dir;
  const std::string source = write_small_files(dir.path() + "/source", 4);
  storage::LocalStorage source_table(source);
  const Content original = through_log(source_table);
  int round = 0;
  // Every step on a local table; on S3 (slower per request) the steps
  // around the commit point.
  std::vector<std::string> steps = {"recovered", "staged-1", "staged",
                                    "published", "moved",    "removed-1"};
  if (GetParam() == Where::kS3) steps = {"staged-1", "published", "moved"};
  for (const std::string& step : steps) {
    SCOPED_TRACE(step);
    Target t = make_target(GetParam(), dir.path(), "t" + std::to_string(round++));
    if (GetParam() == Where::kLocal) {
      fs::copy(source, t.location, fs::copy_options::recursive);
    } else {
      replay_table(source, *t.storage);
    }
    const size_t entries_before = read_commit_log(*t.storage).size();
    int status = run_sluice(compact_args(t.location), step);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
    const bool published = step == "published" || step == "moved" || step == "removed-1";
    EXPECT_EQ(read_commit_log(*t.storage).size(), entries_before + (published ? 1 : 0));
    if (!published) expect_same_rows(through_glob(*t.storage), original, "glob after the kill");
    // The rerun (in this process: the restart is what matters).
    compact_table(*t.storage, rerun_options());
    expect_same_rows(through_log(*t.storage), original, "log after the rerun");
    expect_same_rows(through_glob(*t.storage), original, "glob after the rerun");
    EXPECT_LT(through_log(*t.storage).files, original.files);
    VacuumOptions vacuum;
    vacuum.retain_ms = 0;
    vacuum_table(*t.storage, vacuum);
    VerifyReport v = verify_table(t.location);
    EXPECT_TRUE(v.ok) << (v.problems.empty() ? "" : v.problems.front());
  }
}

TEST_P(LakeCompactCrash, SigkillAtRandomMomentsThenRerun) {
  TempDir dir;
  const std::string source = write_small_files(dir.path() + "/source", 4);
  storage::LocalStorage source_table(source);
  const Content original = through_log(source_table);
  Target t = make_target(GetParam(), dir.path(), "random");
  if (GetParam() == Where::kLocal) {
    fs::copy(source, t.location, fs::copy_options::recursive);
  } else {
    replay_table(source, *t.storage);
  }
  std::mt19937 rng(7);
  for (int kill = 0; kill < (GetParam() == Where::kS3 ? 2 : 4); ++kill) {
    run_sluice(compact_args(t.location), "", static_cast<int64_t>(rng() % 400));
    // Whatever the moment, the live files of the log hold every row once.
    int64_t rows = 0;
    for (const auto& [path, f] : live_files(read_commit_log(*t.storage))) rows += f.rows;
    EXPECT_EQ(rows, static_cast<int64_t>(original.rows.size()));
  }
  compact_table(*t.storage, rerun_options());
  expect_same_rows(through_log(*t.storage), original, "log");
  expect_same_rows(through_glob(*t.storage), original, "glob");
}

INSTANTIATE_TEST_SUITE_P(Storage, LakeCompactCrash, ::testing::Values(Where::kLocal, Where::kS3),
                         [](const auto& info) {
                           return info.param == Where::kLocal ? std::string("Local")
                                                              : std::string("S3");
                         });

// `sluice run` streams stdin into the table with a commit every 100 ms while
// compactions run: every event once through the log and through a glob, and
// the writer was never fenced.
TEST(LakeCompact, WhileSluiceRunWrites) {
  TempDir dir;
  const std::string lake = dir.path() + "/lake";
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  pid_t pid = fork();
  if (pid == 0) {
    ::dup2(pipefd[0], 0);
    ::close(pipefd[1]);
    if (!std::freopen("/dev/null", "w", stdout)) _exit(126);
    std::string bin = SLUICE_BINARY;
    std::string pipeline = std::string(SLUICE_SOURCE_DIR) + "/examples/clickstream.yaml";
    std::vector<std::string> args = {bin,
                                     "run",
                                     pipeline,
                                     "--input",
                                     "-",
                                     "--lake",
                                     lake,
                                     "--dlq",
                                     dir.path() + "/dlq.ndjson",
                                     "--set",
                                     "sink.lake.commit_interval_ms=100",
                                     "--quiet"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(pipefd[0]);
  const std::string table = lake + "/clickstream";
  int64_t events = 0;
  int compactions = 0;
  for (int round = 0; round < 6; ++round) {
    std::string chunk;
    for (int i = 0; i < 60; ++i, ++events) {
      chunk += "{\"session_id\":\"s" + std::to_string(events % 11) +
               "\",\"page_url\":\"https://a.example/p" + std::to_string(events) +
               "\",\"timestamp\":\"2025-01-0" + std::to_string(1 + events % 2) + "T1" +
               std::to_string(events % 3) + ":00:00Z\",\"TTI\":1.5,\"TTAR\":2.0}\n";
    }
    ASSERT_EQ(::write(pipefd[1], chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
    // Wait for the writer to commit this chunk, then compact.
    const int64_t want = events;
    for (int i = 0; i < 3000; ++i) {
      int64_t rows = 0;
      if (fs::exists(table + "/_sluice_log")) {
        for (const auto& e : read_commit_log(table)) {
          if (!is_compaction_entry(e)) rows += e.rows();
        }
      }
      if (rows >= want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (round % 2 == 1) {
      ASSERT_TRUE(exited_ok(run_sluice({"lake", "compact", table, "--closed-after", "0s"})));
      ++compactions;
    }
  }
  ::close(pipefd[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(exited_ok(status)) << "sluice run failed (fenced?): " << status;
  int kinds = 0;
  for (const auto& e : read_commit_log(table)) kinds += is_compaction_entry(e) ? 1 : 0;
  EXPECT_GE(kinds, compactions / 2) << "the compactions merged nothing";
  storage::LocalStorage t(table);
  DuckDb db(1);
  std::string files;
  for (const auto& [path, f] : live_files(read_commit_log(table)))
    files += (files.empty() ? "" : ", ") + sql_quote(table + "/" + path);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM read_parquet([" + files + "])"), events);
  EXPECT_EQ(query_int(db, "SELECT count(DISTINCT page_url) FROM read_parquet([" + files + "])"),
            events);
  EXPECT_EQ(glob_rows(table), events);
  EXPECT_TRUE(verify_table(table).ok);
}

void set_age(const std::string& path, int64_t seconds) {
  struct timeval tv[2];
  gettimeofday(&tv[0], nullptr);
  tv[0].tv_sec -= seconds;
  tv[1] = tv[0];
  ASSERT_EQ(::utimes(path.c_str(), tv), 0) << path;
}

TEST(LakeVacuum, DeletesOnlyUnreferencedFilesOlderThanTheRetention) {
  TempDir dir;
  const std::string table_dir = write_small_files(dir.path(), 4);
  storage::LocalStorage table(table_dir);
  CompactOptions o;
  o.closed_after_ms = 0;
  o.target_bytes = 4096;
  ASSERT_GT(compact_table(table, o).seq, 0);
  const Content content = through_log(table);
  const LakeCommitEntry compaction = read_commit_log(table).back();
  const std::string removed = compaction.removed.front();
  const std::string live = compaction.files.front().path;
  // Leftovers: an old and a young staged file nobody published, an old
  // unlogged file at a final path, an old temporary log file, and a removed
  // file that a crash left (young: removed files go at any age).
  const std::string old_staged = "_sluice_staging/dead-1-0.parquet";
  const std::string young_staged = "_sluice_staging/running-1-0.parquet.inprogress";
  const std::string stray = compaction.files.front().partition + "/part-stray.parquet";
  const std::string tmp_log = "_sluice_log/.00000000000000000009.dead.tmp";
  for (const std::string& k : {old_staged, young_staged, stray, tmp_log}) {
    std::ofstream(table_dir + "/" + k) << "x";
  }
  fs::copy_file(table_dir + "/" + live, table_dir + "/" + removed);
  for (const std::string& k : {old_staged, stray, tmp_log, live}) {
    set_age(table_dir + "/" + k, 2 * 3600);
  }
  VacuumOptions v;
  v.retain_ms = 3600 * 1000;
  v.dry_run = true;
  VacuumReport dry = vacuum_table(table, v);
  std::set<std::string> listed;
  for (const auto& item : dry.deleted) listed.insert(item.key);
  EXPECT_EQ(listed, (std::set<std::string>{old_staged, stray, tmp_log, removed}));
  EXPECT_TRUE(fs::exists(table_dir + "/" + old_staged)) << "dry run deleted";
  v.dry_run = false;
  VacuumReport done = vacuum_table(table, v);
  EXPECT_EQ(done.deleted.size(), 3u);  // the removed file went in the roll-forward before
  EXPECT_EQ(done.kept_young, 1);
  for (const std::string& k : {old_staged, stray, tmp_log, removed}) {
    EXPECT_FALSE(fs::exists(table_dir + "/" + k)) << k;
  }
  EXPECT_TRUE(fs::exists(table_dir + "/" + young_staged));
  EXPECT_TRUE(fs::exists(table_dir + "/" + live)) << "an old live file was deleted";
  expect_same_rows(through_log(table), content, "after vacuum");
}

// A write killed between LocalStorage's temporary file and its rename leaves
// ".sluice-tmp-*" (never listed): vacuum deletes the old ones, keeps young
// ones (a write in flight may own them).
TEST(LakeVacuum, SweepsOldLocalTemporaryFiles) {
  TempDir dir;
  const std::string table_dir = write_small_files(dir.path(), 1);
  storage::LocalStorage table(table_dir);
  const std::string partition = read_commit_log(table).back().files.front().partition;
  const std::string old_data = partition + "/" + storage::kLocalTmpPrefix + "a1";
  const std::string old_log = std::string(kLakeLogDir) + "/" + storage::kLocalTmpPrefix + "b2";
  const std::string young = partition + "/" + storage::kLocalTmpPrefix + "c3";
  for (const std::string& k : {old_data, old_log, young}) {
    std::ofstream(table_dir + "/" + k) << "partial";
  }
  for (const std::string& k : {old_data, old_log}) set_age(table_dir + "/" + k, 2 * 3600);
  VacuumOptions v;
  v.retain_ms = 3600 * 1000;
  v.dry_run = true;
  std::set<std::string> listed;
  for (const auto& item : vacuum_table(table, v).deleted) listed.insert(item.key);
  EXPECT_EQ(listed, (std::set<std::string>{old_data, old_log}));
  EXPECT_TRUE(fs::exists(table_dir + "/" + old_data)) << "dry run deleted";
  v.dry_run = false;
  VacuumReport done = vacuum_table(table, v);
  EXPECT_EQ(done.deleted.size(), 2u);
  EXPECT_FALSE(fs::exists(table_dir + "/" + old_data));
  EXPECT_FALSE(fs::exists(table_dir + "/" + old_log));
  EXPECT_TRUE(fs::exists(table_dir + "/" + young));
  EXPECT_TRUE(verify_table(table_dir).ok);
}

TEST(LakeVacuum, ShortRetentionNeedsForceAndSizesParse) {
  TempDir dir;
  const std::string table_dir = write_small_files(dir.path(), 1);
  std::ofstream(table_dir + "/_sluice_staging/dead-1-0.parquet") << "x";
  int status = run_sluice({"lake", "vacuum", table_dir, "--retain", "10m"});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << status;
  EXPECT_TRUE(fs::exists(table_dir + "/_sluice_staging/dead-1-0.parquet"));
  EXPECT_TRUE(exited_ok(
      run_sluice({"lake", "vacuum", "events", "--lake", dir.path(), "--retain", "0s", "--force"})));
  EXPECT_FALSE(fs::exists(table_dir + "/_sluice_staging/dead-1-0.parquet"));
  status = run_sluice({"lake", "compact", table_dir, "--target-size", "12 parsecs"});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << status;

  EXPECT_EQ(parse_byte_size("128MB"), 128LL << 20);
  EXPECT_EQ(parse_byte_size("64mib"), 64LL << 20);
  EXPECT_EQ(parse_byte_size("2G"), 2LL << 30);
  EXPECT_EQ(parse_byte_size("4096"), 4096);
  EXPECT_EQ(parse_byte_size("1TB"), std::nullopt);
  EXPECT_EQ(parse_byte_size("MB"), std::nullopt);
  EXPECT_EQ(parse_duration_ms("7d"), 7LL * 86400 * 1000);
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_EQ(parse_duration_ms("0s"), 0);
  EXPECT_EQ(parse_duration_ms("1w"), std::nullopt);
}

// On RGW: a compaction killed after staging leaves staged objects, a writer
// left a multipart upload: vacuum keeps both within the retention and
// removes them (aborting the upload) past it.
TEST(LakeVacuum, S3LeftoversAndStaleMultipartUploads) {
  TempDir dir;
  const std::string source = write_small_files(dir.path() + "/source", 4);
  Target t = make_target(Where::kS3, dir.path(), "vacuum");
  replay_table(source, *t.storage);
  ASSERT_TRUE(WIFSIGNALED(run_sluice(compact_args(t.location), "staged")));
  auto* s3 = dynamic_cast<storage::S3Storage*>(t.storage.get());
  ASSERT_NE(s3, nullptr);
  storage::S3Request start;
  start.method = "POST";
  start.key = "vacuum-" + std::to_string(getpid()) + "/_sluice_staging/w1-x-9.parquet";
  start.query = {{"uploads", ""}};
  storage::S3Response resp = s3->client().send(start);
  ASSERT_FALSE(storage::xml_text(resp.body, "UploadId").empty());
  ASSERT_EQ(s3->list_uploads("").size(), 1u);
  size_t staged = storage::list_all(*t.storage, "_sluice_staging/").size();
  ASSERT_GT(staged, 0u);

  VacuumOptions v;
  v.retain_ms = 3600 * 1000;
  VacuumReport young = vacuum_table(*t.storage, v);
  EXPECT_TRUE(young.deleted.empty());
  EXPECT_EQ(young.kept_young, static_cast<int64_t>(staged) + 1);
  ASSERT_TRUE(exited_ok(run_sluice({"lake", "vacuum", t.location, "--retain", "0s", "--force"})));
  EXPECT_TRUE(s3->list_uploads("").empty());
  EXPECT_TRUE(storage::list_all(*t.storage, "_sluice_staging/").empty());
  EXPECT_TRUE(verify_table(t.location).ok);
}

}  // namespace
}  // namespace sluice
