#!/usr/bin/env bash
# The whole NERVE storage test suite, on SQLite and PostgreSQL: the one test command.
#
# PostgreSQL, one of two ways (the script says which it took):
# - testcontainers, where a Docker engine answers and NERVE_TEST_PG_URL is not set: builds the
#   image nerve-postgres:15-<recipe hash> with scripts/pg-image.sh (once per machine, from
#   Debian's packages, no registry), and every PostgreSQL test starts containers of it through
#   the testcontainers crate (a server with its pgbouncer per test process, and a streaming
#   replica for the replica tests), published on 127.0.0.1 only. Every container is labelled
#   with this run and removed when the script exits, whatever the outcome; containers of runs
#   that were killed are removed before starting. Under CI (CI=true) this path is required.
# - a host server: NERVE_TEST_PG_URL when set; else a server answering on 127.0.0.1:5432; else
#   an installed Debian cluster, started; else Debian's `postgresql`, installed, trusting
#   loopback connections, and started. pgbouncer (127.0.0.1:6543, transaction mode) and a
#   streaming read replica (pg_basebackup -R, 127.0.0.1:5433) are started beside it, as
#   postgres, installing them when missing, and removed on exit.
# Either way it installs libpq-dev and postgresql-client (pg_dump, pg_restore) when missing, runs
# every test of the workspace, the PostgreSQL conformance cases again through pgbouncer, and the
# facade built with one driver at a time. It exits non-zero when anything fails, including when
# no PostgreSQL server, pooler or replica can be provided: the PostgreSQL cases never pass
# silently.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_PORT=5432
log() { printf 'test.sh: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# Runs a command as the postgres user (pgbouncer and PostgreSQL refuse to run as root).
as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else as_root runuser -u postgres -- "$@"; fi
}
# What runs on exit, whatever the outcome: stopping what this script started.
CLEANUP=()
cleanup() { local c; for c in "${CLEANUP[@]}"; do "$c" || true; done; }
trap cleanup EXIT

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

# Build needs: libpq for the PostgreSQL driver (SQLite is bundled and built with cc).
if ! pkg-config --exists libpq 2>/dev/null && ! command -v pg_config >/dev/null 2>&1; then
  log "installing libpq-dev"
  apt_install libpq-dev pkg-config
fi

# The nerve command compiles OpenSSL from source (feature bundled-libpq): make and perl.
if ! command -v make >/dev/null 2>&1 || ! perl -MIPC::Cmd -e1 >/dev/null 2>&1; then
  log "installing make and perl (OpenSSL's build)"
  apt_install make perl
fi

# Backups and restores on PostgreSQL run pg_dump and pg_restore (Debian's postgresql-client).
if ! command -v pg_dump >/dev/null 2>&1 || ! command -v pg_restore >/dev/null 2>&1; then
  log "installing postgresql-client (pg_dump, pg_restore)"
  apt_install postgresql-client
fi

# Every run labels its containers with its id and its owner (this script's process).
RUN_ID="$(date +%Y%m%d%H%M%S)-$$"

docker_answers() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

# Containers of earlier runs whose script is gone (killed half-way): removed, with their
# networks. Runs still going (their owner process alive) are left alone.
remove_stale_containers() {
  local id owner
  docker ps -aq --filter label=nerve.test.run | while read -r id; do
    owner=$(docker inspect -f '{{index .Config.Labels "nerve.test.owner"}}' "$id" 2>/dev/null || true)
    if [ -z "$owner" ] || ! kill -0 "$owner" 2>/dev/null; then
      docker rm -f "$id" >/dev/null 2>&1 && log "removed container $id left by an interrupted run"
    fi
  done
  docker network ls -q --filter name=nerve-test- | while read -r id; do
    docker network rm "$id" >/dev/null 2>&1 || true   # refused while a live run uses it
  done
}

remove_run_containers() {
  local ids
  ids=$(docker ps -aq --filter "label=nerve.test.run=$RUN_ID")
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086
    docker rm -f $ids >/dev/null 2>&1 || true
  fi
  docker network rm "nerve-test-$RUN_ID" >/dev/null 2>&1 || true
  rm -f "$CONTAINER_LOG"
}

with_containers() {
  remove_stale_containers
  NERVE_TEST_PG_IMAGE=$(scripts/pg-image.sh)
  export NERVE_TEST_PG_IMAGE NERVE_TEST_RUN="$RUN_ID" NERVE_TEST_OWNER=$$
  CONTAINER_LOG=$(mktemp /tmp/nerve-containers.XXXXXX)
  export NERVE_TEST_CONTAINER_LOG="$CONTAINER_LOG"
  CLEANUP+=(remove_run_containers)
  log "PostgreSQL: testcontainers, image $NERVE_TEST_PG_IMAGE (run $RUN_ID)"
}

# What starting containers cost this run, from the harness's log of each start.
report_containers() {
  [ -n "${CONTAINER_LOG:-}" ] && [ -s "$CONTAINER_LOG" ] || return 0
  awk '{ n++; t += $2; if ($2 > m) m = $2 } END {
    printf "test.sh: containers started: %d, %.1f s in all (slowest %.1f s)\n", n, t, m }' \
    "$CONTAINER_LOG" >&2
}

# The host path: a server, pgbouncer and a replica as processes of this machine.
with_host_server() {
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
  pg_user=$(psql -X "$NERVE_TEST_PG_URL" -qtAc 'SELECT current_user')
  pg_addr=$(psql -X "$NERVE_TEST_PG_URL" -qtAc "SELECT coalesce(host(inet_server_addr()), '127.0.0.1')")
  pg_port=$(psql -X "$NERVE_TEST_PG_URL" -qtAc 'SELECT inet_server_port()')
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
  CLEANUP+=(stop_pgbouncer)
  if [ "$(id -un)" != postgres ]; then as_root chown -R postgres "$PGB_DIR"; fi
  as_postgres "$PGBOUNCER" -d "$PGB_DIR/pgbouncer.ini"
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

  # A streaming read replica of the server, for the replica tests: `pg_basebackup -R` (with a
  # replication slot, dropped afterwards, so the primary keeps the WAL the replica needs) into a
  # directory owned by postgres, started as postgres on 127.0.0.1:5433 (NERVE_TEST_PG_REPLICA_PORT
  # moves it) with the server's own binaries. The server must accept replication connections
  # from the URL's user on loopback: a local Debian cluster is given a trust rule for them. A
  # replica already running can be named instead with NERVE_TEST_PG_REPLICA_URL.
  REPLICA_PORT=${NERVE_TEST_PG_REPLICA_PORT:-5433}
  REPLICA_SLOT=nerve_test_replica
  if [ -n "${NERVE_TEST_PG_REPLICA_URL:-}" ]; then
    log "read replica for the tests (given): $NERVE_TEST_PG_REPLICA_URL"
  else
    pg_major=$(( $(psql -X "$NERVE_TEST_PG_URL" -qtAc 'SHOW server_version_num') / 10000 ))
    PG_BIN=/usr/lib/postgresql/$pg_major/bin
    if [ ! -x "$PG_BIN/postgres" ] || [ ! -x "$PG_BIN/pg_basebackup" ]; then
      log "installing postgresql-$pg_major (the replica runs the server's own version)"
      apt_install "postgresql-$pg_major"
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$REPLICA_PORT") 2>/dev/null; then
      log "port $REPLICA_PORT is taken (a replica left running?): stop it or set NERVE_TEST_PG_REPLICA_PORT"
      exit 1
    fi
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
      [ -f "$hba" ] || continue
      if ! as_root grep -q '^host replication all 127.0.0.1/32 trust' "$hba"; then
        as_root sed -i '1i host replication all 127.0.0.1/32 trust' "$hba"
        log "added a loopback replication trust rule to $hba"
        as_root pg_ctlcluster --skip-systemctl-redirect "$(basename "$(dirname "$(dirname "$hba")")")" main reload || true
      fi
    done
    # A slot left by an interrupted run would keep WAL forever: drop it first.
    psql -X "$NERVE_TEST_PG_URL" -qtAc "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$REPLICA_SLOT' AND NOT active" >/dev/null
    REPLICA_DIR=$(mktemp -d /tmp/nerve-replica.XXXXXX)
    stop_replica() {
      as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
      as_postgres rm -rf "$REPLICA_DIR" || true
      # The primary's WAL sender may take a moment to notice: a slot left behind would keep WAL
      # (and, with hot_standby_feedback, dead rows) forever, so wait for it to go, or say so.
      local left=1
      for _ in $(seq 1 50); do
        left=$(psql -X "$NERVE_TEST_PG_URL" -qtAc "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$REPLICA_SLOT'" 2>/dev/null || echo 1)
        [ "$left" = 0 ] && break
        psql -X "$NERVE_TEST_PG_URL" -qtAc "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$REPLICA_SLOT' AND NOT active" >/dev/null 2>&1 || true
        sleep 0.2
      done
      [ "$left" = 0 ] || log "WARNING: replication slot $REPLICA_SLOT is still there: drop it with SELECT pg_drop_replication_slot('$REPLICA_SLOT')"
    }
    CLEANUP+=(stop_replica)
    if [ "$(id -un)" != postgres ]; then
      as_root chown postgres "$REPLICA_DIR"
    fi
    chmod 700 "$REPLICA_DIR" 2>/dev/null || as_root chmod 700 "$REPLICA_DIR"
    log "making a streaming replica in $REPLICA_DIR (pg_basebackup -R)"
    as_postgres "$PG_BIN/pg_basebackup" -d "$NERVE_TEST_PG_URL" -D "$REPLICA_DIR/data" -R -X stream \
      -C -S "$REPLICA_SLOT" -c fast
    # The server's settings a hot standby must at least match, and a configuration of its own
    # (Debian keeps a cluster's configuration outside its data directory).
    settings=$(psql -X "$NERVE_TEST_PG_URL" -qtA -F ' = ' -c "SELECT name, setting FROM pg_settings WHERE name IN ('max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction')")
    printf '%s\n' "$settings" \
      "port = $REPLICA_PORT" \
      "listen_addresses = '127.0.0.1'" \
      "unix_socket_directories = '$REPLICA_DIR'" \
      'hot_standby = on' \
      'hot_standby_feedback = on' \
      'fsync = off' \
      | as_postgres tee "$REPLICA_DIR/data/postgresql.conf" >/dev/null
    printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' \
      | as_postgres tee "$REPLICA_DIR/data/pg_hba.conf" >/dev/null
    as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA_DIR/data" -l "$REPLICA_DIR/replica.log" -w -t 60 start >/dev/null || {
      log "the replica did not start (log: $REPLICA_DIR/replica.log)"; as_root cat "$REPLICA_DIR/replica.log" >&2 || true; exit 1; }
    export NERVE_TEST_PG_REPLICA_URL="postgres://$pg_user@127.0.0.1:$REPLICA_PORT/postgres"
    psql -X "$NERVE_TEST_PG_REPLICA_URL" -qtAc 'SELECT pg_is_in_recovery()' | grep -qx t || {
      log "the server on port $REPLICA_PORT is not a standby"; exit 1; }
    log "read replica for the tests: $NERVE_TEST_PG_REPLICA_URL (streaming from $pg_addr:${pg_port:-5432})"
  fi

  # The crash test (tests/tests/pg_crash.rs) kills a server of its own: a private cluster it
  # makes with this machine's server programs (Debian's postgresql, installed when missing).
  if [ -z "${NERVE_TEST_PG_BIN:-}" ]; then
    # The newest version installed.
    find_pg_bin() {
      local bin
      for bin in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
        if [ -x "$bin/initdb" ] && [ -x "$bin/postgres" ]; then NERVE_TEST_PG_BIN=$bin; fi
      done
      return 0
    }
    find_pg_bin
    if [ -z "${NERVE_TEST_PG_BIN:-}" ]; then
      log "installing postgresql (the crash test runs a private cluster)"
      apt_install postgresql
      find_pg_bin
    fi
    [ -n "${NERVE_TEST_PG_BIN:-}" ] || { log "no initdb and postgres found for the crash test"; exit 1; }
    export NERVE_TEST_PG_BIN
  fi
  log "crash test: a private cluster of $NERVE_TEST_PG_BIN"
}

if [ -z "${NERVE_TEST_PG_URL:-}" ] && docker_answers; then
  with_containers
  POOLER_ENV=(NERVE_TEST_PG_POOLER=1)
elif [ "${CI:-}" = true ] && [ -z "${NERVE_TEST_PG_URL:-}" ]; then
  log "CI needs the testcontainers path, but no Docker engine answers (docker info failed)"
  exit 1
else
  with_host_server
  POOLER_ENV=(NERVE_TEST_PG_POOLER_URL="$POOLER_URL")
fi

# Every crate's tests, both drivers compiled in (stores connecting directly).
env -u NERVE_TEST_PG_POOLER_URL cargo test --workspace
# The PostgreSQL conformance cases again, every store connecting through pgbouncer with the
# prepared-statement cache off (test databases are still made and migrated directly).
env "${POOLER_ENV[@]}" cargo test -p nerve-conformance --test conformance -- postgres
# The facade with one driver at a time: a URL for the missing driver names its Cargo feature.
cargo test -p nerve --no-default-features --features sqlite
cargo test -p nerve --no-default-features --features postgres
# The example service built as a PostgreSQL-only backend (its Cargo features choose the driver):
# a SQLite URL is refused at start, naming the feature that is missing.
refused=$(DATABASE_URL=sqlite::memory: NERVE_API_ADDR=127.0.0.1:0 \
  timeout 900 cargo run -q -p nerve-api --no-default-features --features postgres 2>&1 </dev/null) && {
  log "nerve-api built for postgres only accepted a SQLite URL"
  exit 1
}
case "$refused" in
  *"nerve-api: error: "*"feature"*"sqlite"*) log "nerve-api (postgres only): $refused" ;;
  *) log "nerve-api (postgres only) failed otherwise: $refused"; exit 1 ;;
esac
# The README's first command needs no system libpq: the nerve command built and run in a
# container of a minimal Debian holding no libpq, OpenSSL or SQLite (scripts/build-without-libpq.sh).
bash scripts/build-without-libpq.sh
report_containers
