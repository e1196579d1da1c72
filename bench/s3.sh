#!/usr/bin/env bash
# S3 upload throughput and memory of sluice's storage layer against a RADOS
# Gateway on loopback (tests/support/rgw.sh): multipart put_file of 256 MB
# files against `curl --aws-sigv4 -T` of the same files, download timing,
# and the peak RSS of uploading and downloading a 1 GB file (memory must not
# grow with the file). Figures: medians of RUNS runs.
# --lake: instead, the lake to S3 against the same run to local disk (wall,
# CPU, peak RSS, bytes of the table), then the batch jobs over each: `sluice
# run examples/clickstream.yaml` on LAKE_EVENTS generated events, and
# `sluice batch sales_gold` (page_metrics first; inputs through the cache on
# s3://). Uses SLUICE_BIN (default build/src/cli/sluice).
#
#   bash bench/s3.sh [--runs N] [--work DIR] [--lake]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/sluice-s3-bench}
MODE=storage
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --lake) MODE=lake; shift ;;
    *) echo "usage: $0 [--runs N] [--work DIR] [--lake]" >&2; exit 2 ;;
  esac
done
mkdir -p "$WORK"
if [ "$MODE" = storage ]; then
  cmake -S "$ROOT/bench" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$WORK/build" -j2 --target s3_bench >/dev/null
fi
BENCH="$WORK/build/s3_bench"

bash "$ROOT/tests/support/rgw.sh" stop "$WORK/rgw" >/dev/null 2>&1 || true
rm -rf "$WORK/rgw"
trap 'bash "$ROOT/tests/support/rgw.sh" stop "$WORK/rgw" >/dev/null 2>&1 || true' EXIT
eval "$(bash "$ROOT/tests/support/rgw.sh" start "$WORK/rgw")"
export AWS_ACCESS_KEY_ID="$RGW_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$RGW_SECRET_KEY" \
  AWS_ENDPOINT_URL="$RGW_ENDPOINT"
SIG=(--aws-sigv4 aws:amz:us-east-1:s3 -u "$RGW_ACCESS_KEY:$RGW_SECRET_KEY"
     -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD')
curl -sf "${SIG[@]}" -X PUT "$RGW_ENDPOINT/bench" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

if [ "$MODE" = lake ]; then
  SLUICE=${SLUICE_BIN:-$ROOT/build/src/cli/sluice}
  EVENTS=${LAKE_EVENTS:-200000}
  PIPE="$ROOT/examples/clickstream.yaml"
  in="$WORK/clickstream-$EVENTS.ndjson"
  [ -f "$in" ] || "$SLUICE" generate clickstream --count "$EVENTS" --seed 1 --output "$in" >/dev/null 2>&1
  cd "$WORK"  # the DLQ of an s3:// lake is ./_dlq
  timed() {  # out-file cmd... -> "wall cpu rss_mb" appended to out-file
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.txt" "$@" >"$WORK/cmd.log" 2>&1 ||
      { cat "$WORK/cmd.log" >&2; exit 1; }
    awk '{printf "%s %.2f %d\n", $1, $2 + $3, $4 / 1024}' "$WORK/time.txt"
  }
  table_bytes() { "$SLUICE" lake ls "$1" | awk '$1 == "TOTAL" {print $4}'; }
  declare -A wall cpu rss bytes
  for r in $(seq 1 "$RUNS"); do
    for where in local s3; do
      if [ $where = local ]; then lake="$WORK/lake-$r"; rm -rf "$lake"; else lake="s3://bench/lake-$r"; fi
      read -r w c m < <(timed "$SLUICE" run "$PIPE" --input "$in" --lake "$lake" --quiet)
      wall[run-$where]+="$w "; cpu[run-$where]+="$c "; rss[run-$where]+="$m "
      bytes[$where]=$(table_bytes "$lake/clickstream")
      read -r w c m < <(timed "$SLUICE" batch sales_gold --pipeline "$PIPE" --lake "$lake" \
        --warehouse none --set "sink.lake.storage.cache_dir=$WORK/cache-$r")
      wall[batch-$where]+="$w "; cpu[batch-$where]+="$c "; rss[batch-$where]+="$m "
    done
  done
  med() { tr ' ' '\n' | grep -v '^$' | median; }
  echo "clickstream, $EVENTS events ($(du -m "$in" | cut -f1) MB NDJSON), medians of $RUNS runs"
  printf '%-34s %8s %8s %8s %12s\n' "" "wall s" "CPU s" "RSS MB" "table bytes"
  for step in run batch; do
    for where in local s3; do
      printf '%-34s %8s %8s %8s %12s\n' "$step ($where)" "$(echo "${wall[$step-$where]}" | med)" \
        "$(echo "${cpu[$step-$where]}" | med)" "$(echo "${rss[$step-$where]}" | med)" \
        "$([ $step = run ] && echo "${bytes[$where]}" || echo -)"
    done
  done
  exit 0
fi

[ -f "$WORK/f256" ] || head -c $((256 << 20)) /dev/urandom >"$WORK/f256"
[ -f "$WORK/f1g" ] || head -c $((1 << 30)) /dev/urandom >"$WORK/f1g"

s_put=(); c_put=(); s_get=(); c_get=()
for r in $(seq 1 "$RUNS"); do
  s_put+=("$("$BENCH" put bench "s/$r" "$WORK/f256" | awk '{print $3}')")
  t0=$(now); curl -sf "${SIG[@]}" -T "$WORK/f256" "$RGW_ENDPOINT/bench/c/$r" >/dev/null; t1=$(now)
  c_put+=("$(echo "$t1 - $t0" | bc)")
  s_get+=("$("$BENCH" get bench "s/$r" "$WORK/d256" | awk '{print $3}')")
  t0=$(now); curl -sf "${SIG[@]}" -o "$WORK/d256c" "$RGW_ENDPOINT/bench/c/$r"; t1=$(now)
  c_get+=("$(echo "$t1 - $t0" | bc)")
done
mb=256
sp=$(printf '%s\n' "${s_put[@]}" | median); cp=$(printf '%s\n' "${c_put[@]}" | median)
sg=$(printf '%s\n' "${s_get[@]}" | median); cg=$(printf '%s\n' "${c_get[@]}" | median)
printf 'upload 256 MB   sluice %6.1f MB/s   curl --aws-sigv4 %6.1f MB/s   ratio %.2f\n' \
  "$(echo "$mb / $sp" | bc -l)" "$(echo "$mb / $cp" | bc -l)" "$(echo "$cp / $sp" | bc -l)"
printf 'download 256 MB sluice %6.1f MB/s   curl --aws-sigv4 %6.1f MB/s   ratio %.2f\n' \
  "$(echo "$mb / $sg" | bc -l)" "$(echo "$mb / $cg" | bc -l)" "$(echo "$cg / $sg" | bc -l)"
put_rss=$( { /usr/bin/time -f '%M' "$BENCH" put bench big "$WORK/f1g" >/dev/null; } 2>&1 | tail -1)
get_rss=$( { /usr/bin/time -f '%M' "$BENCH" get bench big "$WORK/d1g" >/dev/null; } 2>&1 | tail -1)
cmp -s "$WORK/f1g" "$WORK/d1g" || { echo "s3.sh: the 1 GB round trip differs" >&2; exit 1; }
echo "peak RSS, 1 GB file: upload $((put_rss / 1024)) MB, download $((get_rss / 1024)) MB"
rm -f "$WORK/d256" "$WORK/d256c" "$WORK/d1g"
