#!/usr/bin/env bash
# Throwaway PostgreSQL, Redis and Kannel servers for the test suite, on loopback only.
#
#   bash tests/services.sh install      installs what is missing (Debian packages), only
#   bash tests/services.sh start        installs what is missing (PostgreSQL, Redis, Kannel with
#                                       its fakesmsc, the voice tests' xmllint, espeak-ng, sox,
#                                       and valgrind for the hop budget),
#                                       starts them, writes the env file
#   bash tests/services.sh stop         stops them and removes their files (never fails)
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
#   DALAL_TEST_KANNEL_SENDSMS_URL       http://127.0.0.1:57013/cgi-bin/sendsms (smsbox)
#   DALAL_TEST_KANNEL_USERNAME          its sendsms-user ...
#   DALAL_TEST_KANNEL_PASSWORD          ... and password
#   DALAL_TEST_KANNEL_CALLBACK_KEY      the `key=` Kannel puts on the incoming-message URL
#   DALAL_TEST_SMS_MO_PORT              where smsbox sends incoming messages: a test binds a
#                                       server on 127.0.0.1 there (/sms/kannel/incoming)
#   DALAL_TEST_FAKESMSC_LOG             fakesmsc's output: one "Got message N: <from to type
#                                       payload>" line per message Kannel sent it
#   DALAL_TEST_FAKESMSC_BIN             the fakesmsc program, to inject incoming messages ...
#   DALAL_TEST_KANNEL_MO_SMSC_PORT      ... by connecting it to this fake SMSC port of bearerbox
#   DALAL_TEST_CHROMIUM                 Debian's chromium, for headless browser tests
#   DALAL_TEST_CHROMEDRIVER             chromium-driver (WebDriver), for the simulator test
#
# Ports: DALAL_TEST_PG_PORT (default 55432), DALAL_TEST_REDIS_PORT (default 56379), and for
# Kannel DALAL_TEST_KANNEL_ADMIN_PORT (57000), DALAL_TEST_KANNEL_SMSBOX_PORT (57001, bearerbox
# to smsbox), DALAL_TEST_KANNEL_SMSC_PORT (57010, the fakesmsc that receives what is sent),
# DALAL_TEST_KANNEL_MO_SMSC_PORT (57011), DALAL_TEST_KANNEL_SENDSMS_PORT (57013) and
# DALAL_TEST_SMS_MO_PORT (31080: tests bind it again and again while the suite holds many
# client connections, so it lies below Linux's ephemeral range, 32768-60999, where a client
# socket could be holding it) when starting. Nothing else is touched: the distribution's
# own services are never started, nor relied on (a system Kannel keeps its own 13xxx ports).
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

# Installs Debian packages without letting their maintainer scripts start the distribution's
# services (PostgreSQL, Redis and Kannel would each start one on install).
apt_install_without_starting() {
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e $policy ]]; then
        as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
        created_policy=1
    fi
    local rc=0
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || rc=$?
    if [[ $rc -eq 0 ]]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "$@" || rc=$?
    fi
    if [[ $created_policy -eq 1 ]]; then
        as_root rm -f "$policy"
    fi
    [[ $rc -eq 0 ]] || die "apt-get install $* failed (exit $rc)"
}

# Everything the tests need from Debian, gathered and installed with one `apt-get update` and
# one `apt-get install` (each round of apt costs more than its packages here):
# - PostgreSQL and Redis servers;
# - the voice tests' tools: xmllint (VoiceXML schema validation), espeak-ng and sox with MP3
#   support (`dalal prompts synth`);
# - the browser tests' Debian chromium (headless: screenshots, console errors, a fake
#   microphone) and chromium-driver (WebDriver on loopback), written to the env file as
#   DALAL_TEST_CHROMIUM and DALAL_TEST_CHROMEDRIVER;
# - Kannel 1.4.5 (bearerbox, smsbox) and, from kannel-extras, fakesmsc: a fake SMS centre that
#   prints every message it is sent and sends the messages given on its command line;
# - valgrind, for the hop budget (tests/it/hop_budget.rs counts instructions with callgrind).
# A test whose tool is missing fails; it never skips.
KANNEL_BEARERBOX=/usr/sbin/bearerbox
KANNEL_SMSBOX=/usr/sbin/smsbox
FAKESMSC=/usr/lib/kannel/test/fakesmsc

missing_packages() {
    local missing=()
    [[ -n "$(pg_bindir)" ]] || missing+=(postgresql)
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null || missing+=(redis-server)
    command -v xmllint >/dev/null || missing+=(libxml2-utils)
    command -v espeak-ng >/dev/null || missing+=(espeak-ng)
    command -v sox >/dev/null || missing+=(sox)
    [[ "$(sox -h 2>/dev/null || true)" == *" mp3 "* ]] || missing+=(libsox-fmt-mp3)
    command -v chromium >/dev/null || missing+=(chromium)
    command -v chromedriver >/dev/null || missing+=(chromium-driver)
    [[ -x $KANNEL_BEARERBOX && -x $KANNEL_SMSBOX ]] || missing+=(kannel)
    [[ -x $FAKESMSC ]] || missing+=(kannel-extras)
    command -v valgrind >/dev/null || missing+=(valgrind)
    echo "${missing[@]}"
}

install_all() {
    local missing
    read -r -a missing <<<"$(missing_packages)"
    if [[ ${#missing[@]} -gt 0 ]]; then
        log "installing ${missing[*]} with apt-get"
        apt_install_without_starting "${missing[@]}"
    fi
    read -r -a missing <<<"$(missing_packages)"
    [[ ${#missing[@]} -eq 0 ]] || die "still missing after apt-get: ${missing[*]}"
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
    RUN_DIR="" PG_BIN="" PG_PORT="" REDIS_SERVER="" REDIS_PORT="" KANNEL_ADMIN_PORT=""
    KANNEL_SENDSMS_PORT=""
    [[ -f "$STATE_FILE" ]] || return 1
    local key value
    while IFS='=' read -r key value; do
        case "$key" in
            RUN_DIR) RUN_DIR="$value" ;;
            PG_BIN) PG_BIN="$value" ;;
            PG_PORT) PG_PORT="$value" ;;
            REDIS_SERVER) REDIS_SERVER="$value" ;;
            REDIS_PORT) REDIS_PORT="$value" ;;
            KANNEL_ADMIN_PORT) KANNEL_ADMIN_PORT="$value" ;;
            KANNEL_SENDSMS_PORT) KANNEL_SENDSMS_PORT="$value" ;;
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

# --- Kannel ---
#
# bearerbox with two fake SMSC ports: on the first, a fakesmsc that stays connected and logs
# every message Kannel sends (the handset side); the second only takes incoming messages, each
# injected by a short-lived fakesmsc (a fake SMSC serves one client at a time, and fakesmsc sends
# only the messages on its command line). smsbox serves sendsms and calls the get-url with
# what arrives. The SMSC ids keep the two apart (`allowed-smsc-id`, `denied-smsc-id`): nothing
# is ever sent through the injection port.
#
# Delivery reports: fakesmsc itself never sends any. For a message with a `dlr-mask`, bearerbox
# reports 8 (delivered to the SMSC, `%A` = "ACK/") once it has written the message to fakesmsc,
# and the fake SMSC driver then reports 1 (delivered, `%A` empty) at once. 2 and 4 never come;
# 16 only if writing to fakesmsc fails.

KANNEL_USERNAME=dalal
KANNEL_PASSWORD=dalal-test-sendsms
KANNEL_ADMIN_PASSWORD=dalal-test-admin
KANNEL_CALLBACK_KEY=dalal-test-kannel-key

kannel_write_conf() {
    local dir=$1
    # `%b` (the message's own bytes) rather than `%a`, which squeezes runs of spaces; smsbox's
    # `mo-recode` turns UCS-2 messages into UTF-8, and `%c` says which coding `text` is in
    # (0 UTF-8 text, 1 binary, 2 UTF-16BE when it could not). `%P` is the number the message
    # was sent to only without a `global-sender` (smsbox puts that there), hence the
    # sendsms-user's `default-sender`. `max-messages = 0`: the service never answers by SMS.
    cat >"$dir/kannel.conf" <<EOF
# Throwaway test Kannel (tests/services.sh).
group = core
admin-port = $KANNEL_ADMIN_PORT
admin-interface = 127.0.0.1
admin-password = $KANNEL_ADMIN_PASSWORD
admin-allow-ip = "127.0.0.1"
smsbox-port = $KANNEL_SMSBOX_PORT
smsbox-interface = 127.0.0.1
box-deny-ip = "*.*.*.*"
box-allow-ip = "127.0.0.1"
dlr-storage = internal
log-file = "$dir/bearerbox.log"
log-level = 1
access-log = "$dir/access.log"

group = smsc
smsc = fake
smsc-id = fakesmsc
port = $KANNEL_SMSC_PORT
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1
denied-smsc-id = mo-injector

group = smsc
smsc = fake
smsc-id = mo-injector
allowed-smsc-id = mo-injector
port = $KANNEL_MO_SMSC_PORT
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $KANNEL_SMSBOX_PORT
sendsms-port = $KANNEL_SENDSMS_PORT
sendsms-interface = 127.0.0.1
mo-recode = true
log-file = "$dir/smsbox.log"
log-level = 1

group = sendsms-user
username = $KANNEL_USERNAME
password = $KANNEL_PASSWORD
default-sender = DALAL
max-messages = 10
concatenation = true

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "http://127.0.0.1:$SMS_MO_PORT/sms/kannel/incoming?key=$KANNEL_CALLBACK_KEY&from=%p&to=%P&text=%b&coding=%c&id=%I"
EOF
}

# Starts a program in a session of its own (no signal meant for this shell reaches it), its
# output in $2 and its pid in $1.
spawn() {
    local pidfile=$1 output=$2
    shift 2
    rm -f "$pidfile"
    # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
    setsid bash -c 'echo $$ >"$0" && exec "$@"' "$pidfile" "$@" >"$output" 2>&1 </dev/null &
    local waited=0
    until [[ -s "$pidfile" ]]; do
        ((waited < 50)) || die "$1 did not start"
        sleep 0.1
        waited=$((waited + 1))
    done
}

# The bearerbox status page (text), or nothing when it does not answer.
kannel_status_text() {
    {
        exec 3<>"/dev/tcp/127.0.0.1/$KANNEL_ADMIN_PORT" &&
            printf 'GET /status.txt?password=%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' \
                "$KANNEL_ADMIN_PASSWORD" >&3 &&
            timeout 5 cat <&3
    } 2>/dev/null || true
}

kannel_failed() {
    local dir="$RUN_DIR/kannel" file
    for file in bearerbox.log smsbox.log bearerbox.out smsbox.out fakesmsc.log; do
        if [[ -s "$dir/$file" ]]; then
            log "--- $dir/$file (last lines)"
            tail -n 15 "$dir/$file" >&2 || true
        fi
    done
    die "$*"
}

kannel_start() {
    local dir="$RUN_DIR/kannel" waited=0 status=""
    mkdir -p "$dir"
    kannel_write_conf "$dir"
    spawn "$dir/bearerbox.pid" "$dir/bearerbox.out" "$KANNEL_BEARERBOX" -v 1 "$dir/kannel.conf"
    # Its log rather than its ports: a fake SMSC port takes any connection as its client.
    until grep -q "Start-up done" "$dir/bearerbox.log" 2>/dev/null; do
        ((waited < WAIT_SECS * 5)) || kannel_failed "bearerbox did not start within ${WAIT_SECS}s"
        running "$(cat "$dir/bearerbox.pid")" || kannel_failed "bearerbox exited"
        sleep 0.2
        waited=$((waited + 1))
    done
    # `-m 0`: send nothing (the message is required, never sent); `-v 0`: every message
    # received is a debug line, so the log must keep debug lines.
    spawn "$dir/fakesmsc.pid" "$dir/fakesmsc.log" \
        "$FAKESMSC" -H 127.0.0.1 -r "$KANNEL_SMSC_PORT" -m 0 -v 0 "0 0 text unused"
    spawn "$dir/smsbox.pid" "$dir/smsbox.out" "$KANNEL_SMSBOX" -v 1 "$dir/kannel.conf"
    # Up once bearerbox counts smsbox among its boxes and fakesmsc online, and smsbox listens.
    waited=0
    until [[ "$status" == *"smsbox:"* && "$status" == *"fakesmsc[fakesmsc]"*"(online"* ]] &&
        port_busy "$KANNEL_SENDSMS_PORT"; do
        ((waited < WAIT_SECS * 5)) || kannel_failed "Kannel not up within ${WAIT_SECS}s (smsbox connected, fakesmsc online, sendsms on 127.0.0.1:$KANNEL_SENDSMS_PORT)"
        local name
        for name in bearerbox fakesmsc smsbox; do
            running "$(cat "$dir/$name.pid")" || kannel_failed "$name exited"
        done
        sleep 0.2
        waited=$((waited + 1))
        status="$(kannel_status_text)"
    done
    log "Kannel answers: sendsms on 127.0.0.1:$KANNEL_SENDSMS_PORT, fakesmsc on :$KANNEL_SMSC_PORT, incoming messages to :$SMS_MO_PORT"
}

# Stops a process started by `spawn`: SIGTERM (Kannel shuts down cleanly on it), SIGKILL if it
# is still there after 10 s. Only a process still running `program` is signalled, never a
# stranger that got its pid after it died.
stop_spawned() {
    local name=$1 pidfile=$2 program=$3 pid waited=0
    [[ -f "$pidfile" ]] || return 0
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    rm -f "$pidfile"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    [[ "$(ps -o args= -p "$pid" 2>/dev/null || true)" == "$program"* ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    while running "$pid" && ((waited < 100)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if running "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    log "$name stopped"
}

# Whether a process runs: a zombie has exited (its adopted parent reaps it when it will).
running() {
    local state
    state="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ "$state" != Z* ]]
}

kannel_stop() {
    load_state || return 0
    local dir="$RUN_DIR/kannel"
    [[ -d "$dir" ]] || return 0
    stop_spawned smsbox "$dir/smsbox.pid" "$KANNEL_SMSBOX"
    stop_spawned fakesmsc "$dir/fakesmsc.pid" "$FAKESMSC"
    stop_spawned bearerbox "$dir/bearerbox.pid" "$KANNEL_BEARERBOX"
}

# --- commands ---

port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

do_stop() {
    if load_state; then
        kannel_stop
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
    install_all
    do_stop # leftovers of an earlier run

    PG_BIN="$(pg_bindir)"
    PG_PORT="${DALAL_TEST_PG_PORT:-55432}"
    REDIS_PORT="${DALAL_TEST_REDIS_PORT:-56379}"
    REDIS_SERVER="$(command -v redis-server)"
    port_busy "$PG_PORT" && die "port $PG_PORT is already in use (set DALAL_TEST_PG_PORT)"
    port_busy "$REDIS_PORT" && die "port $REDIS_PORT is already in use (set DALAL_TEST_REDIS_PORT)"
    KANNEL_ADMIN_PORT="${DALAL_TEST_KANNEL_ADMIN_PORT:-57000}"
    KANNEL_SMSBOX_PORT="${DALAL_TEST_KANNEL_SMSBOX_PORT:-57001}"
    KANNEL_SMSC_PORT="${DALAL_TEST_KANNEL_SMSC_PORT:-57010}"
    KANNEL_MO_SMSC_PORT="${DALAL_TEST_KANNEL_MO_SMSC_PORT:-57011}"
    KANNEL_SENDSMS_PORT="${DALAL_TEST_KANNEL_SENDSMS_PORT:-57013}"
    SMS_MO_PORT="${DALAL_TEST_SMS_MO_PORT:-31080}"
    local variable seen=" "
    for variable in KANNEL_ADMIN_PORT KANNEL_SMSBOX_PORT KANNEL_SMSC_PORT KANNEL_MO_SMSC_PORT \
        KANNEL_SENDSMS_PORT SMS_MO_PORT; do
        # Kannel (and bash's /dev/tcp) would quietly take 70000 as 4464.
        [[ "${!variable}" =~ ^[0-9]+$ ]] && ((${!variable} >= 1 && ${!variable} <= 65535)) ||
            die "DALAL_TEST_$variable=${!variable} is not a port"
        [[ "$seen" != *" ${!variable} "* ]] ||
            die "port ${!variable} given twice (DALAL_TEST_$variable)"
        seen+="${!variable} "
        port_busy "${!variable}" &&
            die "port ${!variable} is already in use (set DALAL_TEST_$variable)"
    done

    mkdir -p "$BASE"
    RUN_DIR="$(mktemp -d "$BASE/run.XXXXXX")"
    chmod 755 "$BASE" "$RUN_DIR"
    cat >"$STATE_FILE" <<EOF
RUN_DIR=$RUN_DIR
PG_BIN=$PG_BIN
PG_PORT=$PG_PORT
REDIS_SERVER=$REDIS_SERVER
REDIS_PORT=$REDIS_PORT
KANNEL_ADMIN_PORT=$KANNEL_ADMIN_PORT
KANNEL_SENDSMS_PORT=$KANNEL_SENDSMS_PORT
EOF
    # From here on, a failure leaves nothing running behind.
    STARTED=0
    trap 'if [[ $STARTED -eq 0 ]]; then log "start failed, cleaning up"; do_stop; fi' EXIT
    if [[ $EUID -eq 0 ]] && ! runuser -u postgres -- test -x "$RUN_DIR"; then
        die "user postgres cannot reach $RUN_DIR (check the permissions of its parents)"
    fi

    pg_start
    redis_start
    kannel_start
    STARTED=1
    trap - EXIT

    cat >"$ENV_FILE" <<EOF
# Written by tests/services.sh start; removed by tests/services.sh stop.
export DALAL_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PG_PORT/dalal_test
export DALAL_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/
export DALAL_TEST_REDIS_SERVER=$REDIS_SERVER
export DALAL_TEST_REDIS_PORT=$REDIS_PORT
export DALAL_TEST_SERVICES_DIR=$RUN_DIR
export DALAL_TEST_KANNEL_SENDSMS_URL=http://127.0.0.1:$KANNEL_SENDSMS_PORT/cgi-bin/sendsms
export DALAL_TEST_KANNEL_USERNAME=$KANNEL_USERNAME
export DALAL_TEST_KANNEL_PASSWORD=$KANNEL_PASSWORD
export DALAL_TEST_KANNEL_CALLBACK_KEY=$KANNEL_CALLBACK_KEY
export DALAL_TEST_SMS_MO_PORT=$SMS_MO_PORT
export DALAL_TEST_FAKESMSC_LOG=$RUN_DIR/kannel/fakesmsc.log
export DALAL_TEST_FAKESMSC_BIN=$FAKESMSC
export DALAL_TEST_KANNEL_MO_SMSC_PORT=$KANNEL_MO_SMSC_PORT
export DALAL_TEST_CHROMIUM=$(command -v chromium)
export DALAL_TEST_CHROMEDRIVER=$(command -v chromedriver)
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
    if [[ -n "$KANNEL_ADMIN_PORT" && "$(kannel_status_text)" == *"Status: running"* ]]; then
        echo "kannel: up, sendsms on 127.0.0.1:$KANNEL_SENDSMS_PORT"
    else
        echo "kannel: down"
    fi
}

main() {
    case "${1:-}" in
        install) install_all ;;
        start) do_start ;;
        stop) do_stop ;;
        redis_stop | redis-stop) redis_stop ;;
        redis_start | redis-start) redis_start ;;
        status) do_status ;;
        *)
            echo "usage: $0 install|start|stop|status|redis_stop|redis_start" >&2
            exit 2
            ;;
    esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main "$@"
fi
