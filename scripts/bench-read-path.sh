#!/usr/bin/env bash
# The read-path benchmark of issue 13 (docs/benchmarks-audit.md, "Session 4"): builds the benchmark project, starts a
# throwaway PostgreSQL cluster on a free loopback port (HIPAA_TEST_POSTGRES exported; fsync=off, see
# scripts/lib/throwaway-postgres.sh), runs `--read-path` on SQLite in memory and PostgreSQL in one process, and removes
# the cluster — also when the run fails or is interrupted.
# Usage: scripts/bench-read-path.sh [rounds, default 30] [Sqlite|Postgres ...] [seconds=S] [throughput-rounds=N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/hipaa-bench-read-path.XXXXXX)
chmod 755 "$work"
# shellcheck source=scripts/lib/throwaway-postgres.sh
. "$root/scripts/lib/throwaway-postgres.sh"
trap 'code=$?; stop_throwaway_postgres; rm -rf "$work"; exit $code' EXIT INT TERM

dotnet build "$root/benchmarks/Hipaa.Benchmarks.Auditing" -c Release --nologo -v q </dev/null >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 1; }
start_throwaway_postgres "$work" || { echo "PostgreSQL could not be started." >&2; exit 1; }
echo "[bench-read-path] $(uptime)" >&2
args=("$@")
# Both providers unless the caller named some.
if ! printf '%s\n' "${args[@]+"${args[@]}"}" | grep -qiE '^(sqlite|postgres)$'; then args+=(Sqlite Postgres); fi
dotnet run -c Release --no-build --project "$root/benchmarks/Hipaa.Benchmarks.Auditing" -- --read-path "${args[@]}" </dev/null
echo "[bench-read-path] $(uptime)" >&2
