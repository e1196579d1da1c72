#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-15 (ASan + UBSan) in
# build-fuzz/ and runs each for SECONDS (default 15) from its seed corpus
# (tests/fuzz/corpus/TARGET, copied: new inputs stay in build-fuzz/corpus).
# A crash stops with exit 1 and leaves the reproducer in build-fuzz/crashes/.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-15}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(fuzz_json_parse fuzz_text_parse fuzz_config fuzz_commit_log)
BUILD="${SLUICE_FUZZ_DIR:-build-fuzz}"
# No precompiled header here: about 35 files, and the donor flags of
# cmake/pch.cmake were checked with GCC only.
CC=clang-15 CXX=clang++-15 cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSLUICE_TESTS=OFF -DSLUICE_FUZZ=ON -DSLUICE_PCH=OFF \
  -DSLUICE_DEBUG_INFO="${SLUICE_DEBUG_INFO:-full}" >/dev/null
cmake --build "$BUILD" -j"${SLUICE_JOBS:-2}" --target "${TARGETS[@]}"
mkdir -p "$BUILD/crashes"
for t in "${TARGETS[@]}"; do
  corpus="$BUILD/corpus/$t"
  mkdir -p "$corpus"
  cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  echo "== $t: ${SECONDS_EACH}s"
  touch "$BUILD/crashes/.start-$t"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$BUILD/tests/fuzz/$t" -max_total_time="$SECONDS_EACH" -max_len=4096 -timeout=10 \
    -artifact_prefix="$BUILD/crashes/$t-" -print_final_stats=1 "$corpus" 2>&1 |
    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::new_units_added|==[0-9]+==ERROR|SUMMARY|Done)" || true
  if [ -n "$(find "$BUILD/crashes" -name "$t-*" -newer "$BUILD/crashes/.start-$t")" ]; then
    echo "$t: crash reproducers in $BUILD/crashes/"; exit 1
  fi
done
