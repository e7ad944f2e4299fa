#!/usr/bin/env bash
# The API's serving path beside the seeds' (FastAPI + Redis: `app.py` in PEER_DIR, run the way its
# `run.sh` runs it, on free ports), side by side in one run on this machine: the same cached prediction payload
# from each, and this server's cheapest route (a JSON 404 under /api/v1) as its own ceiling.
# Release build, the embedded default, anonymous callers, wrk on the same cores, loopback only,
# bounded in time. Prints one table with the ratios, the p99s and the server's memory.
#
# usage: bench-api.sh SERVER_BIN PEER_DIR      (wrk on PATH)
set -euo pipefail

server_bin=${1:?usage: bench-api.sh SERVER_BIN PEER_DIR}
peer_dir=${2:?usage: bench-api.sh SERVER_BIN PEER_DIR}
duration=${BENCH_DURATION:-15s}
conns=${BENCH_CONNS:-64}
route=/api/v1/predictions/GOOG

# shellcheck source=serve-lib.sh
. "$(dirname "$0")/serve-lib.sh"
# One worker in the process trains the models (a short walk-forward protocol: this measures
# serving, not training); limits far above what the run sends.
start_server "$server_bin" APP_WORKERS=1 APP_EVAL_ORIGINS=20 APP_EVAL_REFIT_EVERY=20 \
  API_LIMIT_ANONYMOUS=100000000/min,1000000000/day API_LIMIT_FREE=100000000/min,1000000000/day

password="bench-$(date +%s)-Passw0rd"
form register username=bencher "password=$password" "password_confirm=$password"
key=$(new_key bench)

echo "training every model of GOOG (a keyed request queues it):"
job=$(curl -sf -H "X-API-Key: $key" "$base$route" |
  python3 -c 'import json, sys; print(json.load(sys.stdin).get("job_id") or "")')
if [ -n "$job" ]; then
  for _ in $(seq 600); do
    state=$(curl -sf -H "X-API-Key: $key" "$base/api/v1/jobs/$job" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')
    [ "$state" = done ] && break
    [ "$state" = failed ] && { echo "training failed" >&2; exit 1; }
    sleep 1
  done
fi
payload="$dir/payload.json"
code=$(curl -s -o "$payload" -w '%{http_code}' "$base$route")
[ "$code" = 200 ] || { echo "GET $route answered $code after training" >&2; exit 1; }
echo "  $route: $(wc -c <"$payload") bytes, every model ready"

echo "the peer (FastAPI + uvicorn, 2 workers, uvloop, httptools; its own Redis), serving the same bytes:"
venv=${PEER_VENV:-$HOME/.cache/peer-api-venv}
[ -x "$venv/bin/uvicorn" ] ||
  { python3 -m venv "$venv" && "$venv/bin/pip" -q install fastapi uvicorn redis uvloop httptools; }
peer_redis_port=$(free_port)
peer_port=$(free_port)
redis-server --port "$peer_redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$dir/peer-redis.log" 2>&1 &
peer_redis_pid=$!
(cd "$peer_dir" && exec env REDIS_URL="redis://127.0.0.1:$peer_redis_port/0" "$venv/bin/uvicorn" app:app \
  --host 127.0.0.1 --port "$peer_port" --workers 2 --log-level warning >"$dir/peer.log" 2>&1) &
uvicorn_pid=$!
stop_all() {
  kill "$uvicorn_pid" "$peer_redis_pid" 2>/dev/null || true
  wait "$uvicorn_pid" "$peer_redis_pid" 2>/dev/null || true
  stop_server
}
trap stop_all EXIT
for _ in $(seq 50); do redis-cli -p "$peer_redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
# The peer reads Stock Hub's key, `pred:simple:{MODEL_VERSION}:{SYMBOL}`.
redis-cli -p "$peer_redis_port" -x set pred:simple:v1:GOOG <"$payload" >/dev/null
peer="http://127.0.0.1:$peer_port"
for _ in $(seq 100); do curl -sf -o /dev/null "$peer$route" && break; sleep 0.2; done
peer_bytes=$(curl -sf "$peer$route" | wc -c)
[ "$peer_bytes" = "$(wc -c <"$payload")" ] || { echo "the peer sends $peer_bytes bytes" >&2; exit 1; }
echo "  $peer$route: $peer_bytes bytes"

run() {
  local name=$1 url=$2
  wrk -t2 -c"$conns" -d"$duration" --latency "$url" >"$dir/$name.txt"
}
echo "wrk -t2 -c$conns -d$duration against each in turn:"
run peer "$peer$route"
run ours "$base$route"
run cheapest "$base/api/v1/no-such-route"
rss_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
python3 - "$dir" "$rss_kib" <<'PY'
import pathlib, re, sys
d, hwm = pathlib.Path(sys.argv[1]), int(sys.argv[2])
def parse(name):
    t = (d / f"{name}.txt").read_text()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    def ms(p):
        v = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)$", t, re.M)
        n, unit = float(v.group(1)), v.group(2)
        return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    return rps, ms(50), ms(99), int(errors.group(1)) if errors else 0
rows = {n: parse(n) for n in ("peer", "ours", "cheapest")}
names = {"peer": "peer: FastAPI + Redis, cached prediction",
         "ours": "Tickercast: cached prediction",
         "cheapest": "Tickercast: JSON 404 (cheapest route)"}
print(f"{'':44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
for n, (rps, p50, p99, bad) in rows.items():
    print(f"{names[n]:44} {rps:9.0f} {p50:8.2f} {p99:8.2f} {bad:8d}")
ours, peer, cheapest = rows["ours"][0], rows["peer"][0], rows["cheapest"][0]
print(f"cached prediction / peer: {ours / peer:.2f}x (goal 5x)   "
      f"/ cheapest route: {ours / cheapest:.0%} (goal 70%)   p99 {rows['ours'][2]:.2f} ms (goal 5 ms)")
print(f"server memory high-water mark: {hwm / 1024:.0f} MiB")
PY
