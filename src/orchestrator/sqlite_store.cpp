// SQLite implementation of CheckpointStore (see checkpoint_store.h).
#include <sqlite3.h>

#include <memory>
#include <string>
#include <variant>

#include "core/error.h"
#include "orchestrator/checkpoint_store.h"
#include "storage/fs_util.h"
#include "storage/location.h"

namespace sluice {

const char* run_status_name(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSucceeded:
      return "succeeded";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kSkipped:
      return "skipped";
    case RunStatus::kInterrupted:
      return "interrupted";
  }
  return "failed";
}

namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

using Value = std::variant<int64_t, std::string>;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job TEXT NOT NULL, input_key TEXT NOT NULL, trigger TEXT NOT NULL, status TEXT NOT NULL,
  started INTEGER NOT NULL, finished INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS runs_by_job ON runs(job, input_key);
CREATE TABLE IF NOT EXISTS attempts(
  run_id INTEGER NOT NULL, attempt INTEGER NOT NULL, started INTEGER NOT NULL,
  finished INTEGER NOT NULL, status TEXT NOT NULL, error TEXT NOT NULL, delay_ms INTEGER NOT NULL,
  PRIMARY KEY(run_id, attempt));
CREATE TABLE IF NOT EXISTS checkpoints(key TEXT PRIMARY KEY, value INTEGER NOT NULL,
  updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS incidents(key TEXT PRIMARY KEY, opened INTEGER NOT NULL,
  message TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases(name TEXT PRIMARY KEY, owner TEXT NOT NULL,
  expires INTEGER NOT NULL);
)sql";

class SqliteStore : public CheckpointStore {
 public:
  explicit SqliteStore(const std::string& path) : path_(path) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                             nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) fail("open");
    sqlite3_busy_timeout(db_.get(), 10000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    exec(kSchema);
  }

  RunRecord begin_run(const std::string& job, const std::string& input_key,
                      const std::string& trigger, int64_t now_ms) override {
    Transaction tx(*this);
    exec_bound(
        "UPDATE runs SET status='interrupted', finished=?1 "
        "WHERE job=?2 AND status='running' AND input_key<>?3",
        {now_ms, job, input_key});
    std::optional<RunRecord> open = query_run(
        "SELECT * FROM runs WHERE job=?1 AND input_key=?2 AND status='running' "
        "ORDER BY id DESC LIMIT 1",
        {job, input_key});
    if (!open) {
      exec_bound(
          "INSERT INTO runs(job, input_key, trigger, status, started) VALUES(?1,?2,?3,?4,?5)",
          {job, input_key, trigger, std::string("running"), now_ms});
      open = query_run("SELECT * FROM runs WHERE id=?1",
                       {static_cast<int64_t>(sqlite3_last_insert_rowid(db_.get()))});
    }
    tx.commit();
    return *open;
  }

  void record_attempt(const AttemptRecord& a) override {
    Transaction tx(*this);
    exec_bound(
        "INSERT OR REPLACE INTO attempts(run_id, attempt, started, finished, status, error, "
        "delay_ms) VALUES(?1,?2,?3,?4,?5,?6,?7)",
        {a.run_id, int64_t{a.attempt}, a.started_ms, a.finished_ms, a.status, a.error, a.delay_ms});
    exec_bound("UPDATE runs SET attempts=?1, error=?2 WHERE id=?3",
               {int64_t{a.attempt}, a.error, a.run_id});
    tx.commit();
  }

  void finish_run(int64_t run_id, RunStatus status, int64_t now_ms, const std::string& error,
                  const std::map<std::string, int64_t>& checkpoints) override {
    Transaction tx(*this);
    exec_bound("UPDATE runs SET status=?1, finished=?2, error=?3 WHERE id=?4",
               {std::string(run_status_name(status)), now_ms, error, run_id});
    if (status == RunStatus::kSucceeded) {
      for (const auto& [k, v] : checkpoints) put_checkpoint(k, v, now_ms);
    }
    tx.commit();
  }

  std::optional<int64_t> checkpoint(const std::string& key) override {
    Stmt s = prepare("SELECT value FROM checkpoints WHERE key=?1", {key});
    if (step(s) != SQLITE_ROW) return std::nullopt;
    return sqlite3_column_int64(s.get(), 0);
  }

  void set_checkpoint(const std::string& key, int64_t value, int64_t now_ms) override {
    put_checkpoint(key, value, now_ms);
  }

  std::optional<RunRecord> last_run(const std::string& job, const std::string& input_key) override {
    return query_run("SELECT * FROM runs WHERE job=?1 AND input_key=?2 ORDER BY id DESC LIMIT 1",
                     {job, input_key});
  }

  std::vector<RunRecord> list_runs(const std::string& job, int limit) override {
    Stmt s = prepare("SELECT * FROM runs WHERE (?1 = '' OR job = ?1) ORDER BY id DESC LIMIT ?2",
                     {job, int64_t{limit > 0 ? limit : 1000000}});
    std::vector<RunRecord> out;
    while (step(s) == SQLITE_ROW) out.push_back(read_run(s.get()));
    return out;
  }

  std::vector<AttemptRecord> attempts(int64_t run_id) override {
    Stmt s = prepare(
        "SELECT run_id, attempt, started, finished, status, error, delay_ms FROM attempts "
        "WHERE run_id=?1 ORDER BY attempt",
        {run_id});
    std::vector<AttemptRecord> out;
    while (step(s) == SQLITE_ROW) {
      AttemptRecord a;
      a.run_id = sqlite3_column_int64(s.get(), 0);
      a.attempt = sqlite3_column_int(s.get(), 1);
      a.started_ms = sqlite3_column_int64(s.get(), 2);
      a.finished_ms = sqlite3_column_int64(s.get(), 3);
      a.status = text(s.get(), 4);
      a.error = text(s.get(), 5);
      a.delay_ms = sqlite3_column_int64(s.get(), 6);
      out.push_back(a);
    }
    return out;
  }

  bool open_incident(const std::string& key, const std::string& message, int64_t now_ms) override {
    exec_bound("INSERT OR IGNORE INTO incidents(key, opened, message) VALUES(?1,?2,?3)",
               {key, now_ms, message});
    return sqlite3_changes(db_.get()) == 1;
  }

  bool close_incident(const std::string& key) override {
    exec_bound("DELETE FROM incidents WHERE key=?1", {key});
    return sqlite3_changes(db_.get()) == 1;
  }

  bool incident_open(const std::string& key) override {
    Stmt s = prepare("SELECT 1 FROM incidents WHERE key=?1", {key});
    return step(s) == SQLITE_ROW;
  }

  bool acquire_lease(const std::string& name, const std::string& owner, int64_t now_ms,
                     int64_t ttl_ms) override {
    exec_bound(
        "INSERT INTO leases(name, owner, expires) VALUES(?1,?2,?3) "
        "ON CONFLICT(name) DO UPDATE SET owner=excluded.owner, expires=excluded.expires "
        "WHERE leases.owner=excluded.owner OR leases.expires<?4",
        {name, owner, now_ms + ttl_ms, now_ms});
    return sqlite3_changes(db_.get()) == 1;
  }

  void release_lease(const std::string& name, const std::string& owner) override {
    exec_bound("DELETE FROM leases WHERE name=?1 AND owner=?2", {name, owner});
  }

 private:
  using Stmt = StmtHandle;

  // BEGIN IMMEDIATE ... COMMIT, rolled back if not committed.
  class Transaction {
   public:
    explicit Transaction(SqliteStore& s) : s_(s) { s_.exec("BEGIN IMMEDIATE"); }
    void commit() {
      s_.exec("COMMIT");
      done_ = true;
    }
    ~Transaction() {
      if (!done_) sqlite3_exec(s_.db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

   private:
    SqliteStore& s_;
    bool done_ = false;
  };

  [[noreturn]] void fail(const std::string& what) const {
    throw RuntimeError("checkpoint store " + path_ + ": " + what + ": " +
                       (db_ ? sqlite3_errmsg(db_.get()) : "out of memory"));
  }

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw RuntimeError("checkpoint store " + path_ + ": " + msg);
    }
  }

  Stmt prepare(const char* sql, const std::vector<Value>& values) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql, -1, &raw, nullptr) != SQLITE_OK) fail("prepare");
    Stmt s(raw);
    for (size_t i = 0; i < values.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      int rc = std::holds_alternative<int64_t>(values[i])
                   ? sqlite3_bind_int64(raw, idx, std::get<int64_t>(values[i]))
                   : sqlite3_bind_text(raw, idx, std::get<std::string>(values[i]).c_str(), -1,
                                       SQLITE_TRANSIENT);
      if (rc != SQLITE_OK) fail("bind");
    }
    return s;
  }

  int step(Stmt& s) {
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail("step");
    return rc;
  }

  void exec_bound(const char* sql, const std::vector<Value>& values) {
    Stmt s = prepare(sql, values);
    step(s);
  }

  void put_checkpoint(const std::string& key, int64_t value, int64_t now_ms) {
    exec_bound(
        "INSERT INTO checkpoints(key, value, updated) VALUES(?1,?2,?3) "
        "ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated=excluded.updated",
        {key, value, now_ms});
  }

  static std::string text(sqlite3_stmt* s, int col) {
    const unsigned char* t = sqlite3_column_text(s, col);
    return t ? reinterpret_cast<const char*>(t) : "";
  }

  static RunRecord read_run(sqlite3_stmt* s) {
    RunRecord r;
    r.id = sqlite3_column_int64(s, 0);
    r.job = text(s, 1);
    r.input_key = text(s, 2);
    r.trigger = text(s, 3);
    r.status = text(s, 4);
    r.started_ms = sqlite3_column_int64(s, 5);
    r.finished_ms = sqlite3_column_int64(s, 6);
    r.attempts = sqlite3_column_int(s, 7);
    r.error = text(s, 8);
    return r;
  }

  std::optional<RunRecord> query_run(const char* sql, const std::vector<Value>& values) {
    Stmt s = prepare(sql, values);
    if (step(s) != SQLITE_ROW) return std::nullopt;
    return read_run(s.get());
  }

  std::string path_;
  DbHandle db_;
};

}  // namespace

std::unique_ptr<CheckpointStore> open_sqlite_store(const std::string& path) {
  std::string dir = lakefs::parent_dir(path);
  if (!dir.empty()) lakefs::make_dirs(dir);
  return std::make_unique<SqliteStore>(path);
}

std::unique_ptr<CheckpointStore> open_checkpoint_store(const std::string& spec,
                                                       const std::string& lake_dir) {
  if (spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres://", 0) == 0) {
    return open_postgres_store(spec);
  }
  if (spec.empty() && storage::has_scheme(lake_dir)) {
    throw RuntimeError("orchestrator: an s3:// lake (" + lake_dir +
                       ") has no default checkpoint store: set orchestrator.store to a local "
                       "SQLite file (sqlite:/var/lib/sluice/orchestrator.db) or postgresql://...");
  }
  if (spec.empty()) return open_sqlite_store(lake_dir + "/" + kOrchestratorStoreFile);
  if (spec.rfind("sqlite:", 0) == 0) return open_sqlite_store(spec.substr(7));
  return open_sqlite_store(spec);
}

}  // namespace sluice
