#!/usr/bin/env bash
# Builds the PostgreSQL 15 image the test suite runs through testcontainers, without any image
# registry: a root filesystem of Debian's own packages (postgresql-15, pgbouncer) made by
# mmdebstrap from the machine's apt sources, with docker/postgres/entrypoint.sh as entrypoint,
# brought in with `docker import`. The tag is nerve-postgres:15-<hash of this recipe>: built
# once per machine and reused while the recipe is unchanged (older tags of it are removed).
#
# Prints the tag on stdout; progress and the build's duration on stderr.
# Needs: a Docker engine, root (or sudo) for mmdebstrap and apt, Debian's package archive.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'pg-image.sh: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

SUITE=bookworm
PACKAGES=postgresql-15,pgbouncer
recipe_hash=$( { cat scripts/pg-image.sh docker/postgres/entrypoint.sh; echo "$SUITE $PACKAGES"; } \
  | sha256sum | cut -c1-12)
TAG="nerve-postgres:15-$recipe_hash"

if docker image inspect "$TAG" >/dev/null 2>&1; then
  log "image $TAG is built already: reused"
  echo "$TAG"
  exit 0
fi

if ! command -v mmdebstrap >/dev/null 2>&1; then
  log "installing mmdebstrap"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
fi

log "building $TAG from Debian's $SUITE packages ($PACKAGES)"
start=$(date +%s)
# The package's own cluster (made by its postinst) is removed: the entrypoint makes one on first
# start. Documentation, manual pages and translations are left out of the image.
as_root mmdebstrap --quiet --variant=minbase --include="$PACKAGES" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook='rm -rf "$1/var/lib/postgresql/15/main" "$1/etc/postgresql/15/main"' \
  --customize-hook='install -m 0755 docker/postgres/entrypoint.sh "$1/usr/local/bin/nerve-postgres-entrypoint"' \
  --customize-hook='chroot "$1" install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data' \
  "$SUITE" - \
  | docker import \
      --change 'USER postgres' \
      --change 'ENV PGDATA=/var/lib/postgresql/data' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'EXPOSE 5432' \
      --change 'ENTRYPOINT ["/usr/local/bin/nerve-postgres-entrypoint"]' \
      --change "LABEL nerve.recipe=$recipe_hash" \
      - "$TAG" >/dev/null
log "built $TAG in $(( $(date +%s) - start )) s"

# Older builds of this recipe are of no further use.
for old in $(docker images --format '{{.Repository}}:{{.Tag}}' nerve-postgres); do
  if [ "$old" != "$TAG" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
done
echo "$TAG"
