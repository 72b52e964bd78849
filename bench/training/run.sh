#!/usr/bin/env bash
# Training-step throughput, C# binding vs PyTorch 1.13 on the same libtorch, and the memory run.
# Usage: bench/training/run.sh [throughput|memory] [bert|cnn ...]   (THREADS, STEPS, WARMUP, BATCH, ROUNDS override)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode="${1:-throughput}"; shift || true
workloads=("${@:-cnn bert}")
threads="${THREADS:-2}"
"$here/../../src/Platform.Training/native/build.sh" >/dev/null
dotnet build "$here/TrainingBench.csproj" -c Release -o "$here/../out/training" -v q -nologo >/dev/null
bench="$here/../out/training/TrainingBench"
for w in ${workloads[@]}; do
  if [[ "$mode" == "memory" ]]; then
    "$bench" memory "$w" --threads "$threads" --steps "${STEPS:-2000}" --warmup "${WARMUP:-20}" ${BATCH:+--batch "$BATCH"}
  else
    # Alternate the two sides for ROUNDS rounds: on a shared machine other load shifts between runs.
    cs_all=(); py_all=()
    for ((r = 1; r <= ${ROUNDS:-3}; r++)); do
      cs=$("$bench" throughput "$w" --threads "$threads" --steps "${STEPS:-10}" ${BATCH:+--batch "$BATCH"} | tail -1)
      py=$(/usr/bin/python3 "$here/pytorch_bench.py" "$w" --threads "$threads" --steps "${STEPS:-10}" ${BATCH:+--batch "$BATCH"} | tail -1)
      echo "$cs"; echo "$py"
      cs_all+=("$(sed -E 's/.*samples_per_s=([0-9.]+).*/\1/' <<<"$cs")")
      py_all+=("$(sed -E 's/.*samples_per_s=([0-9.]+).*/\1/' <<<"$py")")
    done
    /usr/bin/python3 - "$w" "${cs_all[*]}" "${py_all[*]}" <<'PY'
import statistics, sys
w, cs, py = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
print(f"ratio {w} csharp/pytorch samples/s: median-of-rounds {statistics.median(cs) / statistics.median(py):.3f}, best-of-rounds {max(cs) / max(py):.3f}")
PY
  fi
done
