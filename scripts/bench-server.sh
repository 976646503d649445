# Sourced by the benchmark scripts: the PostgreSQL server they measure against.
#
# bench_server NAME [POSTGRES ARGS...] sets ADMIN_URL to NERVE_BENCH_PG_URL when it is set, else
# starts a container of the test image (scripts/pg-image.sh) named NAME-<pid> on a loopback
# port, with the given server arguments (e.g. -c fsync=off), and waits until it answers; the
# container is removed by bench_server_stop (put it in the caller's EXIT trap). Fails, naming
# the URL, when no server answers. Needs log() and psql.
BENCH_CONTAINER=
bench_server() {
  local name=$1
  shift
  if [ -n "${NERVE_BENCH_PG_URL:-}" ]; then
    ADMIN_URL=$NERVE_BENCH_PG_URL
  else
    local image port
    image=$(scripts/pg-image.sh)
    BENCH_CONTAINER="$name-$$"
    docker run -d --name "$BENCH_CONTAINER" --label nerve.test.run=bench \
      --label "nerve.test.owner=$$" -p 127.0.0.1::5432 "$image" "$@" >/dev/null
    port=$(docker port "$BENCH_CONTAINER" 5432/tcp | head -1 | cut -d: -f2)
    ADMIN_URL="postgres://postgres@127.0.0.1:$port/postgres"
    for _ in $(seq 1 100); do
      psql "$ADMIN_URL" -qAtc 'SELECT 1' >/dev/null 2>&1 && break
      sleep 0.2
    done
    log "PostgreSQL: container $BENCH_CONTAINER of $image on 127.0.0.1:$port"
  fi
  psql "$ADMIN_URL" -qAtc 'SELECT 1' >/dev/null || { log "no PostgreSQL at $ADMIN_URL"; exit 1; }
}

bench_server_stop() {
  if [ -n "$BENCH_CONTAINER" ]; then
    docker rm -f "$BENCH_CONTAINER" >/dev/null 2>&1 || true
  fi
}
