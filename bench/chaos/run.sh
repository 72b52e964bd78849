#!/usr/bin/env bash
# The chaos suite's longer run (tests/Platform.Jobs.Tests/ChaosTests.cs, which CI runs at a small size):
# real worker processes training CNN jobs against a throwaway PostgreSQL 15 cluster of the test's own,
# with SIGKILLs of workers, PostgreSQL outages longer than the lease and spells of a read-only artifact
# store, each fired when the jobs reach a point of their own (a run's claim, its checkpoint, mid-epoch),
# spread over about half of the jobs' work. Prints the fault log and the reconciliation (results:
# bench/RESULTS.md).
# Usage: bench/chaos/run.sh   (JOBS=20 WORKERS=3 EPOCHS=8 KILLS=30 OUTAGES=2 READONLY=2 SEED=... override)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PLATFORM_CHAOS_JOBS=${JOBS:-20} PLATFORM_CHAOS_WORKERS=${WORKERS:-3} PLATFORM_CHAOS_EPOCHS=${EPOCHS:-8}
export PLATFORM_CHAOS_KILLS=${KILLS:-30} PLATFORM_CHAOS_OUTAGES=${OUTAGES:-2} PLATFORM_CHAOS_READONLY=${READONLY:-2}
export PLATFORM_CHAOS_SEED=${SEED:-$RANDOM}
export PLATFORM_CHAOS_REPORT=${REPORT:-$root/bench/out/chaos-$(date -u +%Y%m%dT%H%M%SZ).log}
mkdir -p "$(dirname "$PLATFORM_CHAOS_REPORT")"
[ "${BUILD:-1}" = 0 ] || dotnet build "$root/tests/Platform.Jobs.Tests" -c "${CONFIG:-Debug}" -nologo -clp:ErrorsOnly -v:q
dotnet test "$root/tests/Platform.Jobs.Tests" -c "${CONFIG:-Debug}" --no-build -nologo \
  --filter "FullyQualifiedName~ChaosTests" --logger "console;verbosity=detailed"
echo "fault log and reconciliation: $PLATFORM_CHAOS_REPORT"
cat "$PLATFORM_CHAOS_REPORT"
