#!/usr/bin/env bash
# Tabular bench: the platform's tabular-mlp vs scikit-learn on the same split of a table Debian ships.
# usage: bench/tabular/run.sh [OUT]   (needs python3-sklearn, in ./platform's apt list)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-/tmp/bench-tabular}
/usr/bin/python3 "$ROOT/bench/tabular/prepare.py" "$OUT"
for preset in fast balanced; do
  "$ROOT/platform" cli train --data "$OUT/train.csv" --base tabular-mlp --target diagnosis --out "$OUT/$preset" \
    --preset "$preset" --threads 1 2>/dev/null | tail -3
  "$ROOT/platform" cli eval --model "$OUT/$preset" --data "$OUT/test.csv" --output "$OUT/$preset-test.json" | head -1
  /usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('serving', json.dumps(r['variants']))" "$OUT/$preset/serving.json"
done
