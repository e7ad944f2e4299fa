# shellcheck shell=bash
# Sourced first by the cluster's scripts, before cluster-lib.sh (which reads BIN and CLUSTER_DIR
# as it is sourced).

# server_bin PATH USAGE: sets BIN to PATH made absolute (the processes start from other folders);
# exits 2 with USAGE when PATH is missing, or when it is not an executable.
server_bin() {
  [ -n "$1" ] || { echo "usage: $2" >&2; exit 2; }
  [ -x "$1" ] || { echo "$1 is not an executable" >&2; exit 2; }
  BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
}

# run_dir NAME: a test's run folder. CLUSTER_DIR when set; otherwise a new
# /tmp/tickercast-NAME.XXXXXX, marked as the test's own (own_dir=1) so a passing run removes it.
run_dir() {
  own_dir=
  if [ -z "${CLUSTER_DIR:-}" ]; then
    CLUSTER_DIR=$(mktemp -d "/tmp/tickercast-$1.XXXXXX")
    own_dir=1
  fi
}
