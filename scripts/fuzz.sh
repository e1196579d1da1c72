#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-15 (ASan + UBSan) in
# build-fuzz/ and runs each for SECONDS (default 15) from its seed corpus
# (tests/fuzz/corpus/TARGET, copied: new inputs stay in build-fuzz/corpus),
# all targets at once.
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
mkdir -p "$BUILD/crashes" "$BUILD/logs"
# The targets run side by side (each for SECONDS of wall time, sharing the
# cores): CI's budget is wall time.
run_target() {
  local t=$1 corpus="$BUILD/corpus/$1"
  mkdir -p "$corpus"
  cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$BUILD/tests/fuzz/$t" -max_total_time="$SECONDS_EACH" -max_len=4096 -timeout="$TIMEOUT" \
    -artifact_prefix="$BUILD/crashes/$t-" -print_final_stats=1 "$corpus" >"$BUILD/logs/$t.log" 2>&1 || true
}
# Per-input timeout: generous, since the targets share the cores.
TIMEOUT="${SLUICE_FUZZ_TIMEOUT:-60}"
for t in "${TARGETS[@]}"; do touch "$BUILD/crashes/.start-$t"; done
echo "== ${TARGETS[*]}: ${SECONDS_EACH}s each, side by side"
pids=()
for t in "${TARGETS[@]}"; do
  run_target "$t" &
  pids+=($!)
done
wait "${pids[@]}"
failed=0
for t in "${TARGETS[@]}"; do
  echo "== $t"
  grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::new_units_added|==[0-9]+==ERROR|SUMMARY|Done)" \
    "$BUILD/logs/$t.log" || true
  if [ -n "$(find "$BUILD/crashes" -name "$t-*" -newer "$BUILD/crashes/.start-$t")" ]; then
    echo "$t: crash reproducers in $BUILD/crashes/ (log: $BUILD/logs/$t.log)"
    failed=1
  fi
done
exit "$failed"
