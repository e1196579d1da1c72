#!/usr/bin/env bash
# Runs real server logs through `sluice run` with the matching text format
# and prints, per file, the lines parsed and rejected and the reject reasons
# (from the DLQ). Not part of CI: the logs are not in the repository
# (licences); point REALLOGS at a directory holding them (default
# /work/shared/reallogs, see its SOURCES.md for their origin).
#
#   bash scripts/reallogs.sh [--keep DIR]
#
# Environment: SLUICE (binary, default build/src/cli/sluice), REALLOGS,
# DUCK (optional: bench's duck_bench; with it, a few parsed rows of each file
# are printed and the loghub files are checked against their _structured.csv).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLUICE=${SLUICE:-$ROOT/build/src/cli/sluice}
REALLOGS=${REALLOGS:-/work/shared/reallogs}
DUCK=${DUCK:-}
WORK=$(mktemp -d)
KEEP=""
if [ "${1:-}" = "--keep" ]; then KEEP=$2; fi
cleanup() { if [ -z "$KEEP" ]; then rm -rf "$WORK"; else rm -rf "$KEEP"; mv "$WORK" "$KEEP"; fi; }
trap cleanup EXIT

if [ ! -x "$SLUICE" ]; then echo "reallogs: build sluice first (bash scripts/build.sh)" >&2; exit 1; fi
if [ ! -d "$REALLOGS" ]; then echo "reallogs: no directory $REALLOGS" >&2; exit 1; fi

# pipeline NAME FORMAT TEXT_OPTIONS FIELDS: writes $WORK/NAME.yaml.
pipeline() {
  local name=$1 format=$2 text=$3 fields=$4
  cat > "$WORK/$name.yaml" <<EOF
name: $name
source:
  type: file
  format: $format
$( [ -n "$text" ] && printf '  text: %s\n' "$text" )
  file: {path: "-"}
schema:
  timestamp_field: timestamp
  fields:
$fields
sink:
  lake: {path: $WORK/lake, table: $name, partition_by: [year, month, day]}
  dlq: {path: $WORK/dlq/$name.ndjson}
limits: {max_record_bytes: 65536}
EOF
}

ACCESS_FIELDS='    - {name: vhost, type: string}
    - {name: forwarded_for, type: string}
    - {name: client, type: string, required: true}
    - {name: user, type: string}
    - {name: timestamp, type: timestamp, required: true}
    - {name: request, type: string}
    - {name: method, type: string}
    - {name: path, type: string}
    - {name: query, type: string}
    - {name: protocol, type: string}
    - {name: status, type: int32, required: true, min: 100, max: 599}
    - {name: bytes, type: int64, min: 0}'
COMBINED_FIELDS="$ACCESS_FIELDS
    - {name: referer, type: string}
    - {name: user_agent, type: string}
    - {name: request_time, type: double}"
NGINX_COMBINED='$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"'
SYSLOG_FIELDS='    - {name: priority, type: int32}
    - {name: timestamp, type: timestamp, required: true}
    - {name: hostname, type: string, required: true}
    - {name: app_name, type: string}
    - {name: procid, type: int64}
    - {name: message, type: string}'

pipeline combined apache_combined "" "$COMBINED_FIELDS"
pipeline common apache_common "" "$ACCESS_FIELDS
    - {name: request_time, type: double}"
pipeline nginx nginx "{log_format: '$NGINX_COMBINED'}" "$(printf '%s\n' "$ACCESS_FIELDS" | grep -v 'vhost\|forwarded_for')
    - {name: referer, type: string}
    - {name: user_agent, type: string}"
# Syslog files written by syslogd carry no year; loghub's are from 2005
# (Linux) and an unstated year (OpenSSH, December): the year is left to the
# ingest time, as a live pipeline would.
pipeline syslog syslog "" "$SYSLOG_FIELDS"
# Apache's error log: [Sun Dec 04 04:47:44 2005] [notice] message
pipeline apache_error regex "{pattern: '\\[(?P<timestamp>[^\\]]+)\\] \\[(?P<level>[a-z]+)\\] (?:\\[client (?P<client>[^\\]]+)\\] )?(?P<message>.*)', time_format: '%a %b %d %H:%M:%S %Y'}" \
  '    - {name: timestamp, type: timestamp, required: true}
    - {name: level, type: enum, values: [emerg, alert, crit, error, warn, notice, info, debug]}
    - {name: client, type: string}
    - {name: message, type: string}'
# HDFS: 081109 203615 148 INFO dfs.DataNode$PacketResponder: message
pipeline hdfs regex "{pattern: '(?P<timestamp>\\d{6} \\d{6}) (?P<pid>\\d+) (?P<level>[A-Z]+) (?P<component>\\S+): (?P<message>.*?)\\s*', time_format: '%y%m%d %H%M%S'}" \
  '    - {name: timestamp, type: timestamp, required: true}
    - {name: pid, type: int32}
    - {name: level, type: enum, values: [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]}
    - {name: component, type: string}
    - {name: message, type: string}'

run() {  # FILE PIPELINE
  local file=$1 name=$2 path=$REALLOGS/$1
  if [ ! -f "$path" ]; then echo "== $file: missing, skipped"; return; fi
  local lines summary parsed rejected
  lines=$(awk 'END {print NR}' "$path")
  # Each file into its own table: stdin input, so its stream is "stdin".
  rm -rf "$WORK/lake/$name" "$WORK/dlq/$name.ndjson"
  summary=$("$SLUICE" run "$WORK/$name.yaml" --quiet < "$path" 2>&1) || {
    echo "== $file ($name): sluice run failed"; echo "$summary"; return 1; }
  parsed=$(sed -n 's/^events accepted: *//p' <<< "$summary")
  rejected=$(sed -n 's/^rejected (DLQ): *//p' <<< "$summary")
  printf '== %-34s format %-16s lines %6s  parsed %6s  rejected %4s\n' \
    "$file" "$(sed -n 's/^  format: //p' "$WORK/$name.yaml")" "$lines" "$parsed" "$rejected"
  if [ -s "$WORK/dlq/$name.ndjson" ]; then
    # Reject reasons, most frequent first, with the first line number of each.
    sed -E 's/.*"reason":"(([^"\\]|\\.){0,110})([^"\\]|\\.)*".*"line":([0-9]+).*/\1\t\4/' \
      "$WORK/dlq/$name.ndjson" |
      awk -F'\t' '{n[$1]++; if (!($1 in first)) first[$1]=$2} END {for (r in n) printf "   %5d x %s (first: line %s)\n", n[r], r, first[r]}' |
      sort -rn
  fi
  if [ -n "$DUCK" ]; then
    "$DUCK" sql "SELECT * EXCLUDE (year, month, day) FROM read_parquet('$WORK/lake/$name/**/*.parquet', hive_partitioning=true) ORDER BY \"timestamp\" LIMIT 2" | cut -c1-240 | sed 's/^/   | /'
  fi
}

run elastic_apache_logs.log combined
run nginx_logs_excerpt.log nginx
run beats_nginx_access.log combined
run beats_nginx_test.log combined
run beats_apache_test.log combined
run beats_apache_darwin-2.4.23.log common
run loghub_Apache_2k.log apache_error
run loghub_OpenSSH_2k.log syslog
run loghub_Linux_2k.log syslog
run loghub_HDFS_2k.log hdfs

if [ -n "$DUCK" ]; then
  # loghub's own parses (*_structured.csv) against sluice's, as multisets of
  # the fields both have (Content trimmed: loghub strips trailing blanks).
  echo "== loghub: rows whose fields equal a row of the _structured.csv (and the reverse)"
  compare() {  # LOG TABLE OURS THEIRS
    local csv="read_csv('$REALLOGS/loghub_$1_2k.log_structured.csv', header=true, all_varchar=true, quote='\"', escape='\"')"
    local ours="SELECT $3 FROM read_parquet('$WORK/lake/$2/**/*.parquet')"
    local theirs="SELECT $4 FROM $csv"
    "$DUCK" sql "SELECT '$1', (SELECT count(*) FROM ($ours)), (SELECT count(*) FROM ($ours EXCEPT ALL $theirs)),
                 (SELECT count(*) FROM ($theirs EXCEPT ALL $ours))" |
      awk -F'\t' '{printf "   %-8s sluice rows %s: %s without a loghub twin, loghub rows without a sluice twin: %s\n", $1, $2, $3, $4}'
  }
  compare Apache apache_error \
    "level, CASE WHEN client IS NULL THEN message ELSE '[client ' || client || '] ' || message END" \
    "Level, trim(Content)"
  compare HDFS hdfs "CAST(pid AS VARCHAR), level, component, message" "Pid, Level, Component, trim(Content)"
  for log in OpenSSH Linux; do
    rm -rf "$WORK/lake/syslog" "$WORK/dlq/syslog.ndjson"
    "$SLUICE" run "$WORK/syslog.yaml" --quiet < "$REALLOGS/loghub_${log}_2k.log" > /dev/null
    if [ "$log" = OpenSSH ]; then
      compare OpenSSH syslog "hostname, CAST(procid AS VARCHAR), trim(message)" "Component, Pid, trim(Content)"
    else
      compare Linux syslog "hostname, app_name, CAST(procid AS VARCHAR), trim(message)" \
        "Level, Component, PID, trim(Content)"
    fi
  done
fi
