// RAII owners for libpq handles, shared by the PostgreSQL warehouse loader
// (src/batch/warehouse.cpp) and the PostgreSQL checkpoint store
// (src/orchestrator/postgres_store.cpp).
//
// Threading: a PGconn is used by one thread at a time (libpq's rule).
#pragma once

#include <libpq-fe.h>

#include <memory>

namespace sluice {

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

}  // namespace sluice
