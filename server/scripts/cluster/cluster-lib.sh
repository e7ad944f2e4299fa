# shellcheck shell=bash
# Sourced by cluster.sh, fault-test.sh and scale-test.sh: a local cluster on loopback only, every
# process a pid file under the run folder. Postgres and Redis of its own, two web instances of the
# server binary (APP_WORKERS=0: they serve and enqueue), one `server worker` (or CLUSTER_WORKERS
# of them: worker, worker2, ...), HAProxy in front.
#
# Reads: BIN (the server binary), CLUSTER_DIR (run folder, default .data/cluster in the checkout),
# CLUSTER_PORT (the balancer's port, default 3100; the others follow it: web1 +1, web2 +2,
# Postgres +3, Redis +4, HAProxy's stats page +5), CLUSTER_WORKERS (worker processes, default 1;
# 0 starts none), CLUSTER_WORKER_CONCURRENCY (jobs at once per worker, default 1). Every other
# variable of the environment reaches the server processes as it is (APP_*, API_LIMIT_*,
# RUST_LOG, ...).

cluster_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
run=${CLUSTER_DIR:-$cluster_root/.data/cluster}
lb_port=${CLUSTER_PORT:-3100}
web1_port=$((lb_port + 1))
web2_port=$((lb_port + 2))
pg_port=$((lb_port + 3))
redis_port=$((lb_port + 4))
stats_port=$((lb_port + 5))
site_root=${LEPTOS_SITE_ROOT:-$cluster_root/target/site}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

say() { echo "cluster: $*" >&2; }
die() { echo "cluster: $*" >&2; exit 1; }
# Milliseconds since the epoch.
now_ms() { date +%s%3N; }

# initdb and postgres refuse to run as root: the cluster then belongs to the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

# secret NAME: a random hex secret kept in $run/secrets/NAME (mode 600), made on first use.
secret() {
  local f="$run/secrets/$1"
  if [ ! -s "$f" ]; then
    (umask 077 && mkdir -p "$run/secrets" && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f")
  fi
  cat "$f"
}

# pid_of NAME: the pid in NAME's pid file when that process is alive and still what it was.
pid_of() {
  local name=$1 pid marker
  [ -s "$run/pids/$name.pid" ] || return 1
  pid=$(head -n 1 "$run/pids/$name.pid")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  marker=$(cat "$run/pids/$name.cmd" 2>/dev/null || true)
  [ -z "$marker" ] || tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker" || return 1
  echo "$pid"
}

# port_free PORT: nothing listens on loopback PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need_tools() {
  [ -n "$pg_bin" ] || die "no Postgres in /usr/lib/postgresql (make setup installs it)"
  command -v redis-server >/dev/null || die "no redis-server (make setup installs it)"
  if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then
    say "installing haproxy (Debian)"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq haproxy >/dev/null
  fi
  [ -d "$site_root/pkg" ] || say "warning: no built site in $site_root (make build-wasm site); pages will lack their assets"
}

# The cluster's URLs and secrets, in the environment of every server process.
app_env() {
  local pg_pw redis_pw
  pg_pw=$(secret postgres)
  redis_pw=$(secret redis)
  export DATABASE_URL="postgres://tickercast:$pg_pw@127.0.0.1:$pg_port/tickercast"
  export REDIS_URL="redis://:$redis_pw@127.0.0.1:$redis_port/0"
  JWT_SECRET=$(secret jwt)
  METRICS_TOKEN=$(secret metrics)
  export JWT_SECRET METRICS_TOKEN
  export APP_DATA_DIR="$run/app"
  export ARTIFACT_STORE_URL=${ARTIFACT_STORE_URL:-file://$run/artifacts}
  export APP_CACHE_PREFIX=${APP_CACHE_PREFIX:-tc:}
  # HAProxy is the only peer whose X-Forwarded-For is believed.
  export TRUSTED_PROXIES=${TRUSTED_PROXIES:-127.0.0.1}
  export LEPTOS_SITE_ROOT=$site_root
  export RUST_LOG=${RUST_LOG:-info}
  export NO_COLOR=${NO_COLOR:-1}
}

# --- Postgres ------------------------------------------------------------------------------------

pg_data() { cat "$run/pgdata.path" 2>/dev/null || true; }

pg_init() {
  local data
  data=$(pg_data)
  if [ -z "$data" ]; then
    data="$run/postgres"
    # As root the cluster belongs to the postgres user, who must reach it: under a mode-700 home
    # folder it cannot, so the cluster moves to a folder of its own under /tmp.
    if [ "$(id -u)" = 0 ] && ! su postgres -s /bin/sh -c "test -x '$run'" 2>/dev/null; then
      data="/tmp/tickercast-cluster-$(echo "$run" | md5sum | cut -c1-12)/postgres"
      say "the postgres user cannot reach $run: Postgres keeps its files in $data"
    fi
    echo "$data" >"$run/pgdata.path"
  fi
  [ -f "$data/PG_VERSION" ] && return 0
  mkdir -p "$data"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$data" "$(dirname "$data")" 2>/dev/null
  chmod 700 "$data"
  as_pg "'$pg_bin/initdb' -D '$data' -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-instructions" >"$run/logs/initdb.log" 2>&1 ||
    { cat "$run/logs/initdb.log" >&2; die "initdb failed"; }
}

pg_start() {
  local data
  data=$(pg_data)
  if as_pg "'$pg_bin/pg_ctl' -D '$data' status" >/dev/null 2>&1; then return 0; fi
  port_free "$pg_port" || die "port $pg_port (Postgres) is taken"
  # Loopback only; its socket in its own folder (only its owner reaches it, so only the postgres
  # user connects without the password).
  touch "$run/logs/postgres.log"
  [ "$(id -u)" != 0 ] || chown postgres "$run/logs/postgres.log"
  as_pg "'$pg_bin/pg_ctl' -D '$data' -l '$run/logs/postgres.log' -w -t 60 -o \"-h 127.0.0.1 -p $pg_port -k '$data' -c max_connections=200 -c shared_buffers=64MB\" start" >/dev/null ||
    { tail -20 "$run/logs/postgres.log" >&2; die "Postgres did not start"; }
  head -n 1 "$data/postmaster.pid" >"$run/pids/postgres.pid"
  echo "postgres" >"$run/pids/postgres.cmd"
}

# The app's role and database (a role of its own with a password; the superuser stays local).
pg_provision() {
  local data pw
  data=$(pg_data)
  pw=$(secret postgres)
  as_pg "'$pg_bin/psql' -h '$data' -p $pg_port -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt" >/dev/null <<SQL
select 'create role tickercast login'
 where not exists (select 1 from pg_roles where rolname = 'tickercast') \gexec
alter role tickercast password '$pw';
select 'create database tickercast owner tickercast'
 where not exists (select 1 from pg_database where datname = 'tickercast') \gexec
SQL
}

# pg_stop [MODE]: fast (default) or immediate.
pg_stop() {
  local data
  data=$(pg_data)
  [ -n "$data" ] && [ -f "$data/postmaster.pid" ] || return 0
  as_pg "'$pg_bin/pg_ctl' -D '$data' -m ${1:-fast} -w -t 30 stop" >/dev/null 2>&1 || true
  rm -f "$run/pids/postgres.pid"
}

# psql_app ARGS...: psql as the app's role (the fault test reads the jobs table with it).
psql_app() {
  PGPASSWORD=$(secret postgres) psql -h 127.0.0.1 -p "$pg_port" -U tickercast -d tickercast -qAtX "$@"
}

# --- Redis ---------------------------------------------------------------------------------------

redis_start() {
  pid_of redis >/dev/null && return 0
  port_free "$redis_port" || die "port $redis_port (Redis) is taken"
  mkdir -p "$run/redis"
  # The password in a file only this user reads, not on a command line.
  (umask 077 && cat >"$run/redis/redis.conf" <<CONF
bind 127.0.0.1
port $redis_port
protected-mode yes
requirepass $(secret redis)
save ""
appendonly no
dir $run/redis
logfile $run/logs/redis.log
pidfile $run/pids/redis.pid
daemonize yes
CONF
  )
  redis-server "$run/redis/redis.conf" || die "redis-server did not start"
  echo "redis-server" >"$run/pids/redis.cmd"
  for _ in $(seq 50); do
    REDISCLI_AUTH=$(secret redis) redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  die "Redis did not answer"
}

# --- the server processes ------------------------------------------------------------------------

# spawn NAME ARGS...: runs BIN ARGS in a session of its own (it outlives this script), from the
# run folder (so no .env of the checkout is read), logging to logs/NAME.log.
spawn() {
  local name=$1
  shift
  # shellcheck disable=SC2016 # $$ and $@ are the inner shell's
  (cd "$run" && exec setsid sh -c 'echo $$ >"$0"; exec "$@"' "$run/pids/$name.pid" "$BIN" "$@" \
    >>"$run/logs/$name.log" 2>&1 </dev/null) &
  disown $! # not this shell's job: no "Killed" notice when a fault test kills it
  echo "$BIN" >"$run/pids/$name.cmd"
  for _ in $(seq 50); do [ -s "$run/pids/$name.pid" ] && return 0; sleep 0.05; done
}

web_port() { case $1 in web1) echo "$web1_port" ;; web2) echo "$web2_port" ;; esac; }

# web_start NAME: a web-only instance (its jobs run in the worker process).
web_start() {
  local name=$1 port
  port=$(web_port "$name")
  pid_of "$name" >/dev/null && return 0
  port_free "$port" || die "port $port ($name) is taken"
  rm -f "$run/pids/$name.pid"
  APP_ADDR="127.0.0.1:$port" APP_WORKERS=0 spawn "$name"
}

# worker_names: the worker processes CLUSTER_WORKERS asks for (worker, worker2, worker3, ...).
worker_names() {
  local i
  for i in $(seq 1 "${CLUSTER_WORKERS:-1}"); do
    if [ "$i" = 1 ]; then echo worker; else echo "worker$i"; fi
  done
}

# running_workers: the worker processes started and not stopped (a pid file each), whatever
# CLUSTER_WORKERS says now.
running_workers() {
  local f
  for f in "$run"/pids/worker.pid "$run"/pids/worker[0-9]*.pid; do
    [ -e "$f" ] && basename "$f" .pid
  done
  return 0
}

# worker_start [NAME]: a `server worker` process (default `worker`; another name, e.g. worker2,
# is one more worker on the same queue), logging to logs/NAME.log.
worker_start() {
  local name=${1:-worker}
  pid_of "$name" >/dev/null && return 0
  rm -f "$run/pids/$name.pid"
  APP_WORKERS=${CLUSTER_WORKER_CONCURRENCY:-1} spawn "$name" worker
}

# wait_ready NAME [SECONDS]: until the instance's /api/status answers 200.
wait_ready() {
  local name=$1 port
  port=$(web_port "$name")
  for _ in $(seq $((${2:-180} * 5))); do
    curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/api/status" && return 0
    pid_of "$name" >/dev/null || { tail -30 "$run/logs/$name.log" >&2; die "$name exited"; }
    sleep 0.2
  done
  die "$name did not become ready (see $run/logs/$name.log)"
}

# wait_worker [NAME]: until the worker process (default `worker`) says it is ready.
wait_worker() {
  local name=${1:-worker} log
  log="$run/logs/$name.log"
  for _ in $(seq 900); do
    grep -q "worker process ready" "$log" 2>/dev/null && return 0
    pid_of "$name" >/dev/null || { tail -30 "$log" >&2; die "$name exited"; }
    sleep 0.2
  done
  die "$name did not start (see $log)"
}

# stop_proc NAME [SIGNAL] [GRACE]: SIGTERM (or SIGNAL), then SIGKILL after GRACE seconds.
stop_proc() {
  local name=$1 sig=${2:-TERM} grace=${3:-15} pid
  pid=$(pid_of "$name") || { rm -f "$run/pids/$name.pid"; return 0; }
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq $((grace * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$run/pids/$name.pid"
}

# --- HAProxy -------------------------------------------------------------------------------------

haproxy_bin() { command -v haproxy || echo /usr/sbin/haproxy; }

# Active checks of the readiness route every 500 ms (down after 2 failures, up after 2 passes);
# a request whose connection fails is tried again (3 times, redispatched to the other server), and
# so is an idempotent one (GET, HEAD, OPTIONS) that got no answer because its server died.
# With CLUSTER_LB_FALLBACK=1, when no instance is ready (Postgres down) the requests go to the
# instances that are merely alive (they answer a site file from memory), which still serve what they
# hold in memory or Redis; without it HAProxy answers 503 at once.
lb_fallback_backend() {
  [ "${CLUSTER_LB_FALLBACK:-1}" = 1 ] || return 0
  cat <<CFG
backend web_live
    balance roundrobin
    option httpchk GET /favicon.svg
    http-check expect status 200
    http-request disable-l7-retry unless { method GET HEAD OPTIONS }
    default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2
    server web1 127.0.0.1:$web1_port check
    server web2 127.0.0.1:$web2_port check
CFG
}

haproxy_config() {
  cat >"$run/haproxy.cfg" <<CFG
global
    maxconn 4096
    stats socket $run/haproxy.sock mode 600 level admin

defaults
    mode http
    option forwardfor
    option redispatch 1
    retries 3
    retry-on conn-failure empty-response response-timeout
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout check 1s

frontend tickercast
    bind 127.0.0.1:$lb_port
$(if [ "${CLUSTER_LB_FALLBACK:-1}" = 1 ]; then
  echo "    use_backend web if { nbsrv(web) gt 0 }"
  echo "    default_backend web_live"
else
  echo "    default_backend web"
fi)

backend web
    balance roundrobin
    option httpchk GET /api/status
    http-check expect status 200
    # Only requests that are safe to send twice are retried after they reached a server.
    http-request disable-l7-retry unless { method GET HEAD OPTIONS }
    default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2
    server web1 127.0.0.1:$web1_port check
    server web2 127.0.0.1:$web2_port check

$(lb_fallback_backend)
listen stats
    bind 127.0.0.1:$stats_port
    stats enable
    stats uri /
    stats refresh 2s
CFG
}

haproxy_start() {
  pid_of haproxy >/dev/null && return 0
  port_free "$lb_port" || die "port $lb_port (HAProxy) is taken"
  haproxy_config
  "$(haproxy_bin)" -c -q -f "$run/haproxy.cfg" || die "bad HAProxy configuration"
  "$(haproxy_bin)" -D -f "$run/haproxy.cfg" -p "$run/pids/haproxy.pid" || die "HAProxy did not start"
  echo "haproxy" >"$run/pids/haproxy.cmd"
}

# lb_state SERVER: UP, DOWN, ... as HAProxy sees it (its stats page as CSV).
lb_state() {
  curl -sf --max-time 2 "http://127.0.0.1:$stats_port/;csv" | awk -F, -v s="$1" '$1 == "web" && $2 == s { print $18 }'
}

# --- the whole cluster ---------------------------------------------------------------------------

cluster_start() {
  need_tools
  mkdir -p "$run/logs" "$run/pids" "$run/app" "$run/artifacts"
  chmod 755 "$run"
  app_env
  pg_init
  pg_start
  pg_provision
  redis_start
  # The schema once, before any instance starts (the instances and the worker migrate too, a
  # no-op by then); the first instance loads the bundled series before the second starts.
  if ! pid_of web1 >/dev/null; then
    (cd "$run" && "$BIN" migrate >>"$run/logs/migrate.log" 2>&1) || { tail -20 "$run/logs/migrate.log" >&2; die "migrate failed"; }
  fi
  web_start web1
  wait_ready web1
  APP_SEED_BUNDLED=false web_start web2
  local w
  for w in $(worker_names); do worker_start "$w"; done
  wait_ready web2
  for w in $(worker_names); do wait_worker "$w"; done
  haproxy_start
  # Until HAProxy has both instances in rotation (two passed checks each).
  for _ in $(seq 100); do
    [ "$(lb_state web1)" = UP ] && [ "$(lb_state web2)" = UP ] && break
    sleep 0.1
  done
}

cluster_stop() {
  stop_proc haproxy TERM 5
  stop_proc web1 TERM 15 &
  stop_proc web2 TERM 15 &
  local w
  for w in $(running_workers); do stop_proc "$w" TERM 15 & done
  wait
  stop_proc redis TERM 10
  pg_stop fast
}

cluster_status() {
  local name pid state ok=0
  # The workers asked for, and any other still running (e.g. a second one a test started).
  for name in postgres redis web1 web2 $( (worker_names; running_workers) | awk '!seen[$0]++') \
    haproxy; do
    if pid=$(pid_of "$name"); then
      state="running (pid $pid)"
      case $name in web1 | web2) state="$state, balancer sees it $(lb_state "$name" || echo '?')" ;; esac
    else
      state="stopped"
      ok=1
    fi
    printf '  %-9s %s\n' "$name" "$state"
  done
  return $ok
}
