#!/usr/bin/env bash
# Memory per Blazor Server circuit and progress-to-browser latency (issue 17). Start the portal first, with
# no job worker (the bench writes the jobs' progress itself) and the demo seed, e.g.:
#   PLATFORM_URL=http://127.0.0.1:5170 PLATFORM_PG_PORT=55570 PLATFORM_DATA_DIR=/var/tmp/circuits Worker__InProcess=false ./platform up
# then: bench/circuits/run.sh [--pages 200] [--jobs 20] [--batch 20] [--watch 30] [--out FILE]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port=${PLATFORM_PG_PORT:-55432}
url=${PLATFORM_URL:-http://127.0.0.1:5080}
conn="Host=127.0.0.1;Port=$port;Username=postgres;Database=${PLATFORM_DB:-platform}"
# The portal's process: whoever listens on the URL's port.
web_port=$(sed -E 's#.*:([0-9]+)/?$#\1#' <<<"$url")
pid=$(ss -ltnpH "sport = :$web_port" | grep -oE 'pid=[0-9]+' | head -1 | cut -d= -f2)
[ -n "$pid" ] || { echo "nothing listens on port $web_port: start the portal first (see the top of this script)" >&2; exit 1; }
# dotnet-gcdump from the NuGet registry, into bench/out (ignored), once.
tools=$here/../out/tools
[ -x "$tools/dotnet-gcdump" ] || dotnet tool install --tool-path "$tools" dotnet-gcdump --version 10.0.750501 >/dev/null
dotnet build "$here/CircuitBench.csproj" -c Release -o "$here/../out/circuits" -v q -nologo -clp:ErrorsOnly >/dev/null
exec dotnet "$here/../out/circuits/Platform.Circuits.Bench.dll" "$url" "$conn" "$pid" --gcdump "$tools/dotnet-gcdump" "$@"
