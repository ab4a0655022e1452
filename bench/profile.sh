#!/usr/bin/env bash
# Profiles dalal under the side-by-side harness's load (../shared/bench) and writes what the
# server's CPU goes to: bench/profile-<placement>.txt (top entries, self time) and, when
# inferno is installed (`cargo install inferno`), bench/flamegraph-<placement>.svg.
#
#   bash bench/profile.sh embedded|production [seconds]
#
# Uses what a finished `../shared/bench/run-dalal.sh` left in $BENCH_STATE (/tmp/ussd-bench):
# its services (PostgreSQL 5440, Redis 6390, still running), the dalal_bench database, the
# embedded.db file, the subscribers file and the ussd-load binary. The dalal binary is
# $DALAL_BIN (/tmp/bars-target/release/dalal, what run-dalal.sh built). One server, the
# flows of flows/dalal.toml at concurrency $C (64), perf sampling the server only (at 1999 Hz,
# DWARF call graphs), so the figures printed (hops/s, CPU µs per hop) are a little lower than
# an unprofiled run's.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
PLACEMENT="${1:?embedded or production}"
SECONDS_RUN="${2:-8}"
STATE="${BENCH_STATE:-/tmp/ussd-bench}"
HARNESS="${HARNESS:-$ROOT/../shared/bench}"
BIN="${DALAL_BIN:-/tmp/bars-target/release/dalal}"
LOAD="$STATE/target/release/ussd-load"
PORT="${PORT:-8181}"
C="${C:-64}"
OUT="$ROOT/bench"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

export RUST_LOG=warn DALAL_MENUS_DIR="$ROOT/menus" DALAL_LOCALES_DIR="$ROOT/locales" \
    DALAL_PROMPTS_DIR="$ROOT/audio-prompts" DALAL_RECORDINGS_DIR="$WORK/recordings"
case "$PLACEMENT" in
embedded)
    unset REDIS_URL
    DB="sqlite:$STATE/dalal/embedded.db"
    ;;
production)
    export REDIS_URL=redis://127.0.0.1:6390/ DALAL_REDIS_KEY_PREFIX=dalalbench:
    DB=postgres://ussd@127.0.0.1:5440/dalal_bench
    ;;
*) echo "placement: embedded or production" >&2; exit 2 ;;
esac

"$BIN" serve --listen "127.0.0.1:$PORT" --database-url "$DB" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do
    curl -s -o /dev/null -d 'sessionId=warm&serviceCode=*123%23&phoneNumber=%2B221700000000&text=' \
        "http://127.0.0.1:$PORT/ussd/africastalking" && break
    sleep 0.2
done

perf record -F 1999 --call-graph dwarf,16384 -p "$SERVER" -o "$WORK/perf.data" 2>/dev/null &
PERF=$!
ticks_before=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
"$LOAD" --url "http://127.0.0.1:$PORT/ussd/africastalking" --flows "$HARNESS/flows/dalal.toml" \
    --subscribers "$STATE/dalal/subscribers-100000-seed1.csv" -c "$C" -d "$SECONDS_RUN" \
    --warmup 0 --json "$WORK/load.json" >/dev/null
ticks_after=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
kill -INT "$PERF"
wait "$PERF" || true

hops=$(jq .hops "$WORK/load.json")
{
    echo "# dalal $PLACEMENT, c=$C, ${SECONDS_RUN} s, $(date -u +%FT%TZ), commit ${COMMIT:-$(git rev-parse --short HEAD)}"
    echo "# hops/s $(jq .hops_per_s "$WORK/load.json"), p99 $(jq .latency.p99_us "$WORK/load.json") us, errors $(jq .errors "$WORK/load.json")"
    echo "# server CPU per hop (utime+stime, profiled): $(( (ticks_after - ticks_before) * 10000 / hops )) us"
    echo "# self time by shared object, then the top functions"
    perf report -i "$WORK/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null |
        grep '%' | head -6 || true
    perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
        grep '%' | sed 's/  */ /g' | cut -c1-160 | head -40 || true
} >"$OUT/profile-$PLACEMENT.txt"
if command -v inferno-collapse-perf >/dev/null; then
    perf script -i "$WORK/perf.data" 2>/dev/null | inferno-collapse-perf |
        inferno-flamegraph --title "dalal $PLACEMENT, c=$C" >"$OUT/flamegraph-$PLACEMENT.svg"
fi
head -3 "$OUT/profile-$PLACEMENT.txt"
