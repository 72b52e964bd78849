#!/usr/bin/env bash
# Training-step throughput, C# binding vs PyTorch 1.13 on the same libtorch, and the memory run.
# Usage: bench/training/run.sh [throughput|memory] [bert|cnn ...]   (THREADS, STEPS override)
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
    "$bench" memory "$w" --threads "$threads" --steps "${STEPS:-2000}"
  else
    cs=$("$bench" throughput "$w" --threads "$threads" --steps "${STEPS:-10}" | tail -1)
    py=$(/usr/bin/python3 "$here/pytorch_bench.py" "$w" --threads "$threads" --steps "${STEPS:-10}" | tail -1)
    echo "$cs"; echo "$py"
    c=$(sed -E 's/.*samples_per_s=([0-9.]+).*/\1/' <<<"$cs"); p=$(sed -E 's/.*samples_per_s=([0-9.]+).*/\1/' <<<"$py")
    echo "ratio $w csharp/pytorch = $(python3 -c "print(f'{$c/$p:.3f}')")"
  fi
done
