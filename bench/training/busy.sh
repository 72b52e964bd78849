#!/usr/bin/env bash
# Training throughput on a busy machine: the C# trainer's step with libtorch's OpenMP threads spinning
# (OMP_WAIT_POLICY=ACTIVE, GNU's default) against the platform's default PASSIVE, and with fewer threads,
# while LOAD other processes keep cores busy (the worker's neighbours: another slot, the portal, a build).
# Usage: bench/training/busy.sh [cnn|bert]   (LOAD busy processes, default 1; STEPS, ROUNDS)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workload="${1:-cnn}"
cores=$(nproc)
"$here/../../src/Platform.Training/native/build.sh" >/dev/null
dotnet build "$here/TrainingBench.csproj" -c Release -o "$here/../out/training" -v q -nologo >/dev/null
bench="$here/../out/training/TrainingBench"
pids=()
for ((i = 0; i < ${LOAD:-1}; i++)); do (while :; do :; done) & pids+=($!); done
trap 'kill ${pids[*]} 2>/dev/null' EXIT
echo "machine: $cores cores, ${LOAD:-1} busy processes beside the benchmark"
for ((r = 1; r <= ${ROUNDS:-3}; r++)); do
  for setting in "ACTIVE $cores" "PASSIVE $cores" "PASSIVE $((cores > 1 ? cores - 1 : 1))"; do
    read -r policy threads <<<"$setting"
    result=$(OMP_WAIT_POLICY=$policy "$bench" throughput "$workload" --threads "$threads" --steps "${STEPS:-20}" | tail -1)
    echo "round $r OMP_WAIT_POLICY=$policy threads=$threads $result"
  done
done
