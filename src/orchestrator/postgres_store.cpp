// PostgreSQL implementation of CheckpointStore (see checkpoint_store.h), with
// libpq: the same tables and semantics as the SQLite store. Multi-statement
// operations run in one transaction; begin_run serializes on an advisory lock
// so two processes never both start a run; leases are one atomic upsert.
#include <libpq-fe.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "batch/pg_handle.h"
#include "core/error.h"
#include "orchestrator/checkpoint_store.h"

namespace sluice {
namespace {

// Advisory lock keys (arbitrary constants): schema creation and begin_run.
constexpr const char* kSchemaLock = "SELECT pg_advisory_xact_lock(7305861201)";
constexpr const char* kRunsLock = "SELECT pg_advisory_xact_lock(7305861202)";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs(
  id BIGSERIAL PRIMARY KEY,
  job TEXT NOT NULL, input_key TEXT NOT NULL, trigger TEXT NOT NULL, status TEXT NOT NULL,
  started BIGINT NOT NULL, finished BIGINT NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS runs_by_job ON runs(job, input_key);
CREATE TABLE IF NOT EXISTS attempts(
  run_id BIGINT NOT NULL, attempt INTEGER NOT NULL, started BIGINT NOT NULL,
  finished BIGINT NOT NULL, status TEXT NOT NULL, error TEXT NOT NULL, delay_ms BIGINT NOT NULL,
  PRIMARY KEY(run_id, attempt));
CREATE TABLE IF NOT EXISTS checkpoints(key TEXT PRIMARY KEY, value BIGINT NOT NULL,
  updated BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS incidents(key TEXT PRIMARY KEY, opened BIGINT NOT NULL,
  message TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases(name TEXT PRIMARY KEY, owner TEXT NOT NULL,
  expires BIGINT NOT NULL);
)sql";

constexpr const char* kRunColumns =
    "id, job, input_key, trigger, status, started, finished, attempts, error";

std::string num(int64_t v) {
  return std::to_string(v);
}

class PostgresStore : public CheckpointStore {
 public:
  explicit PostgresStore(const std::string& uri) : uri_(uri) {
    conn_.reset(PQconnectdb(uri.c_str()));
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
      throw RuntimeError("checkpoint store postgresql: cannot connect: " +
                         std::string(conn_ ? PQerrorMessage(conn_.get()) : "out of memory"));
    }
    exec("SET client_min_messages TO warning");  // no "already exists" notices
    Transaction tx(*this);
    exec(kSchemaLock);
    exec(kSchema);
    tx.commit();
  }

  RunRecord begin_run(const std::string& job, const std::string& input_key,
                      const std::string& trigger, int64_t now_ms) override {
    Transaction tx(*this);
    exec(kRunsLock);
    exec(
        "UPDATE runs SET status='interrupted', finished=$1 "
        "WHERE job=$2 AND status='running' AND input_key<>$3",
        {num(now_ms), job, input_key});
    std::optional<RunRecord> open =
        query_run(std::string("SELECT ") + kRunColumns +
                      " FROM runs WHERE job=$1 AND input_key=$2 AND status='running' "
                      "ORDER BY id DESC LIMIT 1",
                  {job, input_key});
    if (!open) {
      open = query_run(std::string("INSERT INTO runs(job, input_key, trigger, status, started) "
                                   "VALUES($1,$2,$3,'running',$4) RETURNING ") +
                           kRunColumns,
                       {job, input_key, trigger, num(now_ms)});
      if (!open) fail("INSERT INTO runs returned no row");
    }
    tx.commit();
    return *open;
  }

  void record_attempt(const AttemptRecord& a) override {
    Transaction tx(*this);
    exec(
        "INSERT INTO attempts(run_id, attempt, started, finished, status, error, delay_ms) "
        "VALUES($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (run_id, attempt) DO UPDATE SET "
        "started=EXCLUDED.started, finished=EXCLUDED.finished, status=EXCLUDED.status, "
        "error=EXCLUDED.error, delay_ms=EXCLUDED.delay_ms",
        {num(a.run_id), num(a.attempt), num(a.started_ms), num(a.finished_ms), a.status, a.error,
         num(a.delay_ms)});
    exec("UPDATE runs SET attempts=$1, error=$2 WHERE id=$3",
         {num(a.attempt), a.error, num(a.run_id)});
    tx.commit();
  }

  void finish_run(int64_t run_id, RunStatus status, int64_t now_ms, const std::string& error,
                  const std::map<std::string, int64_t>& checkpoints) override {
    Transaction tx(*this);
    exec("UPDATE runs SET status=$1, finished=$2, error=$3 WHERE id=$4",
         {run_status_name(status), num(now_ms), error, num(run_id)});
    if (status == RunStatus::kSucceeded) {
      for (const auto& [k, v] : checkpoints) put_checkpoint(k, v, now_ms);
    }
    tx.commit();
  }

  std::optional<int64_t> checkpoint(const std::string& key) override {
    PgResultPtr r = exec("SELECT value FROM checkpoints WHERE key=$1", {key});
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return to_int(r.get(), 0, 0);
  }

  void set_checkpoint(const std::string& key, int64_t value, int64_t now_ms) override {
    put_checkpoint(key, value, now_ms);
  }

  std::optional<RunRecord> last_run(const std::string& job, const std::string& input_key) override {
    return query_run(std::string("SELECT ") + kRunColumns +
                         " FROM runs WHERE job=$1 AND input_key=$2 ORDER BY id DESC LIMIT 1",
                     {job, input_key});
  }

  std::vector<RunRecord> list_runs(const std::string& job, int limit) override {
    PgResultPtr r = exec(std::string("SELECT ") + kRunColumns +
                             " FROM runs WHERE ($1::text = '' OR job = $1::text) "
                             "ORDER BY id DESC LIMIT $2::bigint",
                         {job, num(limit > 0 ? limit : 1000000)});
    std::vector<RunRecord> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(read_run(r.get(), i));
    return out;
  }

  std::vector<AttemptRecord> attempts(int64_t run_id) override {
    PgResultPtr r = exec(
        "SELECT run_id, attempt, started, finished, status, error, delay_ms FROM attempts "
        "WHERE run_id=$1 ORDER BY attempt",
        {num(run_id)});
    std::vector<AttemptRecord> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      AttemptRecord a;
      a.run_id = to_int(r.get(), i, 0);
      a.attempt = static_cast<int>(to_int(r.get(), i, 1));
      a.started_ms = to_int(r.get(), i, 2);
      a.finished_ms = to_int(r.get(), i, 3);
      a.status = PQgetvalue(r.get(), i, 4);
      a.error = PQgetvalue(r.get(), i, 5);
      a.delay_ms = to_int(r.get(), i, 6);
      out.push_back(a);
    }
    return out;
  }

  bool open_incident(const std::string& key, const std::string& message, int64_t now_ms) override {
    PgResultPtr r = exec(
        "INSERT INTO incidents(key, opened, message) VALUES($1,$2,$3) "
        "ON CONFLICT (key) DO NOTHING",
        {key, num(now_ms), message});
    return std::string(PQcmdTuples(r.get())) == "1";
  }

  bool close_incident(const std::string& key) override {
    PgResultPtr r = exec("DELETE FROM incidents WHERE key=$1", {key});
    return std::string(PQcmdTuples(r.get())) == "1";
  }

  bool incident_open(const std::string& key) override {
    PgResultPtr r = exec("SELECT 1 FROM incidents WHERE key=$1", {key});
    return PQntuples(r.get()) > 0;
  }

  bool acquire_lease(const std::string& name, const std::string& owner, int64_t now_ms,
                     int64_t ttl_ms) override {
    // One statement: atomic across connections (the row is locked by the upsert).
    PgResultPtr r = exec(
        "INSERT INTO leases(name, owner, expires) VALUES($1,$2,$3) "
        "ON CONFLICT (name) DO UPDATE SET owner=EXCLUDED.owner, expires=EXCLUDED.expires "
        "WHERE leases.owner=EXCLUDED.owner OR leases.expires<$4 RETURNING owner",
        {name, owner, num(now_ms + ttl_ms), num(now_ms)});
    return PQntuples(r.get()) == 1;
  }

  void release_lease(const std::string& name, const std::string& owner) override {
    exec("DELETE FROM leases WHERE name=$1 AND owner=$2", {name, owner});
  }

 private:
  // BEGIN ... COMMIT, rolled back if not committed.
  class Transaction {
   public:
    explicit Transaction(PostgresStore& s) : s_(s) { s_.exec("BEGIN"); }
    void commit() {
      s_.exec("COMMIT");
      done_ = true;
    }
    ~Transaction() {
      if (!done_) PgResultPtr(PQexec(s_.conn_.get(), "ROLLBACK"));
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

   private:
    PostgresStore& s_;
    bool done_ = false;
  };

  [[noreturn]] void fail(const std::string& what) const {
    throw RuntimeError("checkpoint store postgresql: " + what);
  }

  // Runs `sql` with text parameters; throws unless it succeeded.
  PgResultPtr exec(const std::string& sql, const std::vector<std::string>& params = {}) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const std::string& p : params) values.push_back(p.c_str());
    // Without parameters PQexec, which also runs multi-statement scripts.
    PgResultPtr r(params.empty()
                      ? PQexec(conn_.get(), sql.c_str())
                      : PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()),
                                     nullptr, values.data(), nullptr, nullptr, 0));
    ExecStatusType st = PQresultStatus(r.get());
    if (!r || (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)) {
      fail(std::string(PQerrorMessage(conn_.get())) + " [" + sql + "]");
    }
    return r;
  }

  void put_checkpoint(const std::string& key, int64_t value, int64_t now_ms) {
    exec(
        "INSERT INTO checkpoints(key, value, updated) VALUES($1,$2,$3) "
        "ON CONFLICT (key) DO UPDATE SET value=EXCLUDED.value, updated=EXCLUDED.updated",
        {key, num(value), num(now_ms)});
  }

  static int64_t to_int(const PGresult* r, int row, int col) {
    return std::stoll(PQgetvalue(r, row, col));
  }

  static RunRecord read_run(const PGresult* r, int row) {
    RunRecord rec;
    rec.id = to_int(r, row, 0);
    rec.job = PQgetvalue(r, row, 1);
    rec.input_key = PQgetvalue(r, row, 2);
    rec.trigger = PQgetvalue(r, row, 3);
    rec.status = PQgetvalue(r, row, 4);
    rec.started_ms = to_int(r, row, 5);
    rec.finished_ms = to_int(r, row, 6);
    rec.attempts = static_cast<int>(to_int(r, row, 7));
    rec.error = PQgetvalue(r, row, 8);
    return rec;
  }

  std::optional<RunRecord> query_run(const std::string& sql,
                                     const std::vector<std::string>& params) {
    PgResultPtr r = exec(sql, params);
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return read_run(r.get(), 0);
  }

  std::string uri_;
  PgConnPtr conn_;
};

}  // namespace

std::unique_ptr<CheckpointStore> open_postgres_store(const std::string& uri) {
  return std::make_unique<PostgresStore>(uri);
}

}  // namespace sluice
