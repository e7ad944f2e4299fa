#!/usr/bin/env bash
# A production-shaped cluster on this machine, loopback only: a private Postgres and Redis, two web
# instances of the server binary (APP_WORKERS=0), one `server worker` (or CLUSTER_WORKERS of them),
# and HAProxy in front with active checks of /api/status. Secrets (the Postgres and Redis
# passwords, JWT_SECRET, METRICS_TOKEN) are generated into the run folder on first start. `start`
# is idempotent (it starts only what is not running); `stop` ends every process it started, by pid
# file, and keeps the data (delete the run folder to start afresh).
#
# usage: cluster.sh start|stop|status SERVER_BIN
#   CLUSTER_DIR   run folder (default: .data/cluster in the checkout)
#   CLUSTER_PORT  the balancer's port (default 3100); web1 +1, web2 +2, Postgres +3, Redis +4,
#                 HAProxy's stats page +5
#   CLUSTER_WORKERS  `server worker` processes (default 1; 2: worker and worker2, ...)
#   any other variable (APP_*, API_LIMIT_*, RUST_LOG, ...) reaches the server processes
set -euo pipefail

cmd=${1:-}
BIN=${2:-}
case $cmd in
  start | stop | status) ;;
  *) echo "usage: cluster.sh start|stop|status SERVER_BIN" >&2; exit 2 ;;
esac
if [ "$cmd" = start ]; then
  # shellcheck source=preamble.sh
  . "$(dirname "$0")/preamble.sh"
  server_bin "$BIN" "cluster.sh start SERVER_BIN"
fi

# shellcheck source=cluster-lib.sh
. "$(dirname "$0")/cluster-lib.sh"

case $cmd in
  start)
    cluster_start
    cluster_status
    echo "Tickercast: http://127.0.0.1:$lb_port   (HAProxy stats: http://127.0.0.1:$stats_port/, logs: $run/logs/)"
    ;;
  stop)
    [ -d "$run/pids" ] || { echo "cluster: nothing started in $run"; exit 0; }
    cluster_stop
    echo "cluster: stopped (data kept in $run)"
    ;;
  status)
    [ -d "$run/pids" ] || { echo "cluster: nothing started in $run"; exit 3; }
    if cluster_status; then
      echo "Tickercast: http://127.0.0.1:$lb_port"
    else
      exit 3
    fi
    ;;
esac
