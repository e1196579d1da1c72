#!/usr/bin/env bash
# Configures and builds sluice into build/ (or $SLUICE_BUILD_DIR).
# SLUICE_SANITIZE=1 builds with AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${SLUICE_BUILD_DIR:-build}"
BUILD_TYPE="${SLUICE_BUILD_TYPE:-RelWithDebInfo}"
SANITIZE=OFF
if [ "${SLUICE_SANITIZE:-0}" = 1 ]; then SANITIZE=ON; fi
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DSLUICE_SANITIZE="$SANITIZE" -DSLUICE_TESTS="${SLUICE_TESTS:-ON}" >/dev/null
cmake --build "$BUILD_DIR" -j"${SLUICE_JOBS:-2}"
