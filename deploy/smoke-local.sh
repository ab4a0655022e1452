#!/usr/bin/env bash
# Runs the compose topology without Docker, on loopback: PostgreSQL + Redis + two `dalal serve`
# (deploy/dalal.toml, the compose environment) + nginx with deploy/nginx.conf (host names and
# port rewritten), then checks what the deployment promises:
#   - both instances, started together on an empty database, become ready; sessions are written to Redis with the configured TTL;
#   - a session started on one instance continues on the other, and through the proxy;
#   - the gateway key is enforced through the proxy; /healthz is not public at the proxy;
#   - SIGTERM stops an instance cleanly and the proxy keeps answering from the other one;
#   - /readyz turns 503 when Redis is gone while /healthz stays 200.
# Needs: a built dalal (cargo build), PostgreSQL server binaries (initdb, pg_ctl), and
# redis-server and nginx on PATH or fetched by `apt-get download` into the tools cache.
#   bash deploy/smoke-local.sh
set -euo pipefail

deploy=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$deploy/.." && pwd)
tools=${DALAL_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dalal-deploy-tools}
work=$(mktemp -d)
chmod 755 "$work"
pids=()
pg_bin=""
as_pg=()

say() { echo "== $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [[ -n $pg_bin && -f $work/pg/postmaster.pid ]]; then
        "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# --- tools ---------------------------------------------------------------------------------
dalal=${DALAL_BIN:-}
for b in "$repo/target/release/dalal" "$repo/target/debug/dalal"; do
    if [[ -z $dalal && -x $b ]]; then dalal=$b; fi
done
[[ -n $dalal ]] || die "no dalal binary: cargo build first"

if command -v initdb >/dev/null; then pg_bin=$(dirname "$(readlink -f "$(command -v initdb)")"); fi
if [[ -z $pg_bin ]]; then
    for d in /usr/lib/postgresql/*/bin; do [[ -x $d/initdb ]] && pg_bin=$d; done
fi
[[ -n $pg_bin ]] || die "PostgreSQL server binaries (initdb, pg_ctl) not found"

# fetch NAME PACKAGES...: a binary from PATH, else extracted from Debian packages.
fetch() {
    local name=$1
    shift
    if command -v "$name" >/dev/null; then command -v "$name"; return; fi
    if [[ ! -x $tools/debs/usr/bin/$name && ! -x $tools/debs/usr/sbin/$name ]]; then
        mkdir -p "$tools/debs" "$work/debs"
        (cd "$work/debs" && apt-get download "$@" >/dev/null 2>&1) || die "apt-get download $* failed"
        for f in "$work"/debs/*.deb; do dpkg -x "$f" "$tools/debs"; done
    fi
    if [[ -x $tools/debs/usr/bin/$name ]]; then echo "$tools/debs/usr/bin/$name"; else echo "$tools/debs/usr/sbin/$name"; fi
}
redis_server=$(fetch redis-server redis-server redis-tools liblzf1 libjemalloc2)
nginx=$(fetch nginx nginx)
export LD_LIBRARY_PATH=$tools/debs/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_port=$(free_port) redis_port=$(free_port) port1=$(free_port) port2=$(free_port) proxy_port=$(free_port)

wait_for() { # wait_for SECONDS COMMAND...
    local until=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < until)) || return 1
        sleep 0.2
    done
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# --- PostgreSQL and Redis as compose runs them (whatever versions this machine has) -----------------------------------
say "PostgreSQL on $pg_port ($("$pg_bin/postgres" --version | sed 's/ (Debian.*//'))"
if [[ $(id -u) == 0 ]]; then
    user=$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)
    as_pg=(runuser -u "$user" --)
    install -d -o "$user" "$work/pg" "$work/pgsock"
fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -U dalal -A trust >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg/log" -w \
    -o "-p $pg_port -k $work/pgsock -c listen_addresses=127.0.0.1" start >/dev/null
"${as_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U dalal dalal

say "Redis on $redis_port ($("$redis_server" --version | cut -d' ' -f3))"
"$redis_server" --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --maxmemory 256mb --maxmemory-policy volatile-ttl >"$work/redis.log" 2>&1 &
pids+=($!)
redis_pid=$!
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$redis_port" || die "Redis did not start"
redis() { # a minimal RESP client: redis CMD ARGS... (prints the raw reply)
    python3 - "$redis_port" "$@" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
args = sys.argv[2:]
s.sendall(("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a.encode()), a) for a in args)).encode())
print(s.recv(65536).decode().strip())
PY
}

# --- two dalal instances with the compose environment --------------------------------------
key=smoke-$RANDOM$RANDOM
start_dalal() { # start_dalal PORT LOG
    (cd "$repo" && env -u DALAL_LISTEN -u DALAL_MENUS_DIR -u DALAL_LOCALES_DIR \
        DALAL_CONFIG="$deploy/dalal.toml" \
        DATABASE_URL="postgres://dalal@127.0.0.1:$pg_port/dalal" \
        REDIS_URL="redis://127.0.0.1:$redis_port/" \
        DALAL_AFRICASTALKING_KEY="$key" RUST_LOG=info,sqlx=warn \
        "$dalal" serve --listen "127.0.0.1:$1") >"$2" 2>&1 &
    pids+=($!)
}
say "dalal1 on $port1, dalal2 on $port2 ($dalal)"
start_dalal "$port1" "$work/dalal1.log"
dalal1_pid=$!
# Both at once on the empty database, as compose and Kubernetes start them (migrations and the
# demo import race).
start_dalal "$port2" "$work/dalal2.log"
wait_for 60 curl -fsS "http://127.0.0.1:$port1/readyz" || { cat "$work/dalal1.log"; die "dalal1 not ready"; }
wait_for 60 curl -fsS "http://127.0.0.1:$port2/readyz" || { cat "$work/dalal2.log"; die "dalal2 not ready"; }

# --- nginx with deploy/nginx.conf ----------------------------------------------------------
mkdir -p "$work/nginx"
sed -e "s/server dalal1:8080/server 127.0.0.1:$port1/" -e "s/server dalal2:8080/server 127.0.0.1:$port2/" \
    -e "s/listen 80;/listen 127.0.0.1:$proxy_port;/" -e "s#^pid .*#pid $work/nginx/nginx.pid;#" \
    -e "s#^http {#http {\n    client_body_temp_path $work/nginx/b; proxy_temp_path $work/nginx/p; fastcgi_temp_path $work/nginx/f; uwsgi_temp_path $work/nginx/u; scgi_temp_path $work/nginx/s;#" \
    "$deploy/nginx.conf" > "$work/nginx/nginx.conf"
[[ $(id -u) == 0 ]] && sed -i '1i user nobody nogroup;' "$work/nginx/nginx.conf"
say "nginx on $proxy_port ($("$nginx" -v 2>&1 | sed 's/.*: //'))"
"$nginx" -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" -g 'daemon off;' \
    >"$work/nginx/out.log" 2>&1 &
pids+=($!)
proxy=http://127.0.0.1:$proxy_port
wait_for 10 curl -fsS "$proxy/nginx-health" || die "nginx did not start"

# --- checks --------------------------------------------------------------------------------
sid=smoke-$RANDOM$RANDOM
hop() { # hop BASE_URL TEXT -> reply body
    curl -fsS --max-time 8 "$1/ussd/africastalking?key=$key" \
        --data-urlencode "sessionId=$sid" --data-urlencode "serviceCode=*123#" \
        --data-urlencode "phoneNumber=+221786452821" --data-urlencode "networkCode=60801" \
        --data-urlencode "text=$2"
}
r1=$(hop "http://127.0.0.1:$port1" "") || die "first hop on dalal1 failed"
[[ $r1 == CON* ]] || die "first hop: $r1"
say "hop 1 on dalal1: ${r1%%$'\n'*}"
stored=$(redis EXISTS "dalal:ussd:africastalking:$sid")
ttl=$(redis TTL "dalal:ussd:africastalking:$sid")
[[ $stored == ":1" ]] || die "session key dalal:ussd:africastalking:$sid not in Redis ($stored)"
ttl=${ttl#:}
((ttl > 0 && ttl <= 180)) || die "session TTL $ttl not in (0, 180]"
say "session in Redis as dalal:ussd:africastalking:$sid, TTL ${ttl}s"
r2=$(hop "http://127.0.0.1:$port2" "1") || die "second hop on dalal2 failed"
[[ $r2 == CON* || $r2 == END* ]] || die "second hop: $r2"
say "hop 2 on dalal2: ${r2%%$'\n'*}"
r2again=$(hop "$proxy" "1") || die "hop through the proxy failed"
[[ $r2again == "$r2" ]] || die "resent hop through the proxy answered differently: $r2again"
say "hop 2 resent through the proxy: same reply"

[[ $(code -X POST "$proxy/ussd/africastalking" -d "sessionId=x&serviceCode=*123%23&phoneNumber=%2B221786452821&networkCode=1&text=") == 403 ]] \
    || die "a hop without the gateway key was not refused through the proxy"
[[ $(code "$proxy/healthz") == 404 ]] || die "/healthz is public at the proxy"
say "proxy: no key -> 403, /healthz -> 404"

[[ $(cat "/proc/$dalal1_pid/comm" 2>/dev/null) == dalal ]] || die "pid $dalal1_pid is not dalal"
say "SIGTERM to dalal1"
kill -TERM "$dalal1_pid"
start=$SECONDS
wait "$dalal1_pid" && rc=0 || rc=$?
((rc == 0)) || die "dalal1 exited with $rc after SIGTERM"
say "dalal1 exited 0 after $((SECONDS - start)) s"
for i in 1 2 3 4; do
    sid=smoke-failover-$i
    r=$(hop "$proxy" "") || die "hop $i through the proxy failed with dalal1 down"
    [[ $r == CON* ]] || die "failover hop $i: $r"
done
say "4 new sessions through the proxy with dalal1 down: all answered"

say "stopping Redis"
kill "$redis_pid"
wait "$redis_pid" 2>/dev/null || true
wait_for 10 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port2/readyz) == 503 ]]" \
    || die "/readyz did not turn 503 without Redis"
[[ $(code "http://127.0.0.1:$port2/healthz") == 200 ]] || die "/healthz not 200 without Redis"
say "without Redis: /readyz 503, /healthz 200"
echo "smoke: all checks passed"
