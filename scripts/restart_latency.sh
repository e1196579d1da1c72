#!/usr/bin/env bash
# Measures how long a SIGKILLed `sluice run` worker takes, once restarted, to
# get its partitions back (its claim entry in the commit log) and to publish
# its first data commit, with static group membership (--writer-id ->
# group.instance.id) and with dynamic membership (source.kafka.instance_id:
# none), while a second worker of the same group keeps running.
#
#   bash scripts/restart_latency.sh [ROUNDS]     (default 5 rounds per mode)
#
# Runs against `sluice dev-broker` (librdkafka's mock cluster): its group
# coordinator is simpler than a real broker's (see README "Scaling out"), so
# the figures show sluice's own share of the restart time.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-5}"
BIN="${SLUICE_BIN:-build/src/cli/sluice}"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$BIN" dev-broker --topic iot --partitions 6 >"$WORK/broker.out" 2>&1 &
for _ in $(seq 100); do
  BROKERS="$(head -1 "$WORK/broker.out" 2>/dev/null || true)"
  [[ "$BROKERS" == *:* && "$BROKERS" != *" "* ]] && break
  sleep 0.05
done
"$BIN" generate iot --count 100000000 --rate 500 --duplicates 0 \
  --output "kafka://$BROKERS/iot" >"$WORK/gen.out" 2>&1 &

now_ms() { date +%s%3N; }
# The timestamp of the first log entry of writer $2 newer than $3 ms, that is
# a claim ($4 = claim) or a data commit ($4 = data); empty if none yet.
first_entry() {
  local table="$1" writer="$2" after="$3" kind="$4" f ts is_claim
  for f in "$table"/_sluice_log/*.json; do
    [ -e "$f" ] || continue
    grep -q "\"writer_id\": \"$writer\"" "$f" || continue
    is_claim=no
    if grep -q '"claim"' "$f"; then is_claim=claim; fi
    if [ "$kind" = claim ] && [ "$is_claim" != claim ]; then continue; fi
    if [ "$kind" = data ] && [ "$is_claim" = claim ]; then continue; fi
    ts="$(grep -o '"timestamp_ms": [0-9]*' "$f" | grep -o '[0-9]*$')"
    if [ "$ts" -gt "$after" ]; then echo "$ts"; return 0; fi
  done
  return 0
}

measure() {
  local mode="$1" lake="$WORK/lake-$1" extra=()
  [ "$mode" = dynamic ] && extra=(--set source.kafka.instance_id=none)
  local args=(run examples/iot.yaml --brokers "$BROKERS" --topic iot --group "lat-$mode"
    --lake "$lake" --quiet --set sink.lake.commit_interval_ms=500
    --set 'transforms=[{type: add_fields, ingest_timestamp: ingest_timestamp, source_type: iot}]'
    "${extra[@]}")
  "$BIN" "${args[@]}" --writer-id w2 --dlq "$lake/w2.dlq" >"$WORK/$mode-w2.log" 2>&1 &
  local w2=$!
  "$BIN" "${args[@]}" --writer-id w1 --dlq "$lake/w1.dlq" >"$WORK/$mode-w1.log" 2>&1 &
  local w1=$!
  sleep 8
  local claims=() commits=()
  for round in $(seq "$ROUNDS"); do
    kill -KILL "$w1"; wait "$w1" 2>/dev/null || true
    sleep 1
    local t0; t0="$(now_ms)"
    "$BIN" "${args[@]}" --writer-id w1 --dlq "$lake/w1.dlq" >>"$WORK/$mode-w1.log" 2>&1 &
    w1=$!
    local claim="" commit=""
    for _ in $(seq 1200); do
      if [ -z "$claim" ]; then claim="$(first_entry "$lake/iot" w1 "$t0" claim)"; fi
      commit="$(first_entry "$lake/iot" w1 "$t0" data)"
      [ -n "$commit" ] && break
      sleep 0.05
    done
    claims+=("$(( ${claim:-0} - t0 ))"); commits+=("$(( ${commit:-0} - t0 ))")
    echo "$mode round $round: restart -> partitions claimed $(( ${claim:-0} - t0 )) ms," \
      "first commit $(( ${commit:-0} - t0 )) ms"
    sleep 3
  done
  kill -TERM "$w1" "$w2"; wait "$w1" "$w2" 2>/dev/null || true
  printf '%s\n' "${commits[@]}" | sort -n | awk -v m="$mode" \
    '{a[NR]=$1} END {printf "%s: first commit after restart: min %d ms, median %d ms, max %d ms\n", m, a[1], a[int((NR+1)/2)], a[NR]}'
}

measure static
measure dynamic
