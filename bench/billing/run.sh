#!/usr/bin/env bash
# Billing benchmarks (ledger ingest, aggregation, period close) against a throwaway PostgreSQL 15 cluster (fsync on, as in production).
# Usage: bench/billing/run.sh   (SEGMENTS, TENANTS override; defaults 1000000 and 100; PORT the cluster's, 56610)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pg_bin=/usr/lib/postgresql/15/bin
dir=$(mktemp -d /var/tmp/platform-bench-pg.XXXXXX)
port=${PORT:-56610}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$dir/data" "$dir/run"; [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"; chmod 700 "$dir/data"
as_pg "$pg_bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start -o "-p $port -k $dir/run -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
trap 'as_pg "$pg_bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; rm -rf "$dir"' EXIT
dotnet build "$here/BillingBench.csproj" -c Release -o "$here/../out/billing" -v q -nologo >/dev/null
dotnet "$here/../out/billing/Platform.Billing.Bench.dll" "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
