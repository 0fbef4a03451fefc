#!/usr/bin/env bash
# Runs every test of Hipaa.Sdk on a fresh machine: installs SoftHSM2 and Chromium when missing, starts a throwaway PostgreSQL
# cluster on a free loopback port and a throwaway SoftHSM2 token, runs `dotnet test` on the solution, and removes
# everything it made — also when the tests fail or the script is interrupted.
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Encryption]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

work=$(mktemp -d /tmp/hipaa-test.XXXXXX)
chmod 755 "$work"
# shellcheck source=scripts/lib/throwaway-postgres.sh
. "$root/scripts/lib/throwaway-postgres.sh"

cleanup() {
  local code=$?
  stop_throwaway_postgres
  rm -rf "$work"
  exit $code
}
trap cleanup EXIT INT TERM

log() { printf '[test.sh] %s\n' "$*" >&2; }

# --- SoftHSM2 (PKCS#11) -------------------------------------------------------------------------------------------
softhsm_lib=""
for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
  [ -f "$candidate" ] && softhsm_lib=$candidate && break
done
if [ -z "$softhsm_lib" ] || ! command -v softhsm2-util >/dev/null; then
  log "installing softhsm2"
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2) </dev/null >"$work/apt.log" 2>&1 \
      || { log "apt-get install softhsm2 failed:"; tail -20 "$work/apt.log" >&2; }
  else
    (sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2) </dev/null >"$work/apt.log" 2>&1 \
      || log "could not install softhsm2 (no root); PKCS#11 tests will report it"
  fi
  for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
    [ -f "$candidate" ] && softhsm_lib=$candidate && break
  done
fi
if [ -n "$softhsm_lib" ]; then
  mkdir -p "$work/softhsm/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/softhsm/tokens" >"$work/softhsm/softhsm2.conf"
  export SOFTHSM2_CONF="$work/softhsm/softhsm2.conf"
  softhsm2-util --init-token --free --label hipaa-test --so-pin 87654321 --pin 1234 >/dev/null
  export HIPAA_TEST_PKCS11_LIBRARY="$softhsm_lib"
  export HIPAA_TEST_PKCS11_TOKEN=hipaa-test
  export HIPAA_TEST_PKCS11_PIN=1234
  log "SoftHSM2 token 'hipaa-test' ready ($softhsm_lib)"
fi

# --- Chromium (the sample clinic's browser tests, driven by Playwright) ------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
  log "installing chromium"
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) </dev/null >"$work/apt-chromium.log" 2>&1 \
      || { log "apt-get install chromium failed:"; tail -20 "$work/apt-chromium.log" >&2; }
  else
    (sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) </dev/null >"$work/apt-chromium.log" 2>&1 \
      || log "could not install chromium (no root); the browser tests will report it"
  fi
fi
if [ -x /usr/bin/chromium ]; then
  export HIPAA_TEST_CHROMIUM=/usr/bin/chromium
  log "Chromium ready (/usr/bin/chromium)"
fi

# --- PostgreSQL (throwaway cluster on a free loopback port) -----------------------------------------------------
pg_status=0
start_throwaway_postgres "$work" || pg_status=$?
if [ "$pg_status" -eq 1 ]; then
  log "no PostgreSQL server binaries: the PostgreSQL tests will report it"
elif [ "$pg_status" -ne 0 ]; then
  exit 1
fi

# --- Tests ----------------------------------------------------------------------------------------------------------
results="$work/results"
set +e
dotnet test "$root/Hipaa.Sdk.sln" -c Release --nologo \
  --logger "trx" --results-directory "$results" \
  --logger "console;verbosity=minimal" "$@" </dev/null
status=$?
set -e

# One plain closing line for every test assembly together.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${n:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "Tests: $passed passed, $failed failed, $skipped skipped"
exit $status
