#!/usr/bin/env bash
# Shows that the README's first command needs no system libpq (nor OpenSSL, SQLite or
# pkg-config): builds the `nerve` command in a container of a minimal Debian root filesystem
# that holds only gcc, libc6-dev, make and perl — the C toolchain and what OpenSSL's sources
# need to build — with the host's Rust toolchain mounted read-only and no network, then runs
# it and checks what it links.
#
# The image (nerve-build-minimal:<hash of this recipe>) is made once per machine with
# mmdebstrap and `docker import`, as scripts/pg-image.sh makes the test server's; the crates
# are fetched on the host into a CARGO_HOME of the build directory first (the container has no
# network). The build directory is target/without-libpq (kept: later runs are incremental).
# scripts/test.sh runs this; it prints the build's time and fails on any check.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK="$ROOT/target/without-libpq"
SUITE=bookworm
PACKAGES=gcc,libc6-dev,make,perl

log() { printf 'build-without-libpq.sh: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

hash=$(printf '%s minbase %s\n' "$SUITE" "$PACKAGES" | sha256sum | cut -c1-12)
IMAGE="nerve-build-minimal:$hash"
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "image $IMAGE: reused"
else
  if ! command -v mmdebstrap >/dev/null 2>&1; then
    log "installing mmdebstrap"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
  fi
  log "building $IMAGE: Debian $SUITE minbase + $PACKAGES"
  as_root mmdebstrap --quiet --variant=minbase --include="$PACKAGES" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' "$SUITE" - \
    | docker import --change 'ENV LANG=C.UTF-8' - "$IMAGE" >/dev/null
fi

# Every crate the build needs, on the host (the container has no network): a CARGO_HOME of
# its own, seeded from the host's registry cache.
mkdir -p "$WORK/cargo-home" "$WORK/target"
host_home=${CARGO_HOME:-$HOME/.cargo}
if [ ! -d "$WORK/cargo-home/registry" ] && [ -d "$host_home/registry" ]; then
  cp -a "$host_home/registry" "$WORK/cargo-home/"
fi
(cd "$ROOT" && CARGO_HOME="$WORK/cargo-home" cargo fetch --locked --quiet)
SYSROOT=$(cd "$ROOT" && rustc --print sysroot)

docker run --rm --network none \
  -v "$SYSROOT":/opt/rust:ro \
  -v "$ROOT":/src:ro \
  -v "$WORK/cargo-home":/cargo-home \
  -v "$WORK/target":/target \
  -w /src \
  -e PATH=/opt/rust/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  -e CARGO_HOME=/cargo-home -e CARGO_TARGET_DIR=/target \
  -e CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" -e CARGO_TERM_COLOR=never \
  "$IMAGE" bash -euo pipefail -c '
    say() { printf "build-without-libpq.sh: [container] %s\n" "$*" >&2; }
    fail() { say "FAILED: $*"; exit 1; }
    for pkg in libpq-dev libpq5 libssl-dev libsqlite3-dev pkg-config; do
      if dpkg-query -W -f="\${Status}" "$pkg" 2>/dev/null | grep -q "ok installed"; then
        fail "$pkg is installed in the image"
      fi
    done
    [ ! -e /usr/include/postgresql ] && [ ! -e /usr/include/openssl ] || fail "libpq or OpenSSL headers present"
    say "no libpq, OpenSSL, SQLite or pkg-config in the image; cargo build -p nerve-cli:"
    start=$(date +%s)
    cargo build --offline --locked -q -p nerve-cli
    say "built in $(( $(date +%s) - start )) s"
    nerve=/target/debug/nerve
    "$nerve" --version
    "$nerve" --database-url sqlite:///tmp/demo.db demo >/tmp/demo.out || { cat /tmp/demo.out; fail "nerve demo"; }
    say "nerve demo: $(head -n 1 /tmp/demo.out)"
    ldd "$nerve" >/tmp/nerve.ldd
    if grep -Eq "libpq|libssl|libcrypto" /tmp/nerve.ldd; then cat /tmp/nerve.ldd; fail "nerve links a shared libpq or OpenSSL"; fi
    # libpq with its OpenSSL transport, and OpenSSL itself, are linked in (nm to a file:
    # grep -q would close the pipe early under pipefail).
    nm "$nerve" >/tmp/nerve.syms
    grep -q " T pgtls_open_client$" /tmp/nerve.syms || fail "libpq was built without OpenSSL"
    grep -q " T SSL_CTX_new$" /tmp/nerve.syms || fail "OpenSSL is not linked in"
    say "ldd: no libpq.so, libssl.so or libcrypto.so; libpq (with TLS) and OpenSSL linked in"
  '
log "ok: the nerve command builds and runs without a system libpq (image $IMAGE)"
