#!/bin/sh
# Entrypoint of the test image nerve-postgres:15-<recipe hash> (built by scripts/pg-image.sh).
# Runs as user postgres. On first start it makes the cluster in $PGDATA:
#   - by default a new one (initdb: UTF8, C collation as SQLite compares text, trust
#     authentication from any address, streaming replication allowed);
#   - with NERVE_PG_PRIMARY=HOST, a streaming replica of that server (pg_basebackup -R),
#     reached by name on a private Docker network.
# With NERVE_PGBOUNCER_PORT=PORT it also starts pgbouncer (transaction pooling) on that port in
# front of the server. Then it runs the server in the foreground; arguments are passed to
# `postgres` (for example `-c fsync=off`).
set -eu
BIN=/usr/lib/postgresql/15/bin
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "${NERVE_PG_PRIMARY:-}" ]; then
    # The primary may still be starting: wait until it answers (bounded: 60 s).
    tries=0
    until "$BIN/pg_isready" -q -h "$NERVE_PG_PRIMARY" -p 5432; do
      tries=$((tries + 1))
      if [ "$tries" -gt 300 ]; then
        echo "nerve-postgres: primary $NERVE_PG_PRIMARY did not answer" >&2
        exit 1
      fi
      sleep 0.2
    done
    "$BIN/pg_basebackup" -h "$NERVE_PG_PRIMARY" -p 5432 -U postgres -D "$PGDATA" \
      -R -X stream -c fast
    printf '%s\n' "hot_standby = on" "hot_standby_feedback = on" >> "$PGDATA/postgresql.auto.conf"
  else
    "$BIN/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C \
      >/dev/null
    printf '%s\n' \
      "host all all 0.0.0.0/0 trust" \
      "host all all ::/0 trust" \
      "host replication all 0.0.0.0/0 trust" \
      "host replication all ::/0 trust" >> "$PGDATA/pg_hba.conf"
    printf '%s\n' \
      "listen_addresses = '*'" \
      "unix_socket_directories = '/tmp'" \
      "max_connections = 300" \
      "wal_level = replica" \
      "max_wal_senders = 8" \
      "timezone = 'UTC'" >> "$PGDATA/postgresql.conf"
  fi
fi

if [ -n "${NERVE_PGBOUNCER_PORT:-}" ]; then
  dir=$(mktemp -d /tmp/pgbouncer.XXXXXX)
  printf '%s\n' \
    '[databases]' \
    '* = host=127.0.0.1 port=5432' \
    '[pgbouncer]' \
    'listen_addr = *' \
    "listen_port = $NERVE_PGBOUNCER_PORT" \
    'unix_socket_dir =' \
    'auth_type = trust' \
    "auth_file = $dir/userlist.txt" \
    'pool_mode = transaction' \
    'max_client_conn = 1000' \
    'default_pool_size = 40' \
    'max_db_connections = 60' \
    'ignore_startup_parameters = extra_float_digits,options' \
    "logfile = $dir/pgbouncer.log" \
    "pidfile = $dir/pgbouncer.pid" > "$dir/pgbouncer.ini"
  printf '"postgres" ""\n' > "$dir/userlist.txt"
  /usr/sbin/pgbouncer -d "$dir/pgbouncer.ini"
fi

exec "$BIN/postgres" -D "$PGDATA" "$@"
