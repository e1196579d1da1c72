#!/usr/bin/env bash
# Text logs bench (issue 12): N combined-format lines (`sluice generate
# access-log`) -> hour-partitioned zstd lake with examples/access_logs.yaml,
# against DuckDB doing the same split in the same run (bench/linked/text_peer:
# read_csv of one column + regexp_extract, PARTITION_BY year/month/day/hour,
# zstd), and the parse alone in MB/s on one core (bench/linked/text_parse:
# the pipeline's parser over lines in memory). Prints medians and ratios.
#
#   bash bench/text_bench.sh [--lines N] [--runs N] [--work DIR]
#
# Environment equivalents: LINES, RUNS, WORK; BUILD=DIR uses an existing
# build directory as it is configured (default: build-release, Release).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LINES=${LINES:-1000000}
RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/sluice-text-bench}
while [ $# -gt 0 ]; do
  case "$1" in
    --lines) LINES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) echo "text_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ ! -x /usr/bin/time ]; then
  echo "text_bench.sh: /usr/bin/time missing (Debian package 'time')" >&2
  exit 1
fi

BUILD=${BUILD:-$ROOT/build-release}
echo "== build (Release)"
if [ "$BUILD" = "$ROOT/build-release" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSLUICE_TESTS=OFF -DSLUICE_BENCH=ON >/dev/null
else  # an existing build directory (BUILD=...): keep its build type, add the bench programs
  cmake -S "$ROOT" -B "$BUILD" -DSLUICE_BENCH=ON >/dev/null
fi
cmake --build "$BUILD" -j2 --target sluice text_parse text_peer >/dev/null
SLUICE=$BUILD/src/cli/sluice
mkdir -p "$WORK"
trap 'rm -rf "$WORK/lake" "$WORK/peer"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

INPUT=$WORK/access-$LINES.log
if [ ! -f "$INPUT" ]; then
  echo "== generate $LINES access-log lines"
  "$SLUICE" generate access-log --count "$LINES" --seed 42 --output "$INPUT"
fi
BYTES=$(stat -c %s "$INPUT")
MB=$(awk -v b="$BYTES" 'BEGIN {printf "%.1f", b / 1e6}')
echo "== input: $INPUT ($LINES lines, $MB MB)"

PIPELINE=$ROOT/examples/access_logs.yaml
# Interleaved runs (the same load for both); wall time and CPU time (user +
# system, all threads) of each.
S_WALL=() S_CPU=() P_WALL=() P_CPU=()
for ((r = 0; r < RUNS; r++)); do
  rm -rf "$WORK/lake"
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$SLUICE" run "$PIPELINE" --input "$INPUT" \
    --lake "$WORK/lake" --quiet > "$WORK/summary"
  read -r wall user sys RSS_KB < "$WORK/time"
  S_WALL+=("$wall"); S_CPU+=("$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')")
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$BUILD/bench/linked/text_peer" "$INPUT" \
    "$WORK/peer" 1 > "$WORK/peer.out"
  read -r wall user sys PEER_RSS_KB < "$WORK/time"
  P_WALL+=("$(field peer_seconds < "$WORK/peer.out")")
  P_CPU+=("$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')")
done
SLUICE_S=$(printf '%s\n' "${S_WALL[@]}" | median)
SLUICE_CPU=$(printf '%s\n' "${S_CPU[@]}" | median)
PEER_S=$(printf '%s\n' "${P_WALL[@]}" | median)
PEER_CPU=$(printf '%s\n' "${P_CPU[@]}" | median)
ACCEPTED=$(sed -n 's/^events accepted: *//p' "$WORK/summary")
REJECTED=$(sed -n 's/^rejected (DLQ): *//p' "$WORK/summary")
PEER_ROWS=$(field rows < "$WORK/peer.out")
PARSE=$("$BUILD/bench/linked/text_parse" "$PIPELINE" "$INPUT" 5)
PARSE_MBS=$(field parse_mb_per_s <<< "$PARSE")
PARSE_S=$(field parse_cpu_seconds <<< "$PARSE")

printf '%-44s %8s s (CPU %6s s)  %8s lines/s  %7s MB/s  rows %s (rejected %s), peak RSS %s MB\n' \
  "sluice run access_logs.yaml (lake, zstd)" "$SLUICE_S" "$SLUICE_CPU" \
  "$(awk -v n="$LINES" -v s="$SLUICE_S" 'BEGIN {printf "%.0f", n / s}')" \
  "$(awk -v b="$BYTES" -v s="$SLUICE_S" 'BEGIN {printf "%.1f", b / s / 1e6}')" \
  "$ACCEPTED" "$REJECTED" "$((RSS_KB / 1024))"
printf '%-44s %8s s (CPU %6s s)  %8s lines/s  %7s MB/s  rows %s, peak RSS %s MB\n' \
  "DuckDB read_csv+regexp_extract+COPY" "$PEER_S" "$PEER_CPU" \
  "$(awk -v n="$LINES" -v s="$PEER_S" 'BEGIN {printf "%.0f", n / s}')" \
  "$(awk -v b="$BYTES" -v s="$PEER_S" 'BEGIN {printf "%.1f", b / s / 1e6}')" "$PEER_ROWS" "$((PEER_RSS_KB / 1024))"
printf '%-44s %8s s  %8s MB/s per core\n' "parse alone (1 thread, lines in memory; CPU s)" "$PARSE_S" "$PARSE_MBS"
echo "ratio sluice vs DuckDB, wall (peer / sluice): $(ratio "$PEER_S" "$SLUICE_S")x (target >= 2)"
echo "ratio sluice vs DuckDB, CPU (peer / sluice): $(ratio "$PEER_CPU" "$SLUICE_CPU")x"
echo "parse per core vs target 300 MB/s: $(ratio "$PARSE_MBS" 300)x"
