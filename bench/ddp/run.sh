#!/usr/bin/env bash
# Data-parallel training (issue 20, decision 0043): samples/s of cnn-28-grey on a Fashion-MNIST subset
# with 1 rank (2 threads, then 1 thread) and with 2 ranks of 1 thread each on this machine, plus each
# rank's communication share (time in the steps' collectives / time in steps, from the rank's log).
# Samples/s = training images of an epoch / that epoch's seconds (rank 0's "epoch N: ... X s" line;
# validation excluded), for the last epoch.
# usage: bench/ddp/run.sh [OUT] [IMAGES_PER_LABEL] [EPOCHS] [BATCH] [PORT]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-/tmp/bench-ddp}; PER_LABEL=${2:-200}; EPOCHS=${3:-2}; BATCH=${4:-64}; PORT=${5:-29549}
CLI=("$ROOT/platform" cli)

[ -d "$OUT/all/train" ] || /usr/bin/python3 "$ROOT/bench/fashion_mnist_to_png.py" "$OUT/all" >/dev/null
set +o pipefail   # head closes the pipe early: not an error here
for d in "$OUT"/all/train/*/; do
  l=$(basename "$d"); mkdir -p "$OUT/sub/$l"
  ls "$d" | sort | head -"$PER_LABEL" | while read -r f; do ln -f "$d/$f" "$OUT/sub/$l/$f"; done
done
set -o pipefail
images=$(find "$OUT/sub" -name '*.png' | wc -l)
train=$(( images - images / 10 ))   # the default 10 % validation split (stratified; exact here: 10 labels)

common=(--data "$OUT/sub" --base cnn-28-grey --epochs "$EPOCHS" --batch-size "$BATCH" --patience 0)

report() { # name log...
  local name=$1; shift
  local seconds; seconds=$(grep -h '^epoch [0-9]*: train loss' "$1" | tail -1 | sed -E 's/.* ([0-9.]+) s$/\1/')
  printf '%s: %s training images in %s s (last epoch) = %s samples/s\n' "$name" "$train" "$seconds" \
    "$(awk -v n="$train" -v s="$seconds" 'BEGIN { printf "%.1f", n / s }')"
  grep -h 'data-parallel: rank .* communication' "$@" | sed 's/^/  /' || true
}

rm -rf "$OUT"/run-*
"${CLI[@]}" train "${common[@]}" --out "$OUT/run-1x2" --threads 2 2>"$OUT/1x2.log" >/dev/null
report "1 rank, 2 threads" "$OUT/1x2.log"
"${CLI[@]}" train "${common[@]}" --out "$OUT/run-1x1" --threads 1 2>"$OUT/1x1.log" >/dev/null
report "1 rank, 1 thread" "$OUT/1x1.log"
for rank in 0 1; do
  "${CLI[@]}" train "${common[@]}" --out "$OUT/run-2x1-$rank" --threads 1 \
    --rank "$rank" --world-size 2 --master "127.0.0.1:$PORT" 2>"$OUT/2x1-$rank.log" >/dev/null &
done
wait
report "2 ranks, 1 thread each" "$OUT/2x1-0.log" "$OUT/2x1-1.log"
