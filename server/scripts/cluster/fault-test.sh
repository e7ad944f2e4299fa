#!/usr/bin/env bash
# Faults under bounded load against the local cluster (cluster.sh's, started here in a folder of its
# own on ports 3200-3205 unless CLUSTER_DIR / CLUSTER_PORT say otherwise, and stopped at the end).
# wrk sends a fixed mix of GETs (a prediction, a stock page, a quote, a price export read from
# Postgres) for a fixed time over a fixed number of connections, loopback only, through HAProxy,
# while one thing breaks:
#   (a) kill -9 of a web instance: HAProxy drains it; at most one request per connection (those in
#       flight at the kill) may fail, and none should, as HAProxy retries idempotent requests
#   (e) SIGTERM of a web instance: it drains (finishes what it has) and exits; no request fails
#   (c) Redis stopped for 10 s: no 5xx (the app falls back to Postgres and its own memory)
#   (d) Postgres stopped, held down 3 s (FAULT_PG_DOWN_SECS; 0 = a plain restart) and started: a
#       database-backed request succeeds through HAProxy within 5 s of Postgres being back,
#       unattended, and no request sent after that fails; 5xx while it is down are counted apart
#   (b) kill -9 of the worker mid-training, then a new worker: the job finishes (done) in bound,
#       and the killed attempt left no model version behind
# Prints one table and exits non-zero when a bound is broken. About a minute and a half.
#
# usage: fault-test.sh SERVER_BIN
#   FAULT_CONNS (16) wrk's connections; FAULT_SCENARIOS ("a e c d b") which to run, in order;
#   CLUSTER_LB_FALLBACK=0 to have HAProxy answer 503 itself while no instance is ready (see
#   cluster-lib.sh); CLUSTER_DIR, CLUSTER_PORT as for cluster.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=preamble.sh
. "$here/preamble.sh"
server_bin "${1:-}" "fault-test.sh SERVER_BIN"
command -v wrk >/dev/null || { echo "fault-test: wrk is needed (apt-get install wrk)" >&2; exit 2; }
began=$(date +%s)
run_dir fault
export CLUSTER_DIR CLUSTER_PORT=${CLUSTER_PORT:-3200}
# Limits far above what the run sends (anonymous load all comes from one address); jobs whose
# heartbeat goes stale after 2 s and a worker that looks for work every second, so a killed
# worker's task is taken up again within seconds; a short walk-forward protocol.
export API_LIMIT_ANONYMOUS=100000000/min,1000000000/day API_LIMIT_FREE=100000000/min,1000000000/day
export APP_JOB_HEARTBEAT_SECS=2 APP_JOB_POLL_SECS=1 APP_JOB_RETRY_SECS=1
export APP_EVAL_ORIGINS=${FAULT_EVAL_ORIGINS:-40} APP_EVAL_REFIT_EVERY=${FAULT_EVAL_REFIT_EVERY:-10}

# shellcheck source=cluster-lib.sh
. "$here/cluster-lib.sh"
# shellcheck source=../serve-lib.sh
. "$here/../serve-lib.sh"

conns=${FAULT_CONNS:-16}
base="http://127.0.0.1:$lb_port"
paths=(/api/v1/predictions/GOOG /stock/GOOG /api/v1/quote/GOOG "/api/v1/export/prices/GOOG?format=csv&from=2012-09-01")
# A request that reads Postgres every time (no cache in front of it).
db_probe="/api/v1/export/prices/GOOG?format=csv&from=2013-01-01"
out="$run/fault"
dir=$out # serve-lib.sh's form/new_key keep the session's cookies here

rows=()
broken=0
row() { # row NAME SENT FAILED VERDICT DETAIL
  rows+=("$1|$2|$3|$4|$5")
  [ "$4" = PASS ] || broken=1
  printf '  -> %s: sent %s, failed %s, %s: %s\n' "$1" "$2" "$3" "$4" "$5"
}

finish() {
  local status=$?
  set +e
  [ -n "${load_pid:-}" ] && kill "$load_pid" 2>/dev/null
  # The worker is training what (b) queued: nothing to keep, and a blocking fit would hold its
  # graceful stop for up to 15 s.
  stop_proc worker KILL 1
  cluster_stop >/dev/null 2>&1
  if [ -n "$own_dir" ] && [ "$broken" = 0 ] && [ "$status" = 0 ]; then
    rm -rf "$CLUSTER_DIR"
  else
    echo "logs kept in $run/logs (and wrk's output in $out)" >&2
  fi
}
trap finish EXIT


# load NAME SECONDS: wrk in the background, its report in $out/NAME.txt.
load() {
  wrk -t2 -c"$conns" -d"$2s" --timeout 10s -s "$here/count.lua" "$base" -- "${paths[@]}" >"$out/$1.txt" 2>&1 &
  load_pid=$!
  echo "$load_pid" >"$out/$1.pid"
  load_started=$(now_ms)
}

# finish_load NAME: waits for wrk; sets sent, failed (5xx + socket errors) and the counts.
finish_load() {
  wait "$load_pid" || { cat "$out/$1.txt" >&2; echo "wrk failed" >&2; exit 1; }
  load_pid=
  local line
  line=$(grep '^RESULT' "$out/$1.txt") || { cat "$out/$1.txt" >&2; exit 1; }
  res() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  sent=$(res sent)
  r_s4=$(res s4)
  r_s5=$(res s5)
  r_p99=$(res p99ms)
  failed=$((r_s5 + $(res connect) + $(res read) + $(res write) + $(res timeout)))
}

# fail5xx_between FILE FROM_MS TO_MS: 5xx answers in 100 ms buckets starting in [FROM, TO).
fail5xx_between() {
  awk -v a="$2" -v b="$3" '$1 == "FAIL5XX" && $2 >= a && $2 < b { n += $3 } END { print n + 0 }' "$1"
}

# sleep_until MS_SINCE_LOAD_START
sleep_until() {
  local wait=$(($1 - ($(now_ms) - load_started)))
  [ "$wait" -le 0 ] || sleep "$(printf '%d.%03d' $((wait / 1000)) $((wait % 1000)))"
}

# wait_lb SERVER STATE SECONDS: prints the milliseconds until HAProxy shows SERVER in STATE.
wait_lb() {
  local t0 deadline
  t0=$(now_ms)
  deadline=$((t0 + $3 * 1000))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    case $(lb_state "$1") in "$2"*) echo $(($(now_ms) - t0)); return 0 ;; esac
    sleep 0.05
  done
  echo never
  return 1
}

retries() { # HAProxy's retries and redispatches so far (the backend's figures)
  curl -sf --max-time 2 "http://127.0.0.1:$stats_port/;csv" | awk -F, '$1 == "web" && $2 == "BACKEND" { print $16 + 0, $17 + 0 }'
}

mkdir -p "$out"
echo "starting the cluster in $run (balancer $base) ..."
cluster_start
for p in "${paths[@]}"; do # warm every route once (and fail early when one is broken)
  code=$(curl -s -o /dev/null -w '%{http_code}' "$base$p")
  [ "$code" = 200 ] || { echo "GET $p answered $code before any fault" >&2; exit 1; }
done
echo "load: wrk -t2 -c$conns, GET ${paths[*]}"

# (a) kill -9 web1 at 3 s, restart it at 7 s, load for 12 s -------------------------------------
scenario_a() {
  echo "(a) kill -9 of web1 under load ..."
  read -r retr0 redis0 < <(retries) || true
  load a 12
  sleep_until 3000
  kill -KILL "$(pid_of web1)"
  down_ms=$(wait_lb web1 DOWN 5) || true
  sleep_until 7000
  APP_SEED_BUNDLED=false web_start web1
  t0=$(now_ms)
  wait_ready web1 60
  up_ms=never
  wait_lb web1 UP 10 >/dev/null && up_ms=$(($(now_ms) - t0))
  finish_load a
  read -r retr1 redis1 < <(retries) || true
  verdict=PASS
  [ "$failed" -le "$conns" ] || verdict=FAIL
  [ "$down_ms" != never ] || verdict=FAIL
  row "(a) kill -9 web1" "$sent" "$failed" "$verdict" \
    "bound ≤$conns (in flight at the kill); DOWN in HAProxy ${down_ms} ms after the kill; restarted, UP again in ${up_ms} ms; HAProxy retried $((retr1 - retr0)), redispatched $((redis1 - redis0)); p99 ${r_p99} ms"
}

# (e) SIGTERM web2 at 3 s, restart it once it has exited, load for 10 s -------------------------
scenario_e() {
  echo "(e) SIGTERM of web2 under load (graceful drain) ..."
  load e 10
  sleep_until 3000
  pid=$(pid_of web2)
  t0=$(now_ms)
  kill -TERM "$pid"
  down_ms=$(wait_lb web2 DOWN 5) || true
  while kill -0 "$pid" 2>/dev/null && [ $(($(now_ms) - t0)) -lt 20000 ]; do sleep 0.05; done
  exit_ms=$(($(now_ms) - t0))
  APP_SEED_BUNDLED=false web_start web2
  wait_ready web2 60
  wait_lb web2 UP 10 >/dev/null || true
  finish_load e
  verdict=PASS
  [ "$failed" = 0 ] || verdict=FAIL
  row "(e) SIGTERM web2" "$sent" "$failed" "$verdict" \
    "bound 0; exited ${exit_ms} ms after SIGTERM, DOWN in HAProxy after ${down_ms} ms; restarted; p99 ${r_p99} ms"
}

# (c) Redis down from 3 s to 13 s, load for 16 s ------------------------------------------------
scenario_c() {
  echo "(c) Redis stopped for 10 s under load ..."
  load c 16
  sleep_until 3000
  stop_proc redis TERM 5
  sleep_until 13000
  redis_start
  t0=$(now_ms)
  back_ms=never
  while [ $(($(now_ms) - t0)) -lt 10000 ]; do
    if curl -sf "http://127.0.0.1:$web1_port/api/status" | grep -q '"redis":{"status":"ok"' &&
      curl -sf "http://127.0.0.1:$web2_port/api/status" | grep -q '"redis":{"status":"ok"'; then
      back_ms=$(($(now_ms) - t0))
      break
    fi
    sleep 0.1
  done
  finish_load c
  verdict=PASS
  [ "$failed" = 0 ] || verdict=FAIL
  [ "$back_ms" != never ] || verdict=FAIL
  row "(c) Redis down 10 s" "$sent" "$failed" "$verdict" \
    "bound 0; both instances report Redis ok ${back_ms} ms after it is back; 4xx $r_s4; p99 ${r_p99} ms"
}

# (d) Postgres stopped at 3 s, started again FAULT_PG_DOWN_SECS later; the load runs on until 4 s
# after that, and a second load starts the moment a DB-backed request succeeds through HAProxy:
# every request of that one is sent after recovery.
scenario_d() {
  # Held down 3 s by default: long enough for HAProxy to see it (2 failed checks 250-500 ms apart)
  # and for every pooled connection to break. 0: a plain restart.
  local hold=${FAULT_PG_DOWN_SECS:-3} main_pid t_down t_up t_ok='' code recovery
  local d_sent d_failed d_5xx before around
  echo "(d) Postgres restarted under load (down for ${hold} s) ..."
  load d $((7 + hold))
  main_pid=$load_pid
  sleep_until 3000
  t_down=$(now_ms)
  pg_stop fast
  sleep "$hold"
  pg_start
  t_up=$(now_ms)
  while [ $(($(now_ms) - t_up)) -lt 15000 ]; do
    code=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$base$db_probe" || true)
    [ "$code" = 200 ] && { t_ok=$(now_ms); break; }
    sleep 0.05
  done
  [ -n "$t_ok" ] && load d-after 6
  load_pid=$main_pid
  finish_load d
  d_sent=$sent d_failed=$failed d_5xx=$r_s5 d_p99=$r_p99
  if [ -z "$t_ok" ]; then
    row "(d) Postgres restart" "$d_sent" "$d_failed" FAIL \
      "no DB-backed request succeeded within 15 s of Postgres being back"
    return
  fi
  recovery=$((t_ok - t_up))
  before=$(fail5xx_between "$out/d.txt" 0 $((t_ok / 100 * 100)))
  around=$((d_5xx - before))
  load_pid=$(cat "$out/d-after.pid")
  finish_load d-after
  verdict=PASS
  [ "$recovery" -le 5000 ] || verdict=FAIL
  [ "$failed" = 0 ] || verdict=FAIL
  row "(d) Postgres restart" "$((d_sent + sent))" "$((d_failed + failed))" "$verdict" \
    "bound: a DB-backed 200 through HAProxy ≤5000 ms after Postgres is back, 0 failed of the requests sent after that; Postgres down $((t_up - t_down)) ms; recovered in ${recovery} ms; 5xx answered during the outage $before, answered after recovery (sent before it) $around, socket errors $((d_failed - d_5xx)), p99 ${d_p99} ms; sent after recovery $sent, failed $failed; HAProxy fallback to live instances: $([ "${CLUSTER_LB_FALLBACK:-1}" = 1 ] && echo on || echo off)"
}

# (b) kill -9 the worker mid-training, start a new one -------------------------------------------
scenario_b() {
  echo "(b) kill -9 of the worker mid-training ..."
  password="fault-$(date +%s)-Passw0rd"
  form register username=faulter "password=$password" "password_confirm=$password"
  key=$(new_key fault)
  # A keyed request for predictions whose models are not trained queues their training.
  code=$(curl -s -o "$out/queued.json" -w '%{http_code}' -H "X-API-Key: $key" "$base/api/v1/predictions/GOOG")
  [ "$code" = 202 ] || { echo "the keyed request answered $code, not 202 (training queued)" >&2; exit 1; }
  # The random forest's job: long enough (its walk-forward evaluation) for the kill to land inside.
  model=${FAULT_MODEL:-rf}
  job=
  for _ in $(seq 600); do
    job=$(psql_app -c "select id from jobs where kind = 'train' and symbol = 'GOOG' and model = '$model'
                         and status = 'running' and progress >= 5 order by created_at desc limit 1")
    [ -n "$job" ] && break
    sleep 0.2
  done
  [ -n "$job" ] || { echo "the $model training job did not start within 120 s" >&2; exit 1; }
  load b 10
  sleep_until 1000
  kill -KILL "$(pid_of worker)"
  at_kill=$(psql_app -c "select status || ' at ' || progress || '%' from jobs where id = '$job'")
  sleep 1
  worker_start
  t_restart=$(now_ms)
  bound_s=${FAULT_JOB_BOUND_SECS:-120}
  status=
  while [ $(($(now_ms) - t_restart)) -lt $((bound_s * 1000)) ]; do
    # Polled through the balancer, as a client would.
    status=$(curl -sf -H "X-API-Key: $key" "$base/api/v1/jobs/$job" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])' || true)
    case $status in done | failed) break ;; esac
    sleep 0.5
  done
  t_end=$(now_ms)
  finish_load b
  attempts=$(psql_app -c "select attempts from jobs where id = '$job'")
  # The killed attempt left nothing behind: exactly one version, from this job.
  versions=$(psql_app -c "select count(*) from model_versions where symbol = 'GOOG' and model = '$model'")
  mine=$(psql_app -c "select count(*) from model_versions where job_id = '$job'")
  verdict=PASS
  [ "$status" = "done" ] || verdict=FAIL
  case $at_kill in running*) ;; *) verdict=FAIL ;; esac
  [ "$versions" = 1 ] && [ "$mine" = 1 ] || verdict=FAIL
  [ "$failed" = 0 ] || verdict=FAIL
  took=$((t_end - t_restart))
  row "(b) kill -9 worker mid-training" "$sent" "$failed" "$verdict" \
    "bound: done ≤${bound_s} s after the new worker starts, 0 failed; $model job $at_kill at the kill, ${status:-no answer} $((took / 1000)).$((took / 100 % 10)) s after the new worker started (attempts $attempts, $model versions $versions); p99 ${r_p99} ms"
}

for s in ${FAULT_SCENARIOS:-a e c d b}; do "scenario_$s"; done

# ------------------------------------------------------------------------------------------------
echo
{
  echo "scenario|requests sent|failed|verdict|detail"
  printf '%s\n' "${rows[@]}"
} | python3 -c '
import sys
rows = [l.rstrip("\n").split("|", 4) for l in sys.stdin]
w = [max(len(r[i]) for r in rows) for i in range(4)]
for r in rows:
    print("  ".join(r[i].ljust(w[i]) if i == 0 else r[i].rjust(w[i]) for i in range(4)) + "  " + r[4])
'
echo "whole test: $(($(date +%s) - began)) s"
[ "$broken" = 0 ] || { echo "a bound was broken" >&2; exit 1; }
