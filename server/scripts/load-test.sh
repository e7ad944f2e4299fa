#!/usr/bin/env bash
# Requests per second of a cached route, anonymous beside keyed (an API key, and the access token
# it exchanges for), in one run of the release build on the embedded default. Every request goes
# through the whole access layer: the caller is resolved and counted against its limit in Redis.
# The limits are raised so that every request is answered rather than refused.
#
# usage: load-test.sh SERVER_BIN [ROUTE]     (wrk on PATH; loopback only, bounded in time)
set -euo pipefail

server_bin=${1:?usage: load-test.sh SERVER_BIN [ROUTE]}
route=${2:-/api/v1/predictions/GOOG}
duration=${LOAD_DURATION:-15s}
conns=${LOAD_CONNS:-32}

# shellcheck source=serve-lib.sh
. "$(dirname "$0")/serve-lib.sh"
start_server "$server_bin" \
  API_LIMIT_ANONYMOUS=100000000/min,1000000000/day API_LIMIT_FREE=100000000/min,1000000000/day

# An account made an administrator the way an operator makes the first one (so that the warm-up
# may precompute), with a key of the free tier (its limit raised above).
password="load-$(date +%s)-Passw0rd"
form register username=loader "password=$password" "password_confirm=$password"
APP_DATA_DIR="$dir" RUST_LOG=warn "$server_bin" admin grant loader >/dev/null
# The session still holds the old standing: log in again for the new one.
form login username=loader "password=$password"
key=$(new_key load)
token=$(curl -sf -X POST -H "X-API-Key: $key" "$base/api/v1/auth/token" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

echo "warm-up (computes, records and caches the predictions):"
curl -sf -o /dev/null -w "  precompute: %{http_code} in %{time_total}s\n" -X POST \
  -H "X-API-Key: $key" -H 'content-type: application/json' -d '{"symbols":["GOOG"]}' \
  "$base/api/v1/admin/precompute"
curl -sf -o /dev/null -w "  $route: %{http_code}, %{size_download} bytes\n" "$base$route"

run() {
  local name=$1 label=$2
  shift 2
  wrk -t2 -c"$conns" -d"$duration" --latency "$@" "$base$route" >"$dir/$name.txt"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$dir/$name.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$dir/$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$dir/$name.txt")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$dir/$name.txt")
  echo "$rps" >"$dir/$name.rps"
  printf '%-10s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$label" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

echo "GET $route: wrk -t2 -c$conns -d$duration, one after the other, on the server's cores:"
run anonymous anonymous
run key "API key" -H "X-API-Key: $key"
run jwt JWT -H "Authorization: Bearer $token"
python3 - "$dir" <<'EOF'
import pathlib, sys
d = pathlib.Path(sys.argv[1])
rps = {n: float((d / f"{n}.rps").read_text()) for n in ("anonymous", "key", "jwt")}
print(f"keyed / anonymous: {rps['key'] / rps['anonymous']:.2f}   "
      f"JWT / anonymous: {rps['jwt'] / rps['anonymous']:.2f}")
EOF
