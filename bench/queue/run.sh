#!/usr/bin/env bash
# Queue benchmarks against a throwaway PostgreSQL 15 cluster (fsync on, as in production).
# Usage: bench/queue/run.sh [all|claims|latency|idle|recovery|compare]   (JOBS, WORKERS, SLOTS, PG_OPTS override)
# compare: the platform queue and Hangfire.PostgreSql side by side in one run (docs/decisions/0024).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pg_bin=/usr/lib/postgresql/15/bin
dir=$(mktemp -d /var/tmp/platform-bench-pg.XXXXXX)
port=${PORT:-56600}
while (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$dir/data" "$dir/run"; [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"; chmod 700 "$dir/data"
as_pg "$pg_bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start -o "-p $port -k $dir/run -c listen_addresses=127.0.0.1 -c max_connections=200 ${PG_OPTS:-}" >/dev/null
trap 'as_pg "$pg_bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; rm -rf "$dir"' EXIT
dotnet build "$here/QueueBench.csproj" -c Release -o "$here/../out/queue" -v q -nologo >/dev/null
dotnet "$here/../out/queue/QueueBench.dll" "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres" "${1:-all}"
