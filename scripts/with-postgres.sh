#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster (HIPAA_TEST_POSTGRES exported), then removes the cluster.
# Used for the PostgreSQL benchmarks:  scripts/with-postgres.sh dotnet run -c Release --project benchmarks/Hipaa.Benchmarks -- --filter '*Append*'
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/hipaa-pg.XXXXXX)
chmod 755 "$work"
# shellcheck source=scripts/lib/throwaway-postgres.sh
. "$root/scripts/lib/throwaway-postgres.sh"
trap 'code=$?; stop_throwaway_postgres; rm -rf "$work"; exit $code' EXIT INT TERM
start_throwaway_postgres "$work" || { echo "PostgreSQL could not be started." >&2; exit 1; }
"$@"
