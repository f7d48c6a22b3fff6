#!/usr/bin/env bash
# PostgreSQL's own time per statement for any PostgreSQL bench: starts a private cluster with
# pg_stat_statements on a free loopback port, runs `npm run bench -- <args>` against it, prints the
# statements by total execution time (mean per call, buffers per call), and removes the cluster.
# The shared server is never touched.
#
#   bench/pg-statements.sh outbound --engine postgres --rates 300 --seconds 10
#   bench/pg-statements.sh inbound --engine postgres --large-mib 0 --stages 0
#
# Needs PostgreSQL's server binaries (Debian: postgresql); as root, the cluster runs as `postgres`.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -gt 0 ] || { echo "usage: bench/pg-statements.sh <bench> [options]   e.g. outbound --engine postgres" >&2; exit 2; }
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PGBIN/initdb" ] || { echo "pg-statements: no PostgreSQL server binaries (set PGBIN, or apt-get install postgresql)" >&2; exit 1; }

dir=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
run_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
cleanup() { run_pg "'$PGBIN/pg_ctl' -D '$dir/data' -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT

run_pg "'$PGBIN/initdb' -D '$dir/data' -A trust -U root" >/dev/null
run_pg "'$PGBIN/pg_ctl' -D '$dir/data' -l '$dir/log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all\" start" >/dev/null
url="postgres://root@127.0.0.1:$port"
psql -q "$url/postgres" -c 'create database test' -c 'create extension pg_stat_statements'

E2A_BENCH_DATABASE_URL="$url/test" npm run --silent bench -- "$@"

echo
echo "PostgreSQL's time per statement (pg_stat_statements, the whole bench: warm-up and set-up included)"
psql "$url/postgres" -c "
  select calls,
         round(total_exec_time::numeric, 0) as total_ms,
         round(mean_exec_time::numeric, 3) as mean_ms,
         round((shared_blks_hit + shared_blks_read)::numeric / greatest(calls, 1), 1) as buffers_per_call,
         rows,
         left(regexp_replace(query, '\s+', ' ', 'g'), 100) as statement
    from pg_stat_statements
   where query not ilike '%pg_stat_statements%'
   order by total_exec_time desc
   limit 15"
