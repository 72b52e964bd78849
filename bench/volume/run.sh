#!/usr/bin/env bash
# A year of a busy tenant's data (issue 15): seed it into the database of a running portal, then time
# every page and API list on it. Start the portal first (it seeds the demo logins):
#   PLATFORM_URL=http://127.0.0.1:5108 PLATFORM_PG_PORT=55508 PLATFORM_DATA_DIR=/var/tmp/volume ./platform up
# then: bench/volume/run.sh seed [--scale 1.0]   and   bench/volume/run.sh measure [--runs 30] [--out FILE]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port=${PLATFORM_PG_PORT:-55432}
url=${PLATFORM_URL:-http://127.0.0.1:5080}
# PLATFORM_DB: another database of the cluster (a second, smaller seed to compare against).
conn="Host=127.0.0.1;Port=$port;Username=postgres;Database=${PLATFORM_DB:-platform};Command Timeout=0"
dotnet build "$here/VolumeBench.csproj" -c Release -o "$here/../out/volume" -v q -nologo -clp:ErrorsOnly >/dev/null
cmd=${1:?usage: run.sh seed|measure [options]}; shift
case "$cmd" in
  seed) dotnet "$here/../out/volume/Platform.Volume.Bench.dll" seed "$conn" "$@" ;;
  measure) dotnet "$here/../out/volume/Platform.Volume.Bench.dll" measure "$conn" "$url" "$@" ;;
  *) echo "usage: run.sh seed|measure [options]" >&2; exit 2 ;;
esac
