#!/usr/bin/env bash
# Configures and builds sluice into build/ (or $SLUICE_BUILD_DIR).
# SLUICE_SANITIZE=1 builds with AddressSanitizer + UndefinedBehaviorSanitizer.
# SLUICE_DEBUG_INFO=lines builds with line tables only (-g1: stack traces keep
# file:line, objects and links are lighter; .ci/run uses it), default full (-g).
# SLUICE_PCH=ON tries the precompiled header of cmake/pch.cmake (off: README
# "Build times (CI)" has the figures).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${SLUICE_BUILD_DIR:-build}"
BUILD_TYPE="${SLUICE_BUILD_TYPE:-RelWithDebInfo}"
SANITIZE=OFF
if [ "${SLUICE_SANITIZE:-0}" = 1 ]; then SANITIZE=ON; fi
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DSLUICE_SANITIZE="$SANITIZE" -DSLUICE_TESTS="${SLUICE_TESTS:-ON}" \
  -DSLUICE_DEBUG_INFO="${SLUICE_DEBUG_INFO:-full}" -DSLUICE_PCH="${SLUICE_PCH:-OFF}" >/dev/null
cmake --build "$BUILD_DIR" -j"${SLUICE_JOBS:-2}"
