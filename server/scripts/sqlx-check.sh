#!/usr/bin/env bash
# Checks (or with `prepare`, rewrites) the committed query metadata in `.sqlx/` against the SQL in
# the code: a throwaway Postgres on a free loopback port, migrated by the server binary (the app's
# migrations and the job queue's), then `cargo sqlx prepare --workspace [--check]`. Builds never
# need a database: they read `.sqlx/` (SQLX_OFFLINE=true in .cargo/config.toml).
#
# usage: sqlx-check.sh SERVER_BIN [check|prepare]
set -euo pipefail

server_bin=${1:?usage: sqlx-check.sh SERVER_BIN [check|prepare]}
mode=${2:-check}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# initdb refuses to run as root: the cluster belongs to the postgres user then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$dir"
stop() {
  as_pg "$pg_bin/pg_ctl -D $dir/data -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

as_pg "$pg_bin/initdb -D $dir/data -U postgres --auth=trust" >/dev/null
as_pg "$pg_bin/pg_ctl -D $dir/data -l $dir/log -w -o '-h 127.0.0.1 -p $port -k $dir' start" >/dev/null
as_pg "$pg_bin/createdb -h 127.0.0.1 -p $port -U postgres tickercast"
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/tickercast"
RUST_LOG=warn "$server_bin" migrate
case "$mode" in
  check) cargo sqlx prepare --workspace --check ;;
  prepare) cargo sqlx prepare --workspace ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
