#!/usr/bin/env bash
# Soak: 3 `sluice run` workers of one consumer group ingest IoT events from a
# 12-partition topic of `sluice dev-broker` while `sluice generate` produces
# them; CYCLES times (default 50) a random worker is SIGKILLed at a random
# moment and restarted after a random pause (below the session timeout: a
# static member coming back, or above it: its partitions move). The workers
# run examples/iot.yaml as it is: dedupe, and its 1-minute window table
# iot_windows, finalized by whichever worker owns partition 0. At the end
# every generated event must be in the lake exactly once (DuckDB over a plain
# glob), the commit logs must verify, no worker may have failed otherwise, and
# the window table must equal the one a single worker writes from the same
# events (one row per window and device type, the same values).
#
#   bash scripts/soak.sh [CYCLES]
#
# Needs build/src/cli/sluice (scripts/build.sh) and bench's duck_bench, which
# it builds if missing (cmake -S bench -B build/bench). Prints one line per
# cycle and a summary; exit 0 when exactly-once held.
set -euo pipefail
cd "$(dirname "$0")/.."
CYCLES="${1:-50}"
BIN="${SLUICE_BIN:-build/src/cli/sluice}"
DUCK="${DUCK:-build/bench/duck_bench}"
WORK="${SOAK_DIR:-$(mktemp -d)}"
RATE="${SOAK_RATE:-1500}"
SEED=$RANDOM
if [ ! -x "$DUCK" ]; then
  cmake -S bench -B build/bench -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/bench -j2 --target duck_bench >/dev/null
fi
echo "soak: $CYCLES cycles, work dir $WORK, generator seed $SEED, $RATE events/s"
declare -A PID
cleanup() {
  for w in "${!PID[@]}"; do kill -KILL "${PID[$w]}" 2>/dev/null || true; done
  [ -n "${GEN:-}" ] && kill -KILL "$GEN" 2>/dev/null || true
  [ -n "${BROKER:-}" ] && kill -TERM "$BROKER" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

"$BIN" dev-broker --topic iot --partitions 12 >"$WORK/broker.out" 2>&1 &
BROKER=$!
for _ in $(seq 100); do
  BROKERS="$(head -1 "$WORK/broker.out" 2>/dev/null || true)"
  [[ "$BROKERS" == *:* && "$BROKERS" != *" "* ]] && break
  sleep 0.05
done
# Distinct events only (duplicates would be dropped by dedupe and spoil the count).
"$BIN" generate iot --count 100000000 --rate "$RATE" --seed "$SEED" --duplicates 0 \
  --output "kafka://$BROKERS/iot" >"$WORK/generate.out" 2>&1 &
GEN=$!

LAKE="$WORK/lake"
start() {
  local w="$1"
  "$BIN" run examples/iot.yaml --brokers "$BROKERS" --topic iot --group soak --lake "$LAKE" \
    --writer-id "$w" --dlq "$LAKE/_dlq/$w.ndjson" --quiet \
    --set sink.lake.commit_interval_ms=500 \
    --set source.kafka.session_timeout_ms=6000 \
    --set "source.kafka.properties={heartbeat.interval.ms: '500'}" \
    >>"$WORK/$w.log" 2>&1 &
  PID[$w]=$!
}
for w in w1 w2 w3; do start "$w"; done
sleep 5

failures=0
for cycle in $(seq "$CYCLES"); do
  w="w$(( RANDOM % 3 + 1 ))"
  if ! kill -0 "${PID[$w]}" 2>/dev/null; then
    wait "${PID[$w]}" && rc=0 || rc=$?
    echo "cycle $cycle: $w had exited with code $rc (see $WORK/$w.log)"
    failures=$((failures + 1))
  else
    kill -KILL "${PID[$w]}"; wait "${PID[$w]}" 2>/dev/null || true
  fi
  pause_ms=$(( RANDOM % 8000 ))   # 0..8 s: within or beyond the 6 s session
  echo "cycle $cycle: killed $w, restarting after ${pause_ms} ms"
  sleep "$(awk -v m="$pause_ms" 'BEGIN{printf "%.3f", m/1000}')"
  start "$w"
  sleep "$(awk -v r="$RANDOM" 'BEGIN{printf "%.3f", 1 + (r % 3000) / 1000}')"
done

kill -TERM "$GEN"; wait "$GEN" || true
TOTAL="$(grep -o 'generated [0-9]*' "$WORK/generate.out" | tail -1 | grep -o '[0-9]*')"
echo "soak: generator delivered $TOTAL events; waiting for the workers to commit them"
count() { "$DUCK" sql "SELECT $1 FROM read_parquet('$LAKE/iot/**/*.parquet', hive_partitioning=true)" | tail -1 | tr -dc '0-9'; }
for _ in $(seq 180); do
  [ "$(count 'count(*)' 2>/dev/null || echo 0)" -ge "$TOTAL" ] && break
  sleep 1
done
sleep 2
# The same events read by one worker alone, into its own lake. Not from the
# topic: the mock cluster drops old segments (a fresh group starts hundreds of
# thousands of events in), so the generator writes the same events (same
# seed and count: the same event for the same index) to a file.
SOLO="$WORK/solo"
SOLO_RC=0
"$BIN" generate iot --count "$TOTAL" --seed "$SEED" --duplicates 0 --output "$WORK/events.ndjson" \
  >"$WORK/solo.log" 2>&1 || SOLO_RC=$?
"$BIN" run examples/iot.yaml --input "$WORK/events.ndjson" --lake "$SOLO" --writer-id solo \
  --dlq "$SOLO/_dlq/solo.ndjson" --quiet >>"$WORK/solo.log" 2>&1 || SOLO_RC=$?
# The window table's finalized position (its latest "finalize" end offset).
finalized() {
  for f in "$1/iot_windows/_sluice_log/"*.json; do [ -f "$f" ] && tr -d ' \n' <"$f" && echo; done |
    grep -o '"end_offsets":{"finalize":-\?[0-9]*' |
    grep -o -- '-\?[0-9]*$' | sort -n | tail -1 || true
}
SOLO_FIN="$(finalized "$SOLO")"
win() { echo "(SELECT * EXCLUDE (processing_time) FROM read_parquet('$1/iot_windows/**/*.parquet', hive_partitioning=false))"; }
sql() { "$DUCK" sql "$1" | tail -1 | tr -dc '0-9'; }
# The workers' finalizer closes the same windows (the table watermark is a
# function of the committed raw rows; a finalizer publishes only when a
# window closes, so the positions themselves may differ within a window).
SOLO_WINDOWS="$(sql "SELECT count(*) FROM $(win "$SOLO")")"
for _ in $(seq 120); do
  [ "$(sql "SELECT count(*) FROM $(win "$LAKE")" 2>/dev/null || echo 0)" = "$SOLO_WINDOWS" ] && break
  sleep 1
done
MULTI_FIN="$(finalized "$LAKE")"
for w in w1 w2 w3; do
  if kill -0 "${PID[$w]}" 2>/dev/null; then
    kill -TERM "${PID[$w]}"; wait "${PID[$w]}" && rc=0 || rc=$?
    [ "$rc" = 0 ] || { echo "soak: $w exited with $rc on SIGTERM"; failures=$((failures + 1)); }
  else
    wait "${PID[$w]}" && rc=0 || rc=$?
    echo "soak: $w had exited with code $rc"; failures=$((failures + 1))
  fi
done
PID=()

ROWS="$(count 'count(*)')"
DISTINCT="$(count 'count(DISTINCT event_id)')"
CLAIMS="$(grep -l '"claim"' "$LAKE/iot/_sluice_log/"*.json | wc -l)"
ENTRIES="$(ls "$LAKE/iot/_sluice_log/" | grep -c '\.json$')"
VERIFY=0; "$BIN" lake verify "$LAKE/iot" >"$WORK/verify.out" 2>&1 || VERIFY=$?
"$BIN" lake verify "$LAKE/iot_windows" >>"$WORK/verify.out" 2>&1 || VERIFY=$?
echo "soak: $CYCLES kills; events generated $TOTAL, rows $ROWS, distinct event_id $DISTINCT;" \
  "log entries $ENTRIES ($CLAIMS claims); lake verify exit $VERIFY; unexpected worker exits $failures"

# Windows: one row per window and device type, equal to the single worker's.
WINDOWS="$(sql "SELECT count(*) FROM $(win "$LAKE")")"
REPEATS="$(sql "SELECT count(*) - count(DISTINCT (window_start, device_type)) FROM $(win "$LAKE")")"
ONLY_MULTI="$(sql "SELECT count(*) FROM ($(win "$LAKE") EXCEPT ALL $(win "$SOLO"))")"
ONLY_SOLO="$(sql "SELECT count(*) FROM ($(win "$SOLO") EXCEPT ALL $(win "$LAKE"))")"
echo "soak: windows: workers $WINDOWS rows (finalized to $MULTI_FIN), single worker $SOLO_WINDOWS" \
  "(to $SOLO_FIN, exit $SOLO_RC); repeated window/group $REPEATS; only in workers' $ONLY_MULTI," \
  "only in single's $ONLY_SOLO"
if [ "$ROWS" = "$TOTAL" ] && [ "$DISTINCT" = "$TOTAL" ] && [ "$VERIFY" = 0 ] && [ "$failures" = 0 ] &&
  [ "$SOLO_RC" = 0 ] && [ "$WINDOWS" -gt 0 ] && [ "$WINDOWS" = "$SOLO_WINDOWS" ] &&
  [ "$REPEATS" = 0 ] && [ "$ONLY_MULTI" = 0 ] && [ "$ONLY_SOLO" = 0 ]; then
  echo "soak: exactly once, windows equal to a single worker's: OK"
else
  echo "soak: FAILED (work dir kept: $WORK)"; trap - EXIT; cleanup; exit 1
fi
rm -rf "$WORK"
