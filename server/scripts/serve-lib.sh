# Sourced by api-fuzz.sh and load-test.sh: the real server binary on the embedded default (its own
# Postgres and Redis in a temporary folder, loopback only), and an account with an API key made the
# way a developer makes one. Sets `dir` (the folder), `base` (the URL) and `pid`.

# free_port: prints a loopback port nothing listens on.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server BIN [VAR=VALUE ...]: starts BIN with the extra environment; stops it and removes
# its folder when the script exits.
start_server() {
  local bin=$1 port
  shift
  dir=$(mktemp -d)
  port=$(free_port)
  base="http://127.0.0.1:$port"
  trap stop_server EXIT
  env APP_ADDR="127.0.0.1:$port" APP_DATA_DIR="$dir" APP_WORKERS=0 RUST_LOG=warn "$@" \
    "$bin" >"$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 180); do
    curl -sf "$base/api/status" >/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    sleep 1
  done
  echo "the server did not answer within 180 s" >&2
  exit 1
}

stop_server() {
  [ -n "${pid:-}" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
  rm -rf "$dir"
}

# form ENDPOINT FIELD=VALUE ...: posts a browser form to a server function with the session's
# cookies (kept in $dir/cookies) and the site's own Origin.
form() {
  local endpoint=$1 args=()
  shift
  for field in "$@"; do args+=(--data-urlencode "$field"); done
  curl -sf -o /dev/null -c "$dir/cookies" -b "$dir/cookies" -H "Origin: $base" "${args[@]}" \
    "$base/api/$endpoint"
}

# new_key NAME: prints a new API key of the account the session is logged in as.
new_key() {
  curl -sf -b "$dir/cookies" -H "Origin: $base" -H 'content-type: application/json' \
    -d "{\"name\":\"$1\"}" "$base/api/v1/keys" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])'
}
