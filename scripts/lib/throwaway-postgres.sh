# Sourced by scripts/test.sh and scripts/with-postgres.sh: a throwaway PostgreSQL cluster on a free loopback port.
#   start_throwaway_postgres WORKDIR   -> exports HIPAA_TEST_POSTGRES, or returns 1 when no server binaries exist
#   stop_throwaway_postgres            -> stops it (safe to call twice, also when it never started)
_pg_ctl=""
_pg_data=""
_pg_run_as=()

start_throwaway_postgres() {
  local work=$1
  local pg_bin
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$pg_bin" ] && [ "$(id -u)" = 0 ]; then
    echo "[postgres] installing postgresql" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) </dev/null >"$work/apt-pg.log" 2>&1 || true
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  [ -n "$pg_bin" ] || return 1
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    _pg_run_as=(runuser -u postgres --)
  else
    _pg_run_as=()
  fi
  _pg_data="$work/pg"
  mkdir -p "$_pg_data" "$work/pgsock"
  [ "$(id -u)" = 0 ] && chown postgres "$_pg_data" "$work/pgsock"
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  "${_pg_run_as[@]}" "$pg_bin/initdb" -D "$_pg_data" -A trust -U hipaa --encoding=UTF8 --locale=C.UTF-8 >"$work/pgsock/initdb.log" 2>&1 \
    || { echo "[postgres] initdb failed:" >&2; cat "$work/pgsock/initdb.log" >&2; return 2; }
  _pg_ctl="$pg_bin/pg_ctl"
  "${_pg_run_as[@]}" "$_pg_ctl" -D "$_pg_data" -l "$work/pgsock/pg.log" -w \
    -o "-p $port -k $work/pgsock -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >/dev/null \
    || { echo "[postgres] did not start:" >&2; cat "$work/pgsock/pg.log" >&2; return 2; }
  export HIPAA_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=hipaa;Database=postgres;Pooling=true"
  echo "[postgres] ready on 127.0.0.1:$port" >&2
}

stop_throwaway_postgres() {
  if [ -n "$_pg_ctl" ] && [ -f "$_pg_data/postmaster.pid" ]; then
    "${_pg_run_as[@]}" "$_pg_ctl" -D "$_pg_data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  _pg_ctl=""
}
