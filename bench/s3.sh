#!/usr/bin/env bash
# S3 upload throughput and memory of sluice's storage layer against a RADOS
# Gateway on loopback (tests/support/rgw.sh): multipart put_file of 256 MB
# files against `curl --aws-sigv4 -T` of the same files, download timing,
# and the peak RSS of uploading and downloading a 1 GB file (memory must not
# grow with the file). Figures: medians of RUNS runs.
#
#   bash bench/s3.sh [--runs N] [--work DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/sluice-s3-bench}
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--work DIR]" >&2; exit 2 ;;
  esac
done
mkdir -p "$WORK"
cmake -S "$ROOT/bench" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$WORK/build" -j2 --target s3_bench >/dev/null
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

[ -f "$WORK/f256" ] || head -c $((256 << 20)) /dev/urandom >"$WORK/f256"
[ -f "$WORK/f1g" ] || head -c $((1 << 30)) /dev/urandom >"$WORK/f1g"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

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
