#!/usr/bin/env bash
# Training scales out by adding workers: with two `server worker` processes on the queue, two
# symbols train at the same time, one on each worker. Runs the local cluster of cluster-lib.sh
# (loopback only, ports 3210-3215 unless CLUSTER_PORT says otherwise), started afresh for each
# phase in a folder of its own under CLUSTER_DIR, and stopped at the end:
#   two workers  the proof: the two training jobs ran on different workers and their running
#                intervals overlapped
#   one worker   the reference (SCALE_BASELINE=0 skips it): the same two jobs on one worker run one
#                after the other, and the same measurement shows that as a gap; its wall time
#                against the two workers' is the speed-up
# Each phase: with no worker running, a keyed request for the predictions of each symbol queues
# its training (as fault-test.sh's (b) does); every job but the SCALE_MODEL training of the two
# symbols is then withdrawn (its queue task cancelled, its row marked failed), so the workers take
# exactly those two; then the workers start together, each running one job at a time
# (CLUSTER_WORKER_CONCURRENCY=1), and the jobs are polled through the balancer until done.
#
# What each job recorded: its start, jobs.started_at (written as its attempt starts); its end,
# the time of the "job done" line its worker logs after the attempt's commit (with elapsed_s);
# and its worker, the one whose log holds that line. jobs.finished_at cannot serve as the end: it
# is now() inside the attempt's transaction, i.e. when that transaction began, before the job
# started (and so is underway's task_attempt.completed_at). Postgres alone corroborates the
# overlap: underway.task.last_heartbeat_at (a heartbeat every 2 s while the attempt runs) is a
# lower bound of the end.
#
# Exits non-zero when the two-worker jobs ran on one worker, or one after the other, or did not
# finish (done, first attempt) within SCALE_JOB_BOUND_SECS. About 40 s.
#
# usage: scale-test.sh SERVER_BIN
#   SCALE_SYMBOLS ("^GSPC ^IXIC": bundled, 5031 bars each, so the two jobs are the same work),
#   SCALE_MODEL (rf), SCALE_BASELINE (1), SCALE_JOB_BOUND_SECS (60, per phase), SCALE_EVAL_ORIGINS
#   (40) and SCALE_EVAL_REFIT_EVERY (10) the walk-forward protocol; CLUSTER_DIR, CLUSTER_PORT as
#   for cluster.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=preamble.sh
. "$here/preamble.sh"
server_bin "${1:-}" "scale-test.sh SERVER_BIN"
began=$(date +%s)
run_dir scale
mkdir -p "$CLUSTER_DIR"
# The phases' folders are inside it; as root, Postgres (the postgres user) must reach them.
chmod 755 "$CLUSTER_DIR"
export CLUSTER_DIR CLUSTER_PORT=${CLUSTER_PORT:-3210}
# The cluster starts with no worker: they start once the jobs are queued. One job at a time each.
export CLUSTER_WORKERS=0 CLUSTER_WORKER_CONCURRENCY=1
# Heartbeats every 2 s, a short walk-forward protocol; the "job done" lines in the human format.
export APP_JOB_HEARTBEAT_SECS=2 APP_JOB_POLL_SECS=1 APP_JOB_RETRY_SECS=1
export APP_EVAL_ORIGINS=${SCALE_EVAL_ORIGINS:-40} APP_EVAL_REFIT_EVERY=${SCALE_EVAL_REFIT_EVERY:-10}
export RUST_LOG=info LOG_FORMAT=human

# shellcheck source=cluster-lib.sh
. "$here/cluster-lib.sh"
# shellcheck source=../serve-lib.sh
. "$here/../serve-lib.sh"

read -r -a symbols <<<"${SCALE_SYMBOLS:-^GSPC ^IXIC}"
if [ "${#symbols[@]}" != 2 ] || [ "${symbols[0]}" = "${symbols[1]}" ]; then
  echo "SCALE_SYMBOLS must name two different symbols" >&2
  exit 2
fi
model=${SCALE_MODEL:-rf}
bound_s=${SCALE_JOB_BOUND_SECS:-60}
base="http://127.0.0.1:$lb_port"
broken=0

finish() {
  local status=$?
  set +e
  # Whatever a worker still trains is of no use now: no graceful stop to wait for.
  for w in $(running_workers); do stop_proc "$w" KILL 1; done
  cluster_stop >/dev/null 2>&1
  if [ -n "$own_dir" ] && [ "$broken" = 0 ] && [ "$status" = 0 ]; then
    # Postgres's files are inside: the folder is open to the postgres user (above).
    rm -rf "$CLUSTER_DIR"
  else
    echo "logs kept in $CLUSTER_DIR/*/logs" >&2
  fi
}
trap finish EXIT


# job_status ID: the job's status as a client polls it, through the balancer.
job_status() {
  curl -sf --max-time 5 -H "X-API-Key: $key" "$base/api/v1/jobs/$1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])' || true
}

# evidence ID LABEL WORKERS...: one line, LABEL|worker|start|last heartbeat|end|elapsed|attempts,
# epoch seconds, from Postgres and the log of the worker that ran the job.
evidence() {
  local id=$1 label=$2 w line ts who='' end='' elapsed='' db
  shift 2
  for w in "$@"; do
    line=$(grep -F "job_id=$id " "$run/logs/$w.log" | grep -F "job done" | tail -n 1) || continue
    [ -z "$who" ] || who="$who+" # in two logs: it ran twice (a retry)
    who="$who$w"
    ts=${line%% *}
    end=$(date -d "$ts" +%s.%N)
    elapsed=$(echo "$line" | sed -n 's/.* elapsed_s=\([0-9.e+-]*\).*/\1/p')
  done
  db=$(psql_app -F '|' -c "
    select extract(epoch from j.started_at), extract(epoch from t.last_heartbeat_at), j.attempts
      from jobs j join underway.task t
        on t.task_queue_name = 'tickercast_jobs' and t.input->>'job_id' = j.id::text
     where j.id = '$id'")
  IFS='|' read -r started hb attempts <<<"$db"
  echo "$label|${who:-none}|$started|$hb|${end:-}|${elapsed:-}|$attempts"
}

# phase NAME WORKERS: a fresh cluster in CLUSTER_DIR/NAME, the two jobs queued, WORKERS worker
# processes started together; sets p_result (the analysis's RESULT line) and prints its lines.
phase() {
  local name=$1 n=$2 s ids=() labels=() workers=() t_go t_done code id st all_done
  run="$CLUSTER_DIR/$name"
  dir="$run/client" # serve-lib.sh's form/new_key keep the session's cookies here
  mkdir -p "$dir"
  echo "[$name] starting the cluster in $run (no worker yet) ..."
  cluster_start
  password="scale-$(date +%s)-Passw0rd"
  form register username=scaler "password=$password" "password_confirm=$password"
  key=$(new_key scale)
  for s in "${symbols[@]}"; do
    # A keyed request for predictions whose models are not trained queues their training.
    code=$(curl -s -o "$dir/queued.json" -w '%{http_code}' -H "X-API-Key: $key" \
      "$base/api/v1/predictions/${s//^/%5E}")
    [ "$code" = 202 ] || { echo "the keyed request for $s answered $code, not 202 (training queued)" >&2; exit 1; }
    id=$(psql_app -c "select id from jobs where kind = 'train' and symbol = '$s' and model = '$model' and status = 'queued'")
    [ -n "$id" ] || { echo "no queued $model training job for $s" >&2; exit 1; }
    ids+=("$id")
    labels+=("$s $model")
  done
  # Only those two: every other job is withdrawn before any worker runs.
  psql_app -v ON_ERROR_STOP=1 <<SQL
begin;
update underway.task set state = 'cancelled', updated_at = now()
 where task_queue_name = 'tickercast_jobs' and state = 'pending'
   and input->>'job_id' not in ('${ids[0]}', '${ids[1]}');
update jobs set status = 'failed', step = 'withdrawn', error = 'withdrawn by scale-test.sh',
       finished_at = now()
 where status = 'queued' and id not in ('${ids[0]}', '${ids[1]}');
commit;
SQL
  for i in $(seq 1 "$n"); do
    if [ "$i" = 1 ]; then workers+=(worker); else workers+=("worker$i"); fi
  done
  echo "[$name] $model training of ${symbols[*]} queued (jobs ${ids[*]}); starting ${workers[*]} ..."
  t_go=$(now_ms)
  for w in "${workers[@]}"; do worker_start "$w"; done
  for w in "${workers[@]}"; do wait_worker "$w"; done
  all_done=
  while [ $(($(now_ms) - t_go)) -lt $((bound_s * 1000)) ]; do
    all_done=1
    for id in "${ids[@]}"; do
      st=$(job_status "$id")
      case $st in done) ;; failed) all_done=; break 2 ;; *) all_done= ;; esac
    done
    [ -n "$all_done" ] && break
    sleep 0.25
  done
  t_done=$(now_ms)
  for i in 0 1; do
    st=$(job_status "${ids[$i]}")
    [ "$st" = "done" ] || echo "[$name] job ${ids[$i]} (${labels[$i]}) is ${st:-unknown} after $(((t_done - t_go) / 1000)) s" >&2
  done
  {
    for i in 0 1; do evidence "${ids[$i]}" "${labels[$i]}" "${workers[@]}"; done
  } | python3 -c '
import sys, datetime
go, done_ms = int(sys.argv[1]), int(sys.argv[2])
rows = [l.rstrip("\n").split("|") for l in sys.stdin]
def f(x):
    try:
        return float(x)
    except ValueError:
        return None
def hms(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%H:%M:%S.%f")[:-3]
ok = True
jobs = []
for label, who, start, hb, end, elapsed, attempts in rows:
    start, hb, end, elapsed = f(start), f(hb), f(end), f(elapsed)
    if None in (start, end) or "+" in who or who == "none" or attempts != "1":
        ok = False
        print(f"    {label:12} worker {who}, attempts {attempts}: no single recorded run")
        continue
    jobs.append((label, who, start, hb, end, elapsed))
    print(f"    {label:12} on {who:8} started {hms(start)}  ended {hms(end)}  ran {end - start:5.2f} s"
          f"  (its log: elapsed {elapsed:.2f} s, so started {hms(end - elapsed)}; last heartbeat {hms(hb)})")
if ok and len(jobs) == 2:
    (_, w1, s1, h1, e1, _), (_, w2, s2, h2, e2, _) = jobs
    overlap = min(e1, e2) - max(s1, s2)
    overlap_db = min(h1, h2) - max(s1, s2)
    wall = max(e1, e2) - min(s1, s2)
    print(f"RESULT ok=1 workers={len({w1, w2})} overlap={overlap:.2f} overlap_db={overlap_db:.2f}"
          f" wall={wall:.2f} both_done={(done_ms - go) / 1000:.2f}")
else:
    print("RESULT ok=0 workers=0 overlap=0 overlap_db=0 wall=0 both_done=0")
' "$t_go" "$t_done" >"$run/analysis.txt"
  grep -v '^RESULT' "$run/analysis.txt"
  p_result=$(grep '^RESULT' "$run/analysis.txt")
  # The workers are idle now; the next phase starts from nothing.
  cluster_stop
}

res() { echo "$p_result" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
positive() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' "$1"; }

verdicts=()
phase two 2
two_wall=$(res wall)
verdict=FAIL
if [ "$(res ok)" = 1 ] && [ "$(res workers)" = 2 ] && positive "$(res overlap)"; then verdict=PASS; fi
[ $verdict = PASS ] || broken=1
verdicts+=("two workers: $verdict - the jobs ran on $(res workers) different worker(s), their running intervals overlap $(res overlap) s (Postgres alone, started_at to the last heartbeat: $(res overlap_db) s); first start to last end $(res wall) s; both done $(res both_done) s after the workers started")

if [ "${SCALE_BASELINE:-1}" = 1 ]; then
  phase one 1
  # One worker, one job at a time: the same measurement must see the runs one after the other.
  verdict=FAIL
  if [ "$(res ok)" = 1 ] && ! positive "$(res overlap)"; then verdict=PASS; fi
  [ $verdict = PASS ] || broken=1
  speedup=$(python3 -c 'import sys; a, b = map(float, sys.argv[1:]); print(f"{a / b:.2f}x" if b > 0 else "?")' "$(res wall)" "$two_wall")
  verdicts+=("one worker (reference): $verdict - one after the other, gap $(python3 -c 'import sys; print(f"{-float(sys.argv[1]):.2f}")' "$(res overlap)") s; first start to last end $(res wall) s; both done $(res both_done) s after the worker started; two workers' speed-up $speedup")
fi

echo
printf '  %s\n' "${verdicts[@]}"
echo "whole test: $(($(date +%s) - began)) s"
[ "$broken" = 0 ] || { echo "a bound was broken" >&2; exit 1; }
