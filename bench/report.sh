#!/usr/bin/env bash
# Writes bench/RESULTS.md's text to stdout from target/bench/results (bench/run.sh calls it).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="target/bench/results"
[[ -d "$OUT" ]] || { echo "no $OUT: run bench/run.sh first" >&2; exit 1; }

value() { grep -m1 "^$2 " "$1" 2>/dev/null | cut -d' ' -f2; }

echo "# dalal benchmark results"
echo
echo "Written by \`bench/run.sh\` (see bench/README.md for what it does and how to read it)."
echo
echo "## Machine and build"
echo
echo "| | |"
echo "|---|---|"
echo "| date | $(date -u +%Y-%m-%dT%H:%M:%SZ) |"
echo "| git commit | \`$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\`$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)') |"
echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), nproc $(nproc) |"
echo "| RAM | $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) |"
echo "| kernel | $(uname -sr) |"
echo "| rustc | $(rustc --version) |"
echo "| PostgreSQL | $(ls -d /usr/lib/postgresql/*/ 2>/dev/null | xargs -n1 basename | sort -n | tail -1) (tests/services.sh cluster: fsync=off, synchronous_commit=off) |"
echo "| Redis | $(redis-server --version 2>/dev/null | awk '{print $3}' | sed 's/v=//') |"
echo
echo "## Dataset and import"
echo
gen="$OUT/generate.txt"
echo "- dataset: \`$(head -n1 "$gen")\`"
for name in embedded production; do
    f="$OUT/import-$name.txt"
    [[ -f "$f" ]] || continue
    ms=$(value "$f" milliseconds)
    rows=$(tail -n1 "$OUT/import-$name.progress" | awk '{print $4}')
    echo "- import on $name: $(head -n1 "$f"); $(awk -v ms="$ms" 'BEGIN {printf "%.1f s", ms / 1000}') wall clock including reading and checking the CSV ($(grep -m1 '^read and checked' "$OUT/import-$name.progress" || true)), $(awk -v ms="$ms" -v r="$rows" 'BEGIN {printf "%.0f", r / (ms / 1000)}') rows/s overall"
done
echo
echo "## Load runs"
echo
echo "\`dalal load\` on the same machine as the server, over the Africa's Talking protocol."
echo
echo "| backend | mix | concurrency | seconds | sessions | sessions/s | hops | hops/s | p50 ms | p90 ms | p99 ms | max ms | errors |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for f in $(for backend in embedded production; do for mix in normal storm; do
    ls "$OUT/$backend-$mix"-c*.json 2>/dev/null | awk -F'-c' '{print $NF + 0, $0}' | sort -n | cut -d' ' -f2
done; done); do
    name=$(basename "$f" .json)
    backend=${name%%-*}
    jq -r --arg b "$backend" '"| \($b) | \(.mix) | \(.concurrency) | \(.seconds*10|round/10) | \(.sessions) | \(.sessions_per_second|round) | \(.hops) | \(.hops_per_second|round) | \(.latency_ms.p50) | \(.latency_ms.p90) | \(.latency_ms.p99) | \(.latency_ms.max) | \(.errors)\(if .errors > 0 then " (" + ([.error_kinds | to_entries[] | "\(.key) \(.value)"] | join(", ")) + ")" else "" end) |"' "$f"
done
echo
rss="$OUT/embedded-rss.txt"
if [[ -f "$rss" ]]; then
    echo "## Memory"
    echo
    before=$(value "$rss" rss_before_kib)
    after=$(value "$rss" rss_after_kib)
    n=$(value "$rss" sessions)
    echo "Embedded server (SQLite + in-process sessions), fresh process on the imported database:"
    echo "VmRSS $(awk -v k="$before" 'BEGIN {printf "%.1f MiB", k / 1024}') idle, $(awk -v k="$after" 'BEGIN {printf "%.1f MiB", k / 1024}') with $n live sessions (first hop of $n sessions from $n distinct phones; replies: $(tr -s ' ' <"$OUT/embedded-sessions.txt" | sed 's/^ //' | paste -sd ';' | sed 's/;/; /g') as count + HTTP status)."
    echo
fi
