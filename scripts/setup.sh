#!/usr/bin/env bash
# Installs every dependency of sluice on a fresh Debian 12 machine, idempotently:
# Debian packages through apt, DuckDB 1.4.4 (library and header) from the npm
# registry, verified against pinned npm integrity hashes, into third_party/duckdb
# (ignored by git, never committed), and the independent Parquet readers of
# tests/parquet (nodejs-polars, hyparquet) with `npm ci` from their committed
# package-lock.json, which pins every version and checks its integrity hash.
# Prometheus (with promtool) and Chromium are Debian packages for the
# observability tests (tests/observability). Ceph's RADOS Gateway (radosgw,
# ceph-mon, ceph-osd, ceph-common), pinned to Debian 12's version, is the S3
# server of the storage tests (tests/support/rgw.sh starts one on loopback).
# mold, pinned to Debian 12's version, is the linker the build uses by default.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake g++ pkg-config clang-format ca-certificates curl
  librdkafka-dev libsimdjson-dev libyaml-cpp-dev libcli11-dev libspdlog-dev
  libfmt-dev libcpp-httplib-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev
  nlohmann-json3-dev libre2-dev libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 time libzstd-dev libsnappy-dev
  prometheus chromium
  clang-15 libfuzzer-15-dev
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
# mold, the linker CMakeLists.txt picks by default (SLUICE_LINKER=auto), at
# Debian 12's version.
MOLD_VERSION="1.10.1+dfsg-1"
have="$(dpkg-query -W -f='${Status} ${Version}' mold 2>/dev/null || true)"
[ "$have" = "install ok installed $MOLD_VERSION" ] || missing+=("mold=$MOLD_VERSION")
# Ceph 16.2 from Debian 12, at this exact version.
CEPH_VERSION="16.2.15+ds-0+deb12u2"
for p in radosgw ceph-mon ceph-osd ceph-common; do
  have="$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null || true)"
  [ "$have" = "install ok installed $CEPH_VERSION" ] || missing+=("$p=$CEPH_VERSION")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# DuckDB 1.4.4 from npm, pinned by version and sha512 integrity.
DUCKDB_DIR=third_party/duckdb
LIB_PKG="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
LIB_SHA512="jBTL/WvfwxLToFa/pVHfT6elMtltJGnc3wSuxZD9OfMltit9YUdVFS37vBFQzXMT1Z8OWjtSjMh+zPKxOwHLHA=="
HDR_PKG="duckdb@1.4.4"
HDR_SHA512="hEJJ5hyVF0VLj3dmOLpsWrQR0b3d4Ykqtygm6iUXjHJDDnSqg/USKxcb5qvNrOhFYPgktayU6dXCtgPqcmmpog=="

fetch_npm() { # package expected-sha512-base64 -> prints tarball path
  local pkg="$1" want="$2" dir
  dir="$(mktemp -d)"
  (cd "$dir" && npm pack --silent "$pkg" >/dev/null 2>&1)
  local tgz
  tgz="$(ls "$dir"/*.tgz)"
  local got
  got="$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$got" != "$want" ]; then
    echo "setup: integrity mismatch for $pkg: got sha512-$got" >&2
    exit 1
  fi
  echo "$tgz"
}

if [ ! -f "$DUCKDB_DIR/.complete-1.4.4-r.4" ]; then
  echo "setup: fetching DuckDB 1.4.4 from npm"
  rm -rf "$DUCKDB_DIR"
  mkdir -p "$DUCKDB_DIR/lib" "$DUCKDB_DIR/include"
  lib_tgz="$(fetch_npm "$LIB_PKG" "$LIB_SHA512")"
  hdr_tgz="$(fetch_npm "$HDR_PKG" "$HDR_SHA512")"
  tmp="$(mktemp -d)"
  tar -xzf "$lib_tgz" -C "$tmp" package/libduckdb.so
  cp "$tmp/package/libduckdb.so" "$DUCKDB_DIR/lib/"
  tar -xzf "$hdr_tgz" -C "$tmp" package/src/duckdb/src/include/duckdb.h
  cp "$tmp/package/src/duckdb/src/include/duckdb.h" "$DUCKDB_DIR/include/"
  rm -rf "$tmp" "$(dirname "$lib_tgz")" "$(dirname "$hdr_tgz")"
  touch "$DUCKDB_DIR/.complete-1.4.4-r.4"
fi
# Parquet readers for tests/parquet: exact versions and sha512 integrity come from
# tests/parquet/readers/package-lock.json; `npm ci` refuses a tarball whose hash
# differs. nodejs-polars needs its platform package listed explicitly.
READERS_DIR=tests/parquet/readers
if [ ! -f "$READERS_DIR/node_modules/.package-lock.json" ] ||
   [ "$READERS_DIR/package-lock.json" -nt "$READERS_DIR/node_modules/.package-lock.json" ]; then
  echo "setup: installing the Parquet test readers (npm ci in $READERS_DIR)"
  (cd "$READERS_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
# uPlot for the dashboard (embedded into the binary at build time), pinned with
# its sha512 integrity in web/package-lock.json, installed with `npm ci`.
WEB_DIR=web
if [ ! -f "$WEB_DIR/node_modules/.package-lock.json" ] ||
   [ "$WEB_DIR/package-lock.json" -nt "$WEB_DIR/node_modules/.package-lock.json" ]; then
  echo "setup: installing the dashboard's chart library (npm ci in $WEB_DIR)"
  (cd "$WEB_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: done"
