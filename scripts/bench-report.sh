#!/usr/bin/env bash
# Regenerates benchmarks/README.md's results table and benchmarks/results.svg in one command: runs the BenchmarkDotNet
# benchmarks of benchmarks/Hipaa.Benchmarks (field cipher vs raw AES-GCM and Data Protection, EF Core queries and new-
# patient inserts vs plain EF Core — each case against its plain baseline in the same run) with JSON reports, then writes
# the table and the chart from those reports. Run it on a quiet machine: other load skews the ratios.
# Usage: scripts/bench-report.sh [job, default short: short|medium|default] [extra BenchmarkDotNet arguments]
# Takes ~15 minutes with the short job on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
job=${1:-short}
shift || true
artifacts=$(mktemp -d /tmp/hipaa-bench-report.XXXXXX)
trap 'rm -rf "$artifacts"' EXIT INT TERM

echo "[bench-report] $(uptime)" >&2
dotnet build "$root/benchmarks/Hipaa.Benchmarks" -c Release --nologo -v q </dev/null >"$artifacts/build.log" 2>&1 \
  || { cat "$artifacts/build.log" >&2; exit 1; }
dotnet run -c Release --no-build --project "$root/benchmarks/Hipaa.Benchmarks" -- \
  --filter '*FieldCipherBenchmarks*' '*EfQueryBenchmarks*' '*EfInsertBenchmarks*' \
  --job "$job" --exporters json --artifacts "$artifacts/bdn" "$@" </dev/null
dotnet run -c Release --no-build --project "$root/benchmarks/Hipaa.Benchmarks" -- --report "$artifacts/bdn/results" "$root/benchmarks"
echo "[bench-report] done: benchmarks/README.md and benchmarks/results.svg ($(uptime))" >&2
