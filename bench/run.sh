#!/usr/bin/env bash
# One command for sluice's benchmarks: builds sluice and the bench programs in
# Release, generates the inputs, and prints throughput, ratios, peak RSS,
# commit latency and the Kafka comparison. Figures are medians of RUNS runs.
#
#   bash bench/run.sh [--events N] [--runs N] [--big] [--no-files] [--no-kafka] [--no-latency]
#                     [--kafka-events N] [--kafka-partitions N] [--work DIR]
#                     [--spread single|live|backfill:H] [--spreads]
#
# Environment equivalents: EVENTS, RUNS, BIG=1, FILES=0, KAFKA=0, LATENCY=0,
# KAFKA_EVENTS, KAFKA_PARTITIONS, WORK, SPREAD; SLUICE_BIN=PATH uses that
# sluice binary instead of building one in Release.
# --spread: event-time spread of the generated inputs (sluice generate
# --spread); default the generator's (live; single for iot).
# --spreads [SPREADS=1]: only the lake writer across the four partition
# spreads of clickstream (single, backfill:72, live, partition_by [page_url,
# day]), each side by side with the DuckDB peer, the DuckDB encode floor and
# the native encoder alone; with --big also the 10M peak RSS of the live spread.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
EVENTS=${EVENTS:-1000000}
RUNS=${RUNS:-3}
BIG=${BIG:-0}
KAFKA=${KAFKA:-1}
LATENCY=${LATENCY:-1}
FILES=${FILES:-1}
KAFKA_EVENTS=${KAFKA_EVENTS:-100000}
KAFKA_PARTITIONS=${KAFKA_PARTITIONS:-64}
KAFKA_PRODUCE_RATE=${KAFKA_PRODUCE_RATE:-25000}
LATENCY_RATE=${LATENCY_RATE:-20000}
LATENCY_SECONDS=${LATENCY_SECONDS:-15}
WORK=${WORK:-/tmp/sluice-bench}
SPREAD=${SPREAD:-}
SPREADS=${SPREADS:-0}
SEED=42

while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --big) BIG=1; shift ;;
    --no-kafka) KAFKA=0; shift ;;
    --no-latency) LATENCY=0; shift ;;
    --no-files) FILES=0; shift ;;
    --kafka-events) KAFKA_EVENTS=$2; shift 2 ;;
    --kafka-partitions) KAFKA_PARTITIONS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --spread) SPREAD=$2; shift 2 ;;
    --spreads) SPREADS=1; shift ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ ! -x /usr/bin/time ]; then
  echo "run.sh: /usr/bin/time missing (Debian package 'time'; scripts/setup.sh installs it)" >&2
  exit 1
fi

BUILD=$ROOT/build-release
if [ -n "${SLUICE_BIN:-}" ]; then
  # An existing sluice binary (e.g. build/src/cli/sluice, RelWithDebInfo -O2)
  # instead of building sluice in Release; the bench programs are still built.
  echo "== sluice: $SLUICE_BIN (not rebuilt)"
else
  echo "== build (Release)"
  # -Wno-restrict: GCC 12 reports a false -Wrestrict in std::string's operator+
  # in Release (a known GCC 12 false positive in src/transforms/parse/schema_plan.cpp),
  # which -Werror turns into a failed build.
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSLUICE_TESTS=OFF -DCMAKE_CXX_FLAGS=-Wno-restrict >/dev/null
  cmake --build "$BUILD" -j2 --target sluice >/dev/null
fi
cmake -S "$ROOT/bench" -B "$BUILD/bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD/bench" -j2 >/dev/null
SLUICE=${SLUICE_BIN:-$BUILD/src/cli/sluice}
DUCK=$BUILD/bench/duck_bench
PARSE=$BUILD/bench/parse_limit
BARE=$BUILD/bench/bare_consumer
ENCODE=$BUILD/bench/lake_encode_bench

mkdir -p "$WORK"
BROKER_PID=""
cleanup() {
  if [ -n "$BROKER_PID" ]; then kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK/lake" "$WORK/out" "$WORK/lat" "$WORK/klake"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
maxof() { sort -g | tail -1; }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / s}'; }

input_for() {  # family count -> path (generated once, cached by family/count/seed)
  # IoT producers retry: the family's mix has 2% duplicate events.
  local extra=() tag=""
  if [ "$1" = iot ]; then extra=(--duplicates 2); tag="-d2"; fi
  if [ -n "$SPREAD" ]; then extra+=(--spread "$SPREAD"); tag="$tag-${SPREAD/:/}"; else tag="$tag-default"; fi
  local f="$WORK/$1-$2-s$SEED$tag.ndjson"
  if [ ! -s "$f" ]; then
    echo "== generate $2 $1 events -> $f" >&2
    "$SLUICE" generate "$1" --count "$2" --seed "$SEED" "${extra[@]}" --output "$f.tmp" >/dev/null 2>&1
    mv "$f.tmp" "$f"
  fi
  echo "$f"
}

# sluice end to end: prints "wall_seconds rss_kb events_read rows_written cpu_seconds" per run.
sluice_run() {  # family input lake [extra args...]
  local family=$1 input=$2 lake=$3; shift 3
  rm -rf "$lake"
  /usr/bin/time -f "%e %M %U %S" -o "$WORK/time.txt" \
    "$SLUICE" run "$ROOT/examples/$family.yaml" --input "$input" --lake "$lake" --quiet "$@" >"$WORK/summary.txt"
  local read rows
  read=$(awk -F: '/events read/ {gsub(/ /, "", $2); print $2}' "$WORK/summary.txt")
  rows=$(awk -F: '/rows written/ {gsub(/ /, "", $2); print $2}' "$WORK/summary.txt")
  local wall rss user sys
  read -r wall rss user sys <"$WORK/time.txt"
  echo "$wall $rss $read $rows $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')"
}

bench_family() {  # family
  local family=$1 input events rows walls rss s peer floor parse line
  input=$(input_for "$family" "$EVENTS")
  echo
  echo "== $family: $EVENTS events, $(du -m "$input" | cut -f1) MB of JSON lines, $RUNS runs each (median)"
  : >"$WORK/sluice.txt"
  for _ in $(seq "$RUNS"); do sluice_run "$family" "$input" "$WORK/lake" >>"$WORK/sluice.txt"; done
  s=$(cut -d' ' -f1 "$WORK/sluice.txt" | median)
  rss=$(cut -d' ' -f2 "$WORK/sluice.txt" | maxof)
  echo "$rss" >"$WORK/rss-$family.txt"
  events=$(tail -1 "$WORK/sluice.txt" | cut -d' ' -f3)
  rows=$(tail -1 "$WORK/sluice.txt" | cut -d' ' -f4)
  local cpu
  cpu=$(cut -d' ' -f5 "$WORK/sluice.txt" | median)

  line=$("$DUCK" peer "$family" "$input" "$WORK/out" "$RUNS")
  peer=$(echo "$line" | field peer_seconds)
  local peer_rows
  peer_rows=$(echo "$line" | field rows)
  line=$("$DUCK" floor "$WORK/lake/$family" "$WORK/out" "$RUNS")
  floor=$(echo "$line" | field floor_partitioned_seconds)
  local floor_single floor_pre parts
  floor_single=$(echo "$line" | field floor_single_file_seconds)
  floor_pre=$(echo "$line" | field floor_prepartitioned_seconds)
  parts=$(echo "$line" | field partitions)
  line=$("$PARSE" "$input" "$RUNS")
  parse=$(echo "$line" | field parse_seconds)

  printf '  rows out: sluice %s, peer %s; %s partitions (year/month/day/hour), zstd\n' "$rows" "$peer_rows" "$parts"
  printf '  %-44s %8.3f s %10s events/s  peak RSS %s MB\n' "(a) sluice run (end to end, committed)" "$s" \
    "$(rate "$events" "$s")" "$((rss / 1024))"
  printf '  %-44s %8.3f s (%s cores busy on average)\n' "    sluice CPU time (user + sys)" "$cpu" "$(ratio "$cpu" "$s")"
  printf '  %-44s %8.3f s %10s events/s\n' "(b) peer: DuckDB read_ndjson+UNNEST+COPY" "$peer" "$(rate "$events" "$peer")"
  printf '  %-44s %8.3f s %10s events/s\n' "(c) encode floor: COPY PARTITION_BY" "$floor" "$(rate "$events" "$floor")"
  printf '  %-44s %8.3f s\n' "    floor, one COPY per partition table" "$floor_pre"
  printf '  %-44s %8.3f s\n' "    floor, single file (no partitioning)" "$floor_single"
  printf '  %-44s %8.3f s %10s events/s\n' "(d) parse limit: simdjson On Demand, 1 core" "$parse" "$(rate "$events" "$parse")"
  printf '  time ratios: sluice/peer %s  sluice/floor %s  sluice/parse-limit %s\n' \
    "$(ratio "$s" "$peer")" "$(ratio "$s" "$floor")" "$(ratio "$s" "$parse")"
  if [ "$rows" != "$peer_rows" ]; then echo "  WARNING: row counts differ between sluice and the peer"; fi
  grep -E "duplicates|late rows|windows emitted" "$WORK/summary.txt" | sed 's/^/  sluice summary: /' || true
}

# The lake writer across partition spreads (clickstream): one line per
# system, then the ratios. Prints "wall rss events rows cpu" per sluice run.
bench_spread() {  # tag label spread keys [extra sluice args...]
  local tag=$1 label=$2 spread=$3 keys=$4; shift 4
  local input line s rss cpu events rows files peer floor native ncpu
  input=$(SPREAD=$spread input_for clickstream "$EVENTS")
  : >"$WORK/sluice.txt"
  for _ in $(seq "$RUNS"); do sluice_run clickstream "$input" "$WORK/lake" "$@" >>"$WORK/sluice.txt"; done
  s=$(cut -d' ' -f1 "$WORK/sluice.txt" | median)
  rss=$(cut -d' ' -f2 "$WORK/sluice.txt" | maxof)
  cpu=$(cut -d' ' -f5 "$WORK/sluice.txt" | median)
  events=$(tail -1 "$WORK/sluice.txt" | cut -d' ' -f3)
  rows=$(tail -1 "$WORK/sluice.txt" | cut -d' ' -f4)
  files=$(find "$WORK/lake/clickstream" -name '*.parquet' -not -path '*/_sluice_*' | wc -l)
  line=$("$DUCK" peer clickstream "$input" "$WORK/out" "$RUNS" "$keys")
  peer=$(echo "$line" | field peer_seconds)
  line=$("$DUCK" floor "$WORK/lake/clickstream" "$WORK/out" "$RUNS" "$keys")
  floor=$(echo "$line" | field floor_partitioned_seconds)
  local parts fcpu fbytes nbytes
  parts=$(echo "$line" | field partitions)
  fcpu=$(echo "$line" | field floor_partitioned_cpu_seconds)
  fbytes=$(echo "$line" | field floor_partitioned_bytes)
  line=$("$ENCODE" "$WORK/lake/clickstream" "$WORK/out" "$RUNS" 2)
  native=$(echo "$line" | field native_seconds)
  ncpu=$(echo "$line" | field native_cpu_seconds)
  nbytes=$(echo "$line" | field bytes)
  echo
  echo "== $label: $EVENTS events ($(du -m "$input" | cut -f1) MB), $rows rows, $parts partitions, $files files (load average $(cut -d' ' -f1 /proc/loadavg))"
  printf '  %-46s %8.3f s %10s events/s  CPU %.2f s (%s cores busy)  peak RSS %s MB\n' \
    "sluice run (end to end, committed)" "$s" "$(rate "$events" "$s")" "$cpu" "$(ratio "$cpu" "$s")" "$((rss / 1024))"
  printf '  %-46s %8.3f s %10s events/s\n' "peer: DuckDB read_ndjson+UNNEST+COPY" "$peer" "$(rate "$events" "$peer")"
  printf '  %-46s %8.3f s %10s events/s  CPU %.2f s  %s MB\n' "encode floor: DuckDB COPY PARTITION_BY" "$floor" \
    "$(rate "$events" "$floor")" "$fcpu" "$((fbytes / 1048576))"
  printf '  %-46s %8.3f s %10s events/s  CPU %.2f s  %s MB\n' "native encoder alone (2 threads, in memory)" "$native" \
    "$(rate "$events" "$native")" "$ncpu" "$((nbytes / 1048576))"
  printf '  ratios: peer/sluice %s  floor/native %s (CPU %s)  native/floor bytes %s  sluice/native %s\n' \
    "$(ratio "$peer" "$s")" "$(ratio "$floor" "$native")" "$(ratio "$fcpu" "$ncpu")" "$(ratio "$nbytes" "$fbytes")" "$(ratio "$s" "$native")"
  echo "$tag $s $(rate "$events" "$s") $cpu $((rss / 1024)) $peer $floor $native $files $parts $fcpu $ncpu $fbytes $nbytes" >>"$WORK/spreads.txt"
}

bench_spreads() {
  echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews wall times; CPU seconds are steadier)"
  : >"$WORK/spreads.txt"
  bench_spread single "single (one hour partition)" single hourly
  bench_spread backfill:72 "backfill:72 (72 shuffled hourly partitions)" backfill:72 hourly
  bench_spread live "live (95% current hour, 5% over 24 h)" live hourly
  bench_spread url_day "partition_by [page_url, day] (live input)" live url_day --set 'sink.lake.partition_by=[page_url, day]'
  echo
  echo "== summary (events/s end to end; x = DuckDB peer time / sluice time; CPU = user + sys seconds)"
  awk '{printf "  %-12s sluice %9d ev/s  CPU %6.2f s  %5.2fx peer  RSS %4d MB  files %5d  partitions %5d | encoder alone: %5.2fx COPY time, %5.2fx COPY CPU, size %4.2fx COPY\n", $1, $3, $4, $6 / $2, $5, $9, $10, $7 / $8, $11 / $12, $14 / $13}' "$WORK/spreads.txt"
  echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  # Many open partitions: 1,000 partition values (page_url x hour of a
  # backfill over 72 hours), all held in buffers at once.
  local minput mline
  minput=$(SPREAD=backfill:72 input_for clickstream "$EVENTS")
  sluice_run clickstream "$minput" "$WORK/lake" --set 'sink.lake.partition_by=[page_url, day, hour]' >"$WORK/sluice.txt"
  read -r bs brss bev _ bcpu <"$WORK/sluice.txt"
  mline=$(find "$WORK/lake/clickstream" -mindepth 1 -type d -not -path '*/_sluice_*' -links 2 | wc -l)
  echo "  partition_by [page_url, day, hour] over backfill:72: $mline partitions, peak RSS $((brss / 1024)) MB, $bs s, CPU $bcpu s, $(rate "$bev" "$bs") events/s"
  if [ "$BIG" = 1 ]; then
    local big bigin brss1 bs brss bev
    big=$((EVENTS * 10))
    brss1=$(awk '$1 == "live" {print $5}' "$WORK/spreads.txt")
    bigin=$(SPREAD=live input_for clickstream "$big")
    sluice_run clickstream "$bigin" "$WORK/lake" >"$WORK/sluice.txt"
    read -r bs brss bev _ <"$WORK/sluice.txt"
    echo "  live $big events: peak RSS $((brss / 1024)) MB (1M: $brss1 MB, ratio $(ratio "$((brss / 1024))" "$brss1")), $bs s, $(rate "$bev" "$bs") events/s"
  fi
}

if [ "$SPREADS" = 1 ]; then
  echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ)"
  bench_spreads
  exit 0
fi

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), " \
  "$(awk '/MemTotal/ {printf "%.1f GB RAM", $2 / 1048576}' /proc/meminfo), $(date -u +%Y-%m-%dT%H:%MZ)"
if [ "$FILES" = 1 ]; then
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"
bench_family clickstream
bench_family iot
echo "== load average after the file benchmarks: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -q "type: dedupe" "$ROOT/examples/iot.yaml"; then
  echo "  (IoT: examples/iot.yaml with its dedupe and window transforms; the peer dedupes globally on event_id"
  echo "   and writes the 1-minute windows with GROUP BY time_bucket to a second partitioned table)"
else
  echo "  (IoT: examples/iot.yaml as it is: validation + struct flattening; it has no dedupe/window transforms)"
fi

echo
echo "== peak RSS (sluice run, max over the runs above)"
rss1=$(cat "$WORK/rss-clickstream.txt")
echo "  clickstream $EVENTS events: $((rss1 / 1024)) MB;  iot $EVENTS events: $(($(cat "$WORK/rss-iot.txt") / 1024)) MB"
if [ "$BIG" = 1 ]; then
  big=$((EVENTS * 10))
  bigin=$(input_for clickstream "$big")
  sluice_run clickstream "$bigin" "$WORK/lake" >"$WORK/sluice.txt"
  read -r bs brss bev _ <"$WORK/sluice.txt"
  echo "  clickstream $big events: $((brss / 1024)) MB (ratio to ${EVENTS}: $(ratio "$brss" "$rss1")), $bs s, $(rate "$bev" "$bs") events/s"
  # IoT with dedupe (10-minute horizon) and windows: state must stay bounded too.
  rssi=$(cat "$WORK/rss-iot.txt")
  bigin=$(input_for iot "$big")
  sluice_run iot "$bigin" "$WORK/lake" >"$WORK/sluice.txt"
  read -r bs brss bev _ <"$WORK/sluice.txt"
  keys=$(awk -F: '/dedupe keys/ {gsub(/ /, "", $2); print $2}' "$WORK/summary.txt")
  dups=$(awk -F: '/duplicates/ {gsub(/ /, "", $2); print $2}' "$WORK/summary.txt")
  echo "  iot $big events: $((brss / 1024)) MB (ratio to ${EVENTS}: $(ratio "$brss" "$rssi")), $bs s, $(rate "$bev" "$bs") events/s;"
  echo "    dedupe state at the end: $keys keys (10-minute horizon), $dups duplicates dropped"
  rm -f "$bigin"  # 2.4 GB; the 10x clickstream input stays cached
else
  echo "  (10x input skipped: pass --big; it writes ~$((EVENTS * 71 / 10000000 + 1)) GB of JSON to $WORK)"
fi
fi

if [ "$LATENCY" = 1 ]; then
  echo
  n=$((LATENCY_RATE * LATENCY_SECONDS))
  echo "== commit latency: $LATENCY_RATE events/s for ${LATENCY_SECONDS}s through stdin, commit_interval_ms=1000"
  rm -rf "$WORK/lat"
  "$SLUICE" generate clickstream --count "$n" --rate "$LATENCY_RATE" --seed 7 --output - 2>/dev/null |
    "$SLUICE" run "$ROOT/examples/clickstream.yaml" --input - --lake "$WORK/lat" --quiet \
      --set sink.lake.commit_interval_ms=1000 >/dev/null
  # Latency of an event = commit point (the log entry's timestamp_ms) minus its
  # ingest_timestamp (set when sluice parsed it). One sample per event.
  "$DUCK" sql "
    WITH log AS (SELECT seq, timestamp_ms, unnest(files).path AS path
                 FROM read_json('$WORK/lat/clickstream/_sluice_log/*.json')),
         rows AS (SELECT filename, epoch_ms(ingest_timestamp) AS ingest_ms
                  FROM read_parquet('$WORK/lat/clickstream/**/*.parquet', filename = true)
                  WHERE action_index = 0)
    SELECT printf('  commits %d, events %d, ingest->commit latency ms: p50 %.0f  p99 %.0f  max %.0f',
                  count(DISTINCT seq), count(*),
                  quantile_cont(timestamp_ms - ingest_ms, 0.5)::DOUBLE,
                  quantile_cont(timestamp_ms - ingest_ms, 0.99)::DOUBLE, max(timestamp_ms - ingest_ms)::DOUBLE)
    FROM rows JOIN log ON suffix(rows.filename, '/' || log.path)"
fi

if [ "$KAFKA" = 1 ]; then
  echo
  echo "== Kafka: $KAFKA_EVENTS clickstream events on $KAFKA_PARTITIONS partitions of 'sluice dev-broker' (mock cluster)"
  port=$((20000 + RANDOM % 20000))
  "$SLUICE" dev-broker --port "$port" --partitions "$KAFKA_PARTITIONS" --topic clickstream >"$WORK/broker.txt" 2>/dev/null &
  BROKER_PID=$!
  for _ in $(seq 50); do [ -s "$WORK/broker.txt" ] && break; sleep 0.1; done
  brokers=$(head -1 "$WORK/broker.txt")
  kin=$(input_for clickstream "$KAFKA_EVENTS")  # the same events (same seed) as a file
  # Produced at a steady rate so that librdkafka's sticky partitioner spreads the
  # events over all partitions (the mock broker drops the oldest data of a
  # partition past a few MB).
  "$SLUICE" generate clickstream --count "$KAFKA_EVENTS" --rate "$KAFKA_PRODUCE_RATE" --seed "$SEED" \
    --output "kafka://$brokers/clickstream" >/dev/null 2>&1
  # One untimed read first: the first consumer after the produce is slower
  # (measured 1.3 s vs 0.4 s first to last for sluice), whichever it is.
  "$BARE" "$brokers" clickstream bench-warmup "$KAFKA_EVENTS" >/dev/null
  : >"$WORK/ks.txt"; : >"$WORK/ksf.txt"; : >"$WORK/kb.txt"
  for i in $(seq "$RUNS"); do
    rm -rf "$WORK/klake"
    /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$SLUICE" run "$ROOT/examples/clickstream.yaml" \
      --brokers "$brokers" --topic clickstream --group "bench-sluice-$i" --stop-after "$KAFKA_EVENTS" \
      --idle-stop-ms 10000 --lake "$WORK/klake" --quiet >"$WORK/summary.txt"
    cut -d' ' -f1 "$WORK/time.txt" >>"$WORK/ks.txt"
    # first parsed event (its ingest_timestamp) to the last commit point
    "$DUCK" sql "SELECT ((SELECT max(timestamp_ms) FROM read_json('$WORK/klake/clickstream/_sluice_log/*.json'))
                 - (SELECT min(epoch_ms(ingest_timestamp)) FROM read_parquet('$WORK/klake/clickstream/**/*.parquet')))
                 / 1000.0" >>"$WORK/ksf.txt"
    "$BARE" "$brokers" clickstream "bench-bare-$i" "$KAFKA_EVENTS" >>"$WORK/kb.txt"
  done
  kread=$(awk -F: '/events read/ {gsub(/ /, "", $2); print $2}' "$WORK/summary.txt")
  : >"$WORK/kf.txt"
  for _ in $(seq "$RUNS"); do sluice_run clickstream "$kin" "$WORK/klake" >>"$WORK/kf.txt"; done
  kf=$(cut -d' ' -f1 "$WORK/kf.txt" | median)
  kmsgs=$(tail -1 "$WORK/kb.txt" | field messages)
  ks=$(median <"$WORK/ks.txt")
  ksf=$(median <"$WORK/ksf.txt")
  kb=$(field bare_seconds <"$WORK/kb.txt" | median)
  kbf=$(field first_to_last_seconds <"$WORK/kb.txt" | median)
  printf '  %-48s %8.3f s %10s events/s\n' "sluice run, process start .. exit" "$ks" "$(rate "$kread" "$ks")"
  printf '  %-48s %8.3f s %10s events/s\n' "bare consumer, process start .. last message" "$kb" "$(rate "$kmsgs" "$kb")"
  printf '  %-48s %8.3f s %10s events/s\n' "sluice, first event parsed .. last commit" "$ksf" "$(rate "$kread" "$ksf")"
  printf '  %-48s %8.3f s %10s events/s\n' "bare consumer, first .. last message" "$kbf" "$(rate "$kmsgs" "$kbf")"
  printf '  %-48s %8.3f s %10s events/s\n' "sluice, the same events from a file (start .. exit)" "$kf" "$(rate "$KAFKA_EVENTS" "$kf")"
  printf '  sluice rate / bare rate: %s (whole process), %s (first to last event)\n' \
    "$(ratio "$kb" "$ks")" "$(ratio "$kbf" "$ksf")"
  echo "  events read: sluice $kread, bare consumer $kmsgs (of $KAFKA_EVENTS produced)"
  echo "  (~$((KAFKA_EVENTS / 2000)) MB on the topic; the mock broker keeps only a few MB per partition, hence the modest count)"
fi
