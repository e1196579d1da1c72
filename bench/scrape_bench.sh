#!/usr/bin/env bash
# What a /metrics scrape costs the pipeline (issue 14): builds
# bench/linked/scrape_bench in Release and runs it (render time of the
# exposition; Counter::inc and Telemetry::batch() latency alone and while
# another thread renders /metrics without pause).
#
#   bash bench/scrape_bench.sh [RUNS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-release}
if [ "$BUILD" = "$ROOT/build-release" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSLUICE_TESTS=OFF -DSLUICE_BENCH=ON >/dev/null
else  # an existing build directory (BUILD=...): keep its build type, add the bench programs
  cmake -S "$ROOT" -B "$BUILD" -DSLUICE_BENCH=ON >/dev/null
fi
cmake --build "$BUILD" -j2 --target scrape_bench >/dev/null
"$BUILD/bench/linked/scrape_bench" "${1:-5}"
