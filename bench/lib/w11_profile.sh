#!/bin/bash
# W11 profile: where the time of 1,000 queued no-op builds goes, in CPU time,
# which depends much less on a shared machine's load than wall time.
#
#   bench/lib/w11_profile.sh JCRUN [ROUNDS]
#
# Starts a private PostgreSQL 15 (as bench/run's W11 does: a new folder under
# /tmp, run as an unprivileged user when started as root, 127.0.0.1 and a free
# port only, fsync and synchronous_commit off) with pg_stat_statements, and a
# 1,000-job /bin/true project; then, ROUNDS times (3), runs three
# `jcrun worker -j 1 -q` and `jcrun build-outdated -q --queue --wait`, and
# prints per round: the wall time and the queueing client's CPU (GNU time),
# the three workers' own CPU (utime+stime from /proc/PID/stat, their jobs not
# included), the server's CPU (every backend, live or exited), then per
# statement: calls, total execution ms (pg_stat_statements), first words.
# Last, one local `build-outdated -q -j 3` on the same store and one on
# SQLite, with their CPU (jcrun and its jobs) and the server's. Stops
# everything it started by pid and removes its folder.
set -euo pipefail
jcrun=$(realpath "$1")
rounds=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
pg_bin=/usr/lib/postgresql/15/bin
dir=$(mktemp -d /tmp/jcrun-w11-profile.XXXXXX)
as_user=()
if [[ $(id -u) == 0 ]]; then
  for user in postgres nobody; do id "$user" >/dev/null 2>&1 && break; done
  chown "$user:" "$dir"
  as_user=(setpriv --reuid="$user" --regid="$user" --init-groups --)
fi
"${as_user[@]}" "$pg_bin/initdb" -D "$dir/data" -U jcrun --auth=trust -E UTF8 --locale=C \
  --no-sync --no-instructions >"$dir/initdb.log" 2>&1
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_user[@]}" "$pg_bin/postgres" -D "$dir/data" -p "$port" -k "$dir" -c listen_addresses=127.0.0.1 \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB \
  -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all \
  >"$dir/server.log" 2>&1 &
pg_pid=$!
worker_pids=()
cleanup() {
  local pid
  for pid in "${worker_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${worker_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  kill -INT "$pg_pid" 2>/dev/null || true
  wait "$pg_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 100); do "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break; sleep 0.1; done
"$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U jcrun w11
url=postgresql://jcrun@127.0.0.1:$port/w11
psql() { "$pg_bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$url" -c "$1"; }
psql "CREATE EXTENSION pg_stat_statements"
# shellcheck source=workloads.sh disable=SC1091
source "$here/workloads.sh"
gen_runs "$dir/w11" 1000 0 >/dev/null
project=$dir/w11/jcrun
"$jcrun" -C "$project" --storage "$url" install -q

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
server_ticks() {
  local total=0 pid
  for pid in $(pgrep -P "$pg_pid") "$pg_pid"; do total=$((total + $(ticks "$pid"))); done
  echo $((total + $(awk '{print $16 + $17}' "/proc/$pg_pid/stat")))
}
ms() { echo $((($1) * 1000 / $(getconf CLK_TCK))); }

for ((round = 1; round <= rounds; round++)); do
  psql "TRUNCATE builds CASCADE" 2>/dev/null
  worker_pids=()
  for w in 1 2 3; do
    "$jcrun" -C "$project" --storage "$url" worker -j 1 -q 2>"$dir/worker$w.log" &
    worker_pids+=($!)
  done
  sleep 1
  psql "SELECT pg_stat_statements_reset()" >/dev/null
  w0=0; for pid in "${worker_pids[@]}"; do w0=$((w0 + $(ticks "$pid"))); done
  s0=$(server_ticks)
  /usr/bin/time -f "round $round: %e s wall, queueing client %U s user %S s sys" \
    "$jcrun" -C "$project" --storage "$url" build-outdated -q --queue --wait >/dev/null
  w1=0; for pid in "${worker_pids[@]}"; do w1=$((w1 + $(ticks "$pid"))); done
  s1=$(server_ticks)
  echo "  workers' CPU $(ms $((w1 - w0))) ms, server CPU $(ms $((s1 - s0))) ms"
  psql "SELECT '  ' || calls || ' calls, ' || round(total_exec_time::numeric, 1) || ' ms: '
          || left(regexp_replace(query, '\s+', ' ', 'g'), 60)
        FROM pg_stat_statements WHERE calls > 0 ORDER BY total_exec_time DESC LIMIT 6"
  for pid in "${worker_pids[@]}"; do kill -TERM "$pid"; done
  for pid in "${worker_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  worker_pids=()
done

psql "TRUNCATE builds CASCADE" 2>/dev/null
s0=$(server_ticks)
/usr/bin/time -f "local -j 3, PostgreSQL: %e s wall, jcrun and jobs %U s user %S s sys" \
  "$jcrun" -C "$project" --storage "$url" build-outdated -q -j 3
sleep 0.2
echo "  server CPU $(ms $(($(server_ticks) - s0))) ms"
/usr/bin/time -f "local -j 3, SQLite: %e s wall, jcrun and jobs %U s user %S s sys" \
  "$jcrun" -C "$project" --storage "$dir/state.db" build-outdated -q -j 3
