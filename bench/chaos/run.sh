#!/usr/bin/env bash
# The chaos suite's longer run (tests/Platform.Jobs.Tests/ChaosTests.cs): real worker processes training
# CNN jobs against a throwaway PostgreSQL 15 cluster of the test's own, with random SIGKILLs of workers,
# PostgreSQL outages longer than the lease and spells of a read-only artifact store. Prints the fault
# log and the reconciliation (results: bench/RESULTS.md).
# Usage: bench/chaos/run.sh   (JOBS=20 WORKERS=3 MINUTES=15 EPOCHS=24 SEED=... override)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PLATFORM_CHAOS_JOBS=${JOBS:-20} PLATFORM_CHAOS_WORKERS=${WORKERS:-3} PLATFORM_CHAOS_MINUTES=${MINUTES:-15}
export PLATFORM_CHAOS_EPOCHS=${EPOCHS:-24} PLATFORM_CHAOS_SEED=${SEED:-$RANDOM}
export PLATFORM_CHAOS_REPORT=${REPORT:-$root/bench/out/chaos-$(date -u +%Y%m%dT%H%M%SZ).log}
mkdir -p "$(dirname "$PLATFORM_CHAOS_REPORT")"
dotnet build "$root/tests/Platform.Jobs.Tests" -c "${CONFIG:-Debug}" -nologo -clp:ErrorsOnly -v:q
dotnet test "$root/tests/Platform.Jobs.Tests" -c "${CONFIG:-Debug}" --no-build -nologo \
  --filter "FullyQualifiedName~ChaosTests" --logger "console;verbosity=detailed"
echo "fault log and reconciliation: $PLATFORM_CHAOS_REPORT"
cat "$PLATFORM_CHAOS_REPORT"
