#!/usr/bin/env bash
# Fresh machine to a full test run: installs dependencies, builds, runs every
# test with CTest (unit, integration against librdkafka's mock cluster, and the
# SIGKILL crash test), 4 at a time: most tests wait on brokers and restarts
# rather than compute (SLUICE_TEST_JOBS to change).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd "${SLUICE_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 600 -j"${SLUICE_TEST_JOBS:-4}"
