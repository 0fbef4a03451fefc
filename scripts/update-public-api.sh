#!/usr/bin/env bash
# Regenerates PublicAPI.Unshipped.txt of every shipped library under src/ from its current public API, with the
# PublicApiAnalyzers' own code fixes (RS0016 adds what is missing, RS0017 removes what no longer exists). Run it after an
# intended public API change (or after merging one) and review the diff of the PublicAPI.*.txt files.
# Usage: scripts/update-public-api.sh [project directory under src/ ...]   (default: every one)
set -euo pipefail
cd "$(dirname "$0")/.."

projects=("$@")
if [ ${#projects[@]} -eq 0 ]; then
  for csproj in src/*/*.csproj; do
    grep -q '<IsRoslynComponent>true</IsRoslynComponent>' "$csproj" && continue   # the source generator: no public API
    projects+=("$(dirname "$csproj")")
  done
fi

for dir in "${projects[@]}"; do
  for file in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [ -f "$dir/$file" ] || printf '#nullable enable\n' >"$dir/$file"
  done
  echo "[update-public-api] $dir" >&2
  # --severity info: the analyzers report these as warnings; the fixer runs for every diagnostic at least this severe.
  dotnet format analyzers "$dir" --diagnostics RS0016 RS0017 --severity info --verbosity quiet
done
git status --short -- 'src/*/PublicAPI.*.txt' >&2 || true
