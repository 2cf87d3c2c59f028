#!/usr/bin/env bash
# Memory soak of the embedded station: `npm start` with the demo simulator for N seconds (default 1800),
# RSS and heap sampled every S seconds (default 30) into tmp/soak/rss.tsv; prints the table and the
# growth between the second half's first and last samples.
#   bash tools/scripts/soak.sh [seconds] [every]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
secs="${1:-1800}" every="${2:-30}"
out=tmp/soak; rm -rf "$out"; mkdir -p "$out"
http=18190
GS_RUN_SECONDS="$secs" GS_DATA_DIR="$out/data" GS_HTTP_PORT=$http GS_GRPC_PORT=15190 GS_TERMINAL_PORT=19190 \
  GS_SUMMARY_INTERVAL_MS=60000 GS_HTTP_HOST=127.0.0.1 GS_GRPC_HOST=127.0.0.1 npm start >"$out/station.log" 2>&1 &
started=$(date +%s)
printf 'seconds\trss_mb\theap_used_mb\theap_total_mb\texternal_mb\n' >"$out/rss.tsv"
sleep 5
while kill -0 $! 2>/dev/null; do
  m="$(curl -fsS "127.0.0.1:$http/metrics" 2>/dev/null || true)"
  v() { echo "$m" | awk -v n="$1" '$1 ~ "^"n"\\{" {printf "%d", $2/1048576}'; }
  [ -n "$m" ] && printf '%s\t%s\t%s\t%s\t%s\n' "$(( $(date +%s) - started ))" "$(v gs_process_resident_memory_bytes)" "$(v gs_process_heap_used_bytes)" "$(v gs_process_heap_total_bytes)" "$(v gs_process_external_memory_bytes)" >>"$out/rss.tsv"
  sleep "$every"
done
cat "$out/rss.tsv"
grep -E '^[0-9]{4}-' "$out/station.log" | tail -n 3
