#!/usr/bin/env bash
# Fashion-MNIST: mlp-28-grey vs cnn-28-grey on the same subset and the same budget, then each model's
# serving options (platform, ONNX, int8: size, validation accuracy, latency) from its serving.json.
# usage: bench/mlp-vs-cnn/run.sh [OUT] [TRAIN_PER_LABEL] [TEST_PER_LABEL] [EPOCHS]
# The build machine is shared: the default is a subset (500 + 200 images per label) and 5 epochs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-/tmp/bench-mlp-vs-cnn}; TRAIN=${2:-500}; TEST=${3:-200}; EPOCHS=${4:-5}
[ -d "$OUT/all/train" ] || /usr/bin/python3 "$ROOT/bench/fashion_mnist_to_png.py" "$OUT/all" >/dev/null
# head closes the pipe early: not an error here.
set +o pipefail
for split in "train:$TRAIN" "test:$TEST"; do
  s=${split%%:*}; n=${split##*:}
  for d in "$OUT"/all/$s/*/; do
    l=$(basename "$d"); mkdir -p "$OUT/sub/$s/$l"
    ls "$d" | sort | head -"$n" | while read -r f; do ln -f "$d/$f" "$OUT/sub/$s/$l/$f"; done
  done
done
set -o pipefail
for preset in mlp-28-grey cnn-28-grey; do
  start=$(date +%s)
  "$ROOT/platform" cli train --data "$OUT/sub/train" --base "$preset" --out "$OUT/$preset" --epochs "$EPOCHS" --threads 2 2>/dev/null | tail -2
  echo "$preset: $(( $(date +%s) - start )) s wall"
  "$ROOT/platform" cli eval --model "$OUT/$preset" --data "$OUT/sub/test" --output "$OUT/$preset-test.json" | head -1
  /usr/bin/python3 -c "import json,sys; [print(' ', v) for v in json.load(open(sys.argv[1]))['variants']]" "$OUT/$preset/serving.json"
done
