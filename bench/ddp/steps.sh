#!/usr/bin/env bash
# Per-step view of data-parallel training (bench/training's ddp mode): median compute, wait for the
# slower rank, and gradient all-reduce time per step, for 1 rank x 2 threads (global batch B) and
# 2 ranks x 1 thread (B/2 each), on the same fixed random batch of the bench workloads.
# usage: bench/ddp/steps.sh [cnn|bert] [GLOBAL_BATCH] [STEPS] [PORT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
w=${1:-cnn}; B=${2:-64}; STEPS=${3:-20}; PORT=${4:-29546}
"$here/../../src/Platform.Training/native/build.sh" >/dev/null
dotnet build "$here/../training/TrainingBench.csproj" -c Release -o "$here/../out/training" -v q -nologo >/dev/null
bench="$here/../out/training/TrainingBench"
"$bench" ddp "$w" --rank 0 --world-size 1 --port "$PORT" --threads 2 --steps "$STEPS" --batch "$B" | tail -1
for r in 0 1; do
  "$bench" ddp "$w" --rank "$r" --world-size 2 --port "$PORT" --threads 1 --steps "$STEPS" --batch $(( B / 2 )) | tail -1 &
done
wait
