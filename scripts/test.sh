#!/usr/bin/env bash
# Runs every test of Hipaa.Sdk on a fresh machine: installs SoftHSM2 when missing, starts a throwaway PostgreSQL
# cluster on a free loopback port and a throwaway SoftHSM2 token, runs `dotnet test` on the solution, and removes
# everything it made — also when the tests fail or the script is interrupted.
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Encryption]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

work=$(mktemp -d /tmp/hipaa-test.XXXXXX)
chmod 755 "$work"
pg_data="$work/pg"
pg_ctl=""
run_as_pg=()

cleanup() {
  local code=$?
  if [ -n "$pg_ctl" ] && [ -f "$pg_data/postmaster.pid" ]; then
    "${run_as_pg[@]}" "$pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
  fi
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

# --- PostgreSQL (throwaway cluster on a free loopback port) -----------------------------------------------------
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] && [ "$(id -u)" = 0 ]; then
  log "installing postgresql"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) </dev/null >"$work/apt-pg.log" 2>&1 || true
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -n "$pg_bin" ]; then
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    run_as_pg=(runuser -u postgres --)
  else
    run_as_pg=()
  fi
  mkdir -p "$pg_data" "$work/pgsock"
  [ "$(id -u)" = 0 ] && chown postgres "$pg_data" "$work/pgsock"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  "${run_as_pg[@]}" "$pg_bin/initdb" -D "$pg_data" -A trust -U hipaa --encoding=UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 \
    || { log "initdb failed:"; cat "$work/initdb.log" >&2; exit 1; }
  pg_ctl="$pg_bin/pg_ctl"
  "${run_as_pg[@]}" "$pg_ctl" -D "$pg_data" -l "$work/pgsock/pg.log" -w \
    -o "-p $port -k $work/pgsock -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >/dev/null \
    || { log "PostgreSQL did not start:"; cat "$work/pgsock/pg.log" >&2; exit 1; }
  export HIPAA_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=hipaa;Database=postgres;Pooling=true"
  log "PostgreSQL ready on 127.0.0.1:$port"
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
