#!/usr/bin/env bash
# Run a command (normally the pytest suite) against throw-away local services.
#
#   bash scripts/test-services.sh .venv/bin/python -m pytest [args]
#   bash scripts/test-services.sh --install-only     (step 1 only: the packages, then exit)
#
# - As root, installs missing Debian packages (chromium, redis-server, postgresql, nginx, fonts,
#   nodejs for the console's and widget's unit tests: `node --test tests/js/`, Node >= 18).
# - Starts a scratch PostgreSQL and Redis on 127.0.0.1 at free ports and exports
#     FRONTDESK_TEST_POSTGRES_URL, FRONTDESK_TEST_REDIS_URL,
#     FRONTDESK_TEST_CHROMIUM, FRONTDESK_TEST_ARTIFACTS
#   A URL that is already set in the environment is used as-is (no local server started).
# - Exports the binaries the cluster tests (tests/cluster/) run themselves -- their own nginx,
#   PostgreSQL and Redis, which they kill and restart, never the system services:
#     FRONTDESK_TEST_NGINX (/usr/sbin/nginx), FRONTDESK_TEST_PG_BIN (initdb, pg_ctl);
#   redis-server is found on PATH.
# - Always stops the services and removes their temp dirs on exit.
# - Exits with the command's exit code; pytest's 5 ("no tests collected") becomes 1.
# - Outside CI a missing service is a warning (the tests skip); with CI=true it is fatal.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

log() { printf 'test-services: %s\n' "$*" >&2; }

IS_CI=0
case "${CI:-}" in true | TRUE | True | 1 | yes) IS_CI=1 ;; esac
IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1

# A missing service: fatal in CI, a warning otherwise.
unavailable() {
    if [ "$IS_CI" -eq 1 ]; then
        log "ERROR: $* (CI=true, refusing to run without it)"
        exit 1
    fi
    log "WARNING: $* -- tests that need it will be skipped"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

PY=$(command -v python3 || command -v python || true)
free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait until something accepts TCP connections on 127.0.0.1:$1 (up to ~$2 tenths of a second).
wait_tcp() {
    local i
    for ((i = 0; i < $2; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------- cleanup
PG_DIR="" PG_BIN="" REDIS_DIR="" APT_LOG=""
cleanup() {
    local rc=$?
    set +e
    if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
        if [ "$IS_ROOT" -eq 1 ]; then
            (cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop) >/dev/null 2>&1
        else
            "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
        fi
    fi
    if [ -n "$REDIS_DIR" ] && [ -f "$REDIS_DIR/redis.pid" ]; then
        local pid i
        pid=$(cat "$REDIS_DIR/redis.pid" 2>/dev/null)
        if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
            for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null
        fi
    fi
    [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
    [ -n "$REDIS_DIR" ] && rm -rf "$REDIS_DIR"
    [ -n "$APT_LOG" ] && rm -f "$APT_LOG"
    return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- 1. packages
pg_bin_dir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
    d=$(command -v initdb 2>/dev/null) && dirname "$d"
}
have_fonts() {
    [ -n "$(find /usr/share/fonts /usr/local/share/fonts -type f \( -name '*.ttf' -o -name '*.otf' \) 2>/dev/null | head -n 1)" ]
}

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -n "$(pg_bin_dir)" ] || missing+=(postgresql)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
have_fonts || missing+=(fonts-dejavu-core)
# `node --test` (the built-in test runner) needs Node 18 or later; Debian 12 ships 18.x.
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' >/dev/null 2>&1 ||
    missing+=(nodejs)

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$IS_ROOT" -eq 1 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing ${missing[*]} via apt-get..."
        APT_LOG=$(mktemp "${TMPDIR:-/tmp}/frontdesk-apt.XXXXXX.log")
        t0=$(now)
        export DEBIAN_FRONTEND=noninteractive
        if apt-get -o DPkg::Lock::Timeout=120 update >"$APT_LOG" 2>&1 &&
            apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends "${missing[@]}" >>"$APT_LOG" 2>&1; then
            log "installed ${missing[*]} in $(elapsed "$t0")"
            # Debian's redis-server package starts a system instance; we don't need it.
            if [[ " ${missing[*]} " == *" redis-server "* ]]; then
                service redis-server stop >/dev/null 2>&1 || true
            fi
            # Likewise nginx: the tests start their own instances on free ports.
            if [[ " ${missing[*]} " == *" nginx "* ]]; then
                service nginx stop >/dev/null 2>&1 || true
            fi
            rm -f "$APT_LOG"; APT_LOG=""
        else
            log "apt-get failed; log follows"
            cat "$APT_LOG" >&2
            unavailable "could not install ${missing[*]}"
        fi
    else
        log "missing: ${missing[*]} (not root, not installing)"
    fi
fi

if [ "$1" = "--install-only" ]; then
    exit 0
fi

# ---------------------------------------------------------------- 4. chromium + artifacts
export FRONTDESK_TEST_ARTIFACTS="${FRONTDESK_TEST_ARTIFACTS:-$PWD/test-artifacts}"
mkdir -p "$FRONTDESK_TEST_ARTIFACTS"
log "screenshots in: $FRONTDESK_TEST_ARTIFACTS"

if [ -z "${FRONTDESK_TEST_CHROMIUM:-}" ]; then
    if [ -x /usr/bin/chromium ]; then
        export FRONTDESK_TEST_CHROMIUM=/usr/bin/chromium
    else
        unavailable "chromium not found at /usr/bin/chromium"
    fi
fi

# ---------------------------------------------------------------- binaries for tests/cluster
# Each cluster test module starts its own nginx (prefix, config and error log in a temp dir,
# `daemon off`, a free port), PostgreSQL (initdb in a temp dir) and redis-server.
if [ -z "${FRONTDESK_TEST_NGINX:-}" ]; then
    if [ -x /usr/sbin/nginx ]; then
        export FRONTDESK_TEST_NGINX=/usr/sbin/nginx
    else
        unavailable "nginx not found at /usr/sbin/nginx"
    fi
fi
if [ -z "${FRONTDESK_TEST_PG_BIN:-}" ]; then
    if pg_bin=$(pg_bin_dir) && [ -n "$pg_bin" ]; then
        export FRONTDESK_TEST_PG_BIN="$pg_bin"
    else
        unavailable "PostgreSQL server binaries (initdb, pg_ctl) not found"
    fi
fi

# ---------------------------------------------------------------- 2. PostgreSQL
start_postgres() {
    PG_BIN=$(pg_bin_dir) || true
    [ -n "$PG_BIN" ] || { log "no PostgreSQL server binaries (initdb) found"; return 1; }
    # Socket paths are limited to ~107 bytes, so keep this short and under /tmp
    # (postgres must be able to traverse it when we are root).
    PG_DIR=$(mktemp -d /tmp/frontdesk-pg.XXXXXX) || return 1
    local as=()
    if [ "$IS_ROOT" -eq 1 ]; then
        chown postgres:postgres "$PG_DIR" || return 1
        as=(runuser -u postgres --)
    fi
    if ! (cd / && "${as[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust --no-sync -U postgres -E UTF8 \
        >"$PG_DIR/initdb.log" 2>&1); then
        log "initdb failed:"; cat "$PG_DIR/initdb.log" >&2; return 1
    fi
    local attempt port
    for attempt in 1 2 3; do
        port=$(free_port) || return 1
        if (cd / && "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1); then
            if "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres frontdesk_test 2>"$PG_DIR/createdb.log"; then
                export FRONTDESK_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/frontdesk_test"
                return 0
            fi
            log "createdb failed:"; cat "$PG_DIR/createdb.log" >&2; return 1
        fi
        # Port probably taken between choosing and binding; retry with another.
        grep -q "could not bind" "$PG_DIR/postgres.log" 2>/dev/null || break
    done
    log "PostgreSQL failed to start; log follows:"
    cat "$PG_DIR/postgres.log" >&2 2>/dev/null || true
    return 1
}

if [ -n "${FRONTDESK_TEST_POSTGRES_URL:-}" ]; then
    log "postgres: using existing FRONTDESK_TEST_POSTGRES_URL"
else
    t0=$(now)
    if start_postgres; then
        log "postgres: $FRONTDESK_TEST_POSTGRES_URL (started in $(elapsed "$t0"))"
    else
        unset FRONTDESK_TEST_POSTGRES_URL
        unavailable "PostgreSQL could not be started"
    fi
fi

# ---------------------------------------------------------------- 3. Redis
start_redis() {
    command -v redis-server >/dev/null 2>&1 || { log "redis-server not found"; return 1; }
    REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/frontdesk-redis.XXXXXX") || return 1
    local attempt port
    for attempt in 1 2 3; do
        port=$(free_port) || return 1
        rm -f "$REDIS_DIR/redis.pid"
        redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
            --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --dir "$REDIS_DIR" \
            --logfile "$REDIS_DIR/redis.log" >/dev/null 2>&1 || true
        if wait_tcp "$port" 50; then
            export FRONTDESK_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
            return 0
        fi
        grep -qi "address already in use" "$REDIS_DIR/redis.log" 2>/dev/null || break
    done
    log "redis-server failed to start; log follows:"
    cat "$REDIS_DIR/redis.log" >&2 2>/dev/null || true
    return 1
}

if [ -n "${FRONTDESK_TEST_REDIS_URL:-}" ]; then
    log "redis: using existing FRONTDESK_TEST_REDIS_URL"
else
    t0=$(now)
    if start_redis; then
        log "redis: $FRONTDESK_TEST_REDIS_URL (started in $(elapsed "$t0"))"
    else
        unset FRONTDESK_TEST_REDIS_URL
        unavailable "Redis could not be started"
    fi
fi

# ---------------------------------------------------------------- 5. run
rc=0
"$@" || rc=$?

is_pytest=0
for arg in "$@"; do
    case "$arg" in pytest | */pytest) is_pytest=1 ;; esac
done
if [ "$is_pytest" -eq 1 ] && [ "$rc" -eq 5 ]; then
    log "ERROR: pytest collected no tests (exit 5) -- treating as failure"
    rc=1
fi

log "screenshots in: $FRONTDESK_TEST_ARTIFACTS"
exit "$rc"
