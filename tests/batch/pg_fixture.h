// A real PostgreSQL 15 server for tests: initdb in a temp dir, started with
// pg_ctl on a free 127.0.0.1 port with trust auth, as a non-root user
// (initdb refuses root: under root the fixture runs it as the `sluice-test`
// system user, created with useradd if missing). Stopped and removed on
// destruction. If the server cannot start, the constructor throws with the
// reason and the server log: tests fail, they are never skipped.
#pragma once

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

namespace sluice::batchtest {

inline constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";

class PostgresServer {
 public:
  PostgresServer() {
    if (geteuid() == 0) {
      user_ = "sluice-test";
      if (!getpwnam(user_.c_str())) {
        run_or_throw("useradd --system --no-create-home --shell /usr/sbin/nologin " + user_ +
                     " 2>&1");
      }
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-pg-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("postgres fixture: mkdtemp failed");
    dir_ = tmpl;
    if (!user_.empty()) run_or_throw("chown " + user_ + " " + dir_);
    port_ = free_port();
    run_or_throw(as_user(std::string(kPgBin) + "/initdb -D " + dir_ +
                         "/data -A trust -U postgres -E UTF8 --no-sync") +
                 " > " + dir_ + "/initdb.log 2>&1");
    std::string start = as_user(std::string(kPgBin) + "/pg_ctl -D " + dir_ + "/data -l " + dir_ +
                                "/server.log -w -t 60 -o \"-p " + std::to_string(port_) + " -k " +
                                dir_ + " -c listen_addresses=127.0.0.1 -c fsync=off\" start");
    if (std::system((start + " > /dev/null 2>&1").c_str()) != 0) {
      throw std::runtime_error("postgres fixture: server did not start: " +
                               read(dir_ + "/server.log"));
    }
    started_ = true;
  }

  ~PostgresServer() {
    if (started_) {
      std::string stop =
          as_user(std::string(kPgBin) + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop");
      if (std::system((stop + " > /dev/null 2>&1").c_str()) != 0) {
        std::fprintf(stderr, "postgres fixture: pg_ctl stop failed\n");
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  std::string uri() const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
  }

  // First column of the first row of `sql`, as text ("" for NULL / no rows).
  std::string query_value(const std::string& sql) const {
    std::unique_ptr<PGconn, decltype(&PQfinish)> c(PQconnectdb(uri().c_str()), &PQfinish);
    if (PQstatus(c.get()) != CONNECTION_OK) {
      throw std::runtime_error(std::string("postgres: ") + PQerrorMessage(c.get()));
    }
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      throw std::runtime_error(std::string("postgres: ") + PQerrorMessage(c.get()) + " [" + sql +
                               "]");
    }
    if (PQntuples(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) return "";
    return PQgetvalue(r.get(), 0, 0);
  }

 private:
  std::string as_user(const std::string& cmd) const {
    return user_.empty() ? cmd : "runuser -u " + user_ + " -- " + cmd;
  }

  static void run_or_throw(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("postgres fixture: failed: " + cmd);
  }

  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  static int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (fd >= 0) close(fd);
      throw std::runtime_error("postgres fixture: no free port");
    }
    close(fd);
    return ntohs(addr.sin_port);
  }

  std::string user_;
  std::string dir_;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace sluice::batchtest
