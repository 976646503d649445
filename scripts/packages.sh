# Sourced by the benchmark and profiling scripts.
#
# install_packages PKG... installs the given Debian packages (apt-get update first), as root or
# through sudo; does nothing without arguments. Logs through the caller's log().
install_packages() {
  [ $# -gt 0 ] || return 0
  local run=()
  [ "$(id -u)" -eq 0 ] || run=(sudo)
  log "installing $*"
  "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
