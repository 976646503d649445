#!/usr/bin/env bash
# The whole NERVE storage test suite, on SQLite and PostgreSQL: the one test command.
#
# PostgreSQL: uses NERVE_TEST_PG_URL when set; else a server answering on 127.0.0.1:5432;
# else starts an installed Debian cluster; else installs Debian's `postgresql` package, trusts
# loopback connections in pg_hba.conf and starts it. Installs postgresql-client (pg_dump,
# pg_restore) and pgbouncer when missing and starts pgbouncer as postgres on 127.0.0.1:6543 in
# transaction mode. Then runs every test of the workspace, the PostgreSQL conformance cases
# again through pgbouncer, and the facade built with one driver at a time. Exits non-zero when
# anything fails, including when no PostgreSQL server or pgbouncer can be provided: the
# PostgreSQL cases never pass silently.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_PORT=5432
log() { printf 'test.sh: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

pg_answers() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null
  fi
}

wait_for_pg() {
  for _ in $(seq 1 30); do pg_answers && return 0; sleep 1; done
  return 1
}

apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Trust loopback TCP connections for every cluster (a test server, on this machine only).
trust_loopback() {
  local hba
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    [ -f "$hba" ] || continue
    if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
      as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
      log "added loopback trust rules to $hba"
    fi
  done
}

start_clusters() {
  local version
  for version in $(ls /etc/postgresql 2>/dev/null); do
    log "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
}

provide_postgres() {
  if pg_answers; then return 0; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "no PostgreSQL installed: installing Debian's postgresql"
    apt_install postgresql
  fi
  trust_loopback
  start_clusters
  wait_for_pg || { log "PostgreSQL did not start on 127.0.0.1:$PG_PORT"; exit 1; }
}

if [ -z "${NERVE_TEST_PG_URL:-}" ]; then
  provide_postgres
  export NERVE_TEST_PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  if ! psql "$NERVE_TEST_PG_URL" -qtAc 'SELECT 1' >/dev/null 2>&1; then
    # A server that answers but refuses user postgres without a password: trust loopback.
    trust_loopback
    for version in $(ls /etc/postgresql 2>/dev/null); do
      as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
    done
  fi
fi

# Build needs: libpq for the PostgreSQL driver (SQLite is bundled and built with cc).
if ! pkg-config --exists libpq 2>/dev/null && ! command -v pg_config >/dev/null 2>&1; then
  log "installing libpq-dev"
  apt_install libpq-dev pkg-config
fi

# Backups and restores on PostgreSQL run pg_dump and pg_restore (Debian's postgresql-client).
if ! command -v pg_dump >/dev/null 2>&1 || ! command -v pg_restore >/dev/null 2>&1; then
  log "installing postgresql-client (pg_dump, pg_restore)"
  apt_install postgresql-client
fi

if command -v psql >/dev/null 2>&1; then
  psql "$NERVE_TEST_PG_URL" -qtAc 'SELECT 1' >/dev/null || {
    log "cannot connect to $NERVE_TEST_PG_URL"; exit 1; }
  # Remove databases left behind by interrupted runs (each test drops its own).
  for db in $(psql "$NERVE_TEST_PG_URL" -qtAc "SELECT datname FROM pg_database WHERE datname LIKE 'nerve\_t\_%' OR datname LIKE 'nerve\_baseline\_%'"); do
    psql "$NERVE_TEST_PG_URL" -qtAc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null || true
  done
fi
log "PostgreSQL for the tests: $NERVE_TEST_PG_URL"

# pgbouncer (Debian's, 1.18: transaction pooling, no prepared statements; it refuses to run as
# root, so it runs as postgres) on a loopback port, in front of the same server (which must
# let the pooler in as the URL's user without a password, as the server provided above does).
# A pooler already running can be named instead with NERVE_TEST_PG_POOLER_URL.
PGBOUNCER_PORT=${NERVE_TEST_PGBOUNCER_PORT:-6543}
if [ -n "${NERVE_TEST_PG_POOLER_URL:-}" ]; then
  POOLER_URL=$NERVE_TEST_PG_POOLER_URL
  log "pooler for the tests (given): $POOLER_URL"
else
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
  log "installing pgbouncer"
  apt_install pgbouncer
fi
PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
pg_user=$(psql -X "$NERVE_TEST_PG_URL" -qtAc 'SELECT current_user')
pg_addr=$(psql -X "$NERVE_TEST_PG_URL" -qtAc "SELECT coalesce(host(inet_server_addr()), '127.0.0.1')")
pg_port=$(psql -X "$NERVE_TEST_PG_URL" -qtAc 'SELECT inet_server_port()')
if (exec 3<>"/dev/tcp/127.0.0.1/$PGBOUNCER_PORT") 2>/dev/null; then
  log "port $PGBOUNCER_PORT is taken (a pgbouncer left running?): stop it or set NERVE_TEST_PGBOUNCER_PORT"
  exit 1
fi
PGB_DIR=$(mktemp -d /tmp/nerve-pgbouncer.XXXXXX)
printf '%s\n' \
  '[databases]' \
  "* = host=$pg_addr port=${pg_port:-5432}" \
  '[pgbouncer]' \
  'listen_addr = 127.0.0.1' \
  "listen_port = $PGBOUNCER_PORT" \
  'unix_socket_dir =' \
  'auth_type = trust' \
  "auth_file = $PGB_DIR/userlist.txt" \
  'pool_mode = transaction' \
  'max_client_conn = 1000' \
  'default_pool_size = 40' \
  'max_db_connections = 60' \
  'ignore_startup_parameters = extra_float_digits,options' \
  "logfile = $PGB_DIR/pgbouncer.log" \
  "pidfile = $PGB_DIR/pgbouncer.pid" > "$PGB_DIR/pgbouncer.ini"
printf '"%s" ""\n' "$pg_user" > "$PGB_DIR/userlist.txt"
stop_pgbouncer() {
  local pid
  if [ "$(id -un)" = postgres ]; then
    pid=$(cat "$PGB_DIR/pgbouncer.pid" 2>/dev/null || true)
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$PGB_DIR" || true
  else
    pid=$(as_root cat "$PGB_DIR/pgbouncer.pid" 2>/dev/null || true)
    if [ -n "$pid" ]; then as_root kill "$pid" 2>/dev/null || true; fi
    as_root rm -rf "$PGB_DIR" || true
  fi
}
trap stop_pgbouncer EXIT
if [ "$(id -un)" = postgres ]; then
  "$PGBOUNCER" -d "$PGB_DIR/pgbouncer.ini"
else
  as_root chown -R postgres "$PGB_DIR"
  as_root runuser -u postgres -- "$PGBOUNCER" -d "$PGB_DIR/pgbouncer.ini"
fi
POOLER="postgres://$pg_user@127.0.0.1:$PGBOUNCER_PORT/postgres"
for _ in $(seq 1 20); do
  psql -X "$POOLER" -qtAc 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.5
done
psql -X "$POOLER" -qtAc 'SELECT 1' >/dev/null || {
  log "pgbouncer did not start on 127.0.0.1:$PGBOUNCER_PORT (log: $PGB_DIR/pgbouncer.log)"
  exit 1
}
POOLER_URL="$POOLER?statement_cache=off"
log "pgbouncer for the tests: $POOLER (transaction pooling)"
fi

# Every crate's tests, both drivers compiled in (stores connecting directly).
env -u NERVE_TEST_PG_POOLER_URL cargo test --workspace
# The PostgreSQL conformance cases again, every store connecting through pgbouncer with the
# prepared-statement cache off (test databases are still made and migrated directly).
NERVE_TEST_PG_POOLER_URL="$POOLER_URL" \
  cargo test -p nerve-conformance --test conformance -- postgres
# The facade with one driver at a time: a URL for the missing driver names its Cargo feature.
cargo test -p nerve --no-default-features --features sqlite
cargo test -p nerve --no-default-features --features postgres
