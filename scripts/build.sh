#!/usr/bin/env bash
# Configures and builds sluice into build/ (or $SLUICE_BUILD_DIR).
# SLUICE_SANITIZE=1 builds with AddressSanitizer + UndefinedBehaviorSanitizer.
# SLUICE_DEBUG_INFO=lines builds with line tables only (-g1: stack traces keep
# file:line, objects and links are lighter; .ci/run uses it), default full (-g).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${SLUICE_BUILD_DIR:-build}"
BUILD_TYPE="${SLUICE_BUILD_TYPE:-RelWithDebInfo}"
SANITIZE=OFF
if [ "${SLUICE_SANITIZE:-0}" = 1 ]; then SANITIZE=ON; fi
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DSLUICE_SANITIZE="$SANITIZE" -DSLUICE_TESTS="${SLUICE_TESTS:-ON}" \
  -DSLUICE_DEBUG_INFO="${SLUICE_DEBUG_INFO:-full}" >/dev/null
cmake --build "$BUILD_DIR" -j"${SLUICE_JOBS:-2}"
