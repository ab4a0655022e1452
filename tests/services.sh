#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis servers for the test suite, on loopback only.
#
#   bash tests/services.sh start        installs what is missing (PostgreSQL, Redis, and the voice
#                                       tests' xmllint, espeak-ng, sox), starts both, writes the env file
#   bash tests/services.sh stop         stops both and removes their files (never fails)
#   bash tests/services.sh redis_stop   kills the test Redis with SIGKILL (tests of Redis down)
#   bash tests/services.sh redis_start  starts the test Redis again on the same port
#   bash tests/services.sh status       tells what runs
#
# After `start`, `source target/test-services/env` exports:
#   DALAL_TEST_POSTGRES_URL   postgres://postgres@127.0.0.1:55432/dalal_test
#   DALAL_TEST_REDIS_URL      redis://127.0.0.1:56379/
#   DALAL_TEST_REDIS_SERVER   path of redis-server (tests start their own instances with it)
#   DALAL_TEST_REDIS_PORT     port of the test Redis
#   DALAL_TEST_SERVICES_DIR   directory holding the servers' data, logs and pid files
#
# Ports: DALAL_TEST_PG_PORT (default 55432), DALAL_TEST_REDIS_PORT (default 56379) when
# starting. Nothing else is touched: the distribution's own services are never started.
# The script can also be sourced, which only defines its functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="$ROOT/target/test-services"
ENV_FILE="$BASE/env"
STATE_FILE="$BASE/state"
WAIT_SECS=30

log() { echo "services: $*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

# Newest PostgreSQL server binaries under /usr/lib/postgresql, or nothing.
pg_bindir() {
    local dir best=""
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] || continue
        if [[ -z "$best" ]] || [[ "$(basename "$(dirname "$dir")")" -gt "$(basename "$(dirname "$best")")" ]]; then
            best="$dir"
        fi
    done
    echo "$best"
}

as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

install_missing() {
    local need=0
    [[ -n "$(pg_bindir)" ]] || need=1
    command -v redis-server >/dev/null || need=1
    command -v redis-cli >/dev/null || need=1
    [[ $need -eq 1 ]] || return 0

    log "installing postgresql and redis-server with apt-get"
    # Keep the packages' maintainer scripts from starting the distribution's services.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e $policy ]]; then
        as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
        created_policy=1
    fi
    local rc=0
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || rc=$?
    if [[ $rc -eq 0 ]]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            postgresql redis-server || rc=$?
    fi
    if [[ $created_policy -eq 1 ]]; then
        as_root rm -f "$policy"
    fi
    [[ $rc -eq 0 ]] || die "apt-get failed (exit $rc)"
    [[ -n "$(pg_bindir)" ]] || die "postgresql installed, but no initdb under /usr/lib/postgresql/*/bin"
    command -v redis-server >/dev/null || die "redis-server still missing after apt-get"
    command -v redis-cli >/dev/null || die "redis-cli still missing after apt-get"
}

# The voice tests' tools: xmllint (VoiceXML schema validation), espeak-ng and sox with MP3
# support (`dalal prompts synth`). A test whose tool is missing fails; it never skips.
install_voice_tools() {
    local missing=()
    command -v xmllint >/dev/null || missing+=(libxml2-utils)
    command -v espeak-ng >/dev/null || missing+=(espeak-ng)
    command -v sox >/dev/null || missing+=(sox)
    if [[ "$(sox -h 2>/dev/null || true)" != *" mp3 "* ]]; then
        missing+=(libsox-fmt-mp3)
    fi
    [[ ${#missing[@]} -gt 0 ]] || return 0
    log "installing ${missing[*]} with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" || die "apt-get install ${missing[*]} failed"
    command -v xmllint >/dev/null || die "xmllint still missing after apt-get"
    command -v espeak-ng >/dev/null || die "espeak-ng still missing after apt-get"
    [[ "$(sox -h 2>/dev/null || true)" == *" mp3 "* ]] || die "sox cannot write MP3 after apt-get"
}

# Runs a PostgreSQL command as the unprivileged `postgres` user when we are root
# (PostgreSQL refuses to run as root), as ourselves otherwise.
as_pg() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# --- state of a running set, written by start, read by stop and the redis helpers ---

load_state() {
    RUN_DIR="" PG_BIN="" PG_PORT="" REDIS_SERVER="" REDIS_PORT=""
    [[ -f "$STATE_FILE" ]] || return 1
    local key value
    while IFS='=' read -r key value; do
        case "$key" in
            RUN_DIR) RUN_DIR="$value" ;;
            PG_BIN) PG_BIN="$value" ;;
            PG_PORT) PG_PORT="$value" ;;
            REDIS_SERVER) REDIS_SERVER="$value" ;;
            REDIS_PORT) REDIS_PORT="$value" ;;
        esac
    done <"$STATE_FILE"
    [[ -n "$RUN_DIR" ]]
}

# --- Redis ---

redis_ping() {
    [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == "PONG" ]]
}

redis_start() {
    load_state || die "no test services set up: run '$0 start' first"
    if redis_ping "$REDIS_PORT"; then
        log "redis already answers on 127.0.0.1:$REDIS_PORT"
        return 0
    fi
    rm -f "$RUN_DIR/redis.pid"
    "$REDIS_SERVER" --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
        --daemonize yes --dir "$RUN_DIR" --pidfile "$RUN_DIR/redis.pid" \
        --logfile "$RUN_DIR/redis.log" --protected-mode yes ||
        die "redis-server did not start; see $RUN_DIR/redis.log"
    local waited=0
    until redis_ping "$REDIS_PORT"; do
        if ((waited >= WAIT_SECS * 5)); then
            tail -n 20 "$RUN_DIR/redis.log" >&2 || true
            die "redis on 127.0.0.1:$REDIS_PORT did not answer within ${WAIT_SECS}s"
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    log "redis answers on 127.0.0.1:$REDIS_PORT"
}

# Stops the test Redis; never fails. `redis_stop` kills it at once (SIGKILL, like a crash, for
# tests); `redis_stop graceful` asks it to shut down first (`shutdown nosave`).
redis_stop() {
    load_state || return 0
    local mode="${1:-kill}" pid="" waited=0
    if [[ -f "$RUN_DIR/redis.pid" ]]; then
        pid="$(cat "$RUN_DIR/redis.pid" 2>/dev/null || true)"
    fi
    if [[ "$mode" == graceful ]] && redis_ping "$REDIS_PORT"; then
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        while [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && ((waited < 50)); do
            sleep 0.1
            waited=$((waited + 1))
        done
    fi
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        waited=0
        while kill -0 "$pid" 2>/dev/null && ((waited < 50)); do
            sleep 0.1
            waited=$((waited + 1))
        done
    fi
    rm -f "$RUN_DIR/redis.pid"
    # A Redis on our port without a pid file (left by an earlier run).
    if redis_ping "$REDIS_PORT"; then
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    fi
    log "redis on 127.0.0.1:$REDIS_PORT stopped"
}

# --- PostgreSQL ---

pg_start() {
    local data="$RUN_DIR/pg"
    mkdir -p "$data"
    chmod 700 "$data"
    if [[ $EUID -eq 0 ]]; then
        chown -R postgres:postgres "$RUN_DIR"
    fi
    as_pg "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$RUN_DIR/initdb.log" 2>&1 || {
        cat "$RUN_DIR/initdb.log" >&2
        die "initdb failed"
    }
    cat >>"$data/postgresql.conf" <<EOF

# Throwaway test cluster (tests/services.sh).
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$RUN_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
EOF
    # Trust only local connections; nothing else may connect at all.
    cat >"$data/pg_hba.conf" <<EOF
local all all trust
host  all all 127.0.0.1/32 trust
EOF
    if [[ $EUID -eq 0 ]]; then
        chown postgres:postgres "$data/postgresql.conf" "$data/pg_hba.conf"
    fi
    as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$RUN_DIR/postgres.log" -w -t "$WAIT_SECS" start >/dev/null || {
        tail -n 30 "$RUN_DIR/postgres.log" >&2 || true
        die "PostgreSQL did not start; see $RUN_DIR/postgres.log"
    }
    local waited=0
    until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; do
        if ((waited >= WAIT_SECS * 5)); then
            tail -n 30 "$RUN_DIR/postgres.log" >&2 || true
            die "PostgreSQL on 127.0.0.1:$PG_PORT did not answer within ${WAIT_SECS}s"
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres dalal_test ||
        die "cannot create database dalal_test"
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d dalal_test -U postgres ||
        die "database dalal_test does not answer"
    log "PostgreSQL answers on 127.0.0.1:$PG_PORT (database dalal_test)"
}

pg_stop() {
    load_state || return 0
    if [[ -n "$PG_BIN" && -f "$RUN_DIR/pg/postmaster.pid" ]]; then
        as_pg "$PG_BIN/pg_ctl" -D "$RUN_DIR/pg" -m fast -w -t "$WAIT_SECS" stop >/dev/null 2>&1 || {
            # pg_ctl could not stop it: kill the postmaster by its own pid file.
            local pid
            pid="$(head -n 1 "$RUN_DIR/pg/postmaster.pid" 2>/dev/null || true)"
            if [[ -n "$pid" ]]; then
                kill -KILL "$pid" 2>/dev/null || true
            fi
        }
        log "PostgreSQL on 127.0.0.1:$PG_PORT stopped"
    fi
}

# --- commands ---

port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

do_stop() {
    if load_state; then
        redis_stop graceful
        pg_stop
        # Only ever remove our own directory.
        case "$RUN_DIR" in
            "$BASE"/*) rm -rf "$RUN_DIR" ;;
        esac
    fi
    rm -rf "$BASE"
}

do_start() {
    install_missing
    install_voice_tools
    do_stop # leftovers of an earlier run

    PG_BIN="$(pg_bindir)"
    PG_PORT="${DALAL_TEST_PG_PORT:-55432}"
    REDIS_PORT="${DALAL_TEST_REDIS_PORT:-56379}"
    REDIS_SERVER="$(command -v redis-server)"
    port_busy "$PG_PORT" && die "port $PG_PORT is already in use (set DALAL_TEST_PG_PORT)"
    port_busy "$REDIS_PORT" && die "port $REDIS_PORT is already in use (set DALAL_TEST_REDIS_PORT)"

    mkdir -p "$BASE"
    RUN_DIR="$(mktemp -d "$BASE/run.XXXXXX")"
    chmod 755 "$BASE" "$RUN_DIR"
    cat >"$STATE_FILE" <<EOF
RUN_DIR=$RUN_DIR
PG_BIN=$PG_BIN
PG_PORT=$PG_PORT
REDIS_SERVER=$REDIS_SERVER
REDIS_PORT=$REDIS_PORT
EOF
    # From here on, a failure leaves nothing running behind.
    STARTED=0
    trap 'if [[ $STARTED -eq 0 ]]; then log "start failed, cleaning up"; do_stop; fi' EXIT
    if [[ $EUID -eq 0 ]] && ! runuser -u postgres -- test -x "$RUN_DIR"; then
        die "user postgres cannot reach $RUN_DIR (check the permissions of its parents)"
    fi

    pg_start
    redis_start
    STARTED=1
    trap - EXIT

    cat >"$ENV_FILE" <<EOF
# Written by tests/services.sh start; removed by tests/services.sh stop.
export DALAL_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PG_PORT/dalal_test
export DALAL_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/
export DALAL_TEST_REDIS_SERVER=$REDIS_SERVER
export DALAL_TEST_REDIS_PORT=$REDIS_PORT
export DALAL_TEST_SERVICES_DIR=$RUN_DIR
EOF
    cat "$ENV_FILE"
}

do_status() {
    if ! load_state; then
        echo "not started"
        return 0
    fi
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
        echo "postgres: up on 127.0.0.1:$PG_PORT"
    else
        echo "postgres: down"
    fi
    if redis_ping "$REDIS_PORT"; then
        echo "redis: up on 127.0.0.1:$REDIS_PORT"
    else
        echo "redis: down"
    fi
}

main() {
    case "${1:-}" in
        start) do_start ;;
        stop) do_stop ;;
        redis_stop | redis-stop) redis_stop ;;
        redis_start | redis-start) redis_start ;;
        status) do_status ;;
        *)
            echo "usage: $0 start|stop|status|redis_stop|redis_start" >&2
            exit 2
            ;;
    esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main "$@"
fi
