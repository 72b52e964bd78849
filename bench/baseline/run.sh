#!/usr/bin/env bash
# The linear text baseline on the fortunes split: the default fit (C chosen on the training split) and
# the grid of featurisations behind docs/decisions/0017. Usage: bench/baseline/run.sh [full|grid] [args]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data=${FORTUNES:-/tmp/fortunes}
[ -f "$data/train.csv" ] || /usr/bin/python3 "$here/../fortunes_to_csv.py" "$data"
dotnet build "$here/BaselineBench.csproj" -c Release -o "$here/../out/baseline" -v q -nologo >/dev/null
mode=${1:-full}; [ $# -gt 0 ] && shift
exec "$here/../out/baseline/BaselineBench" "$mode" "$data/train.csv" "$data/test.csv" "$@"
