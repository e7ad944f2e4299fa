#!/usr/bin/env bash
# Checks (or with `prepare`, rewrites) the committed query metadata in `.sqlx/` against the SQL in
# the code: a throwaway Postgres on a free loopback port, migrated by the server binary (the app's
# migrations and the job queue's), then `sqlx prepare --workspace [--check]`. Builds never need a
# database: they read `.sqlx/` (SQLX_OFFLINE=true in .cargo/config.toml).
#
# sqlx compiles the crates with `cargo check`. Here that compile is the test build instead (CARGO
# points sqlx at a shim that runs `cargo test --no-run` for `check`), with the flags `make test`
# builds its tests with, so the tests then run on what this compiled, and the dependencies are not
# compiled a second time in check mode. sqlx touches the sources of the crates that use it to make
# their macros run again; their times are put back afterwards, so the other builds (the server,
# the bundle) do not see a change. A check is skipped when nothing it reads has changed since it
# last passed.
#
# usage: sqlx-check.sh SERVER_BIN [check|prepare]
set -euo pipefail

server_bin=${1:?usage: sqlx-check.sh SERVER_BIN [check|prepare]}
mode=${2:-check}
script=$(realpath "$0")
root=$(cd "$(dirname "$script")/../.." && pwd)
cd "$root"
target_dir=${CARGO_TARGET_DIR:-$root/target}
# What the query metadata depends on: the SQL in the code, the schema, the metadata itself, the
# versions of sqlx and of the job queue, and this script.
inputs_digest() {
  git ls-files -co --exclude-standard server app migrations .sqlx Cargo.lock |
    sort | xargs sha256sum | cat - "$script" | sha256sum | cut -c1-64
}
stamp=$target_dir/sqlx-check.passed
digest=$(inputs_digest)
if [ "$mode" = check ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
  echo "sqlx-check: the queries, the schema and .sqlx are as they were when the check last passed"
  exit 0
fi
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

cat >"$dir/cargo" <<'SH'
#!/bin/sh
if [ "$1" = check ]; then shift; exec cargo test --no-run "$@"; fi
exec cargo "$@"
SH
chmod +x "$dir/cargo"
# sqlx touches the root file of every target of each workspace crate that depends on it, directly
# or not (the bundle's crate through app).
touched=$(git ls-files -co --exclude-standard '*.rs')
times="$dir/times"
# shellcheck disable=SC2086
stat -c '%n %y' $touched >"$times"
put_back_times() {
  while read -r file when; do touch -m -d "$when" "$file"; done <"$times"
}
case "$mode" in
  check) check_flag=--check ;;
  prepare) check_flag= ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
status=0
# shellcheck disable=SC2086
CARGO="$dir/cargo" sqlx prepare --workspace $check_flag -- --workspace --exclude frontend --all-targets ||
  status=$?
put_back_times
[ "$status" = 0 ] || exit "$status"
[ "$mode" = check ] && echo "$digest" >"$stamp"
exit 0
