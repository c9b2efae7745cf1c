#!/usr/bin/env bash
# A real PostgreSQL 15 server (Debian's binaries) for the tests, run as the unprivileged
# `postgres` user (initdb refuses root). Data is kept across stop/start; `reset` deletes it.
# Usage: test/servers/postgres.sh start|stop|url|reset
# Env: PG_TEST_PORT (55432), PG_TEST_DIR (default /tmp/shipay-pg-<port>), PG_BIN, PG_TEST_USER
set -euo pipefail
port="${PG_TEST_PORT:-55432}"
dir="${PG_TEST_DIR:-/tmp/shipay-pg-$port}"
bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
os_user="${PG_TEST_USER:-postgres}"
db_user=shipay db_pass=shipay db_name=shipay

as_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$os_user" -- "$@"; else "$@"; fi
}

start() {
  [ -x "$bin/pg_ctl" ] || { echo "postgres: $bin/pg_ctl not found; install it: apt-get install postgresql-15" >&2; exit 4; }
  if as_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    echo "postgres: already running on 127.0.0.1:$port"; return 0
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown "$os_user" "$dir"
    local pw="$dir/pwfile"
    as_user sh -c "umask 077; echo '$db_pass' > '$pw'"
    as_user "$bin/initdb" -D "$dir/data" -U "$db_user" --pwfile="$pw" --auth=scram-sha-256 \
      -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$pw"
  fi
  as_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
  if ! PGPASSWORD="$db_pass" "$bin/psql" -h 127.0.0.1 -p "$port" -U "$db_user" -d postgres -tAc \
    "select 1 from pg_database where datname='$db_name'" | grep -q 1; then
    PGPASSWORD="$db_pass" "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$db_user" "$db_name"
  fi
  echo "postgres: started on 127.0.0.1:$port (log $dir/postgres.log)"
}

stop() {
  if as_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    echo "postgres: stopped"
  else
    echo "postgres: not running"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "postgresql://$db_user:$db_pass@127.0.0.1:$port/$db_name" ;;
  reset) stop; rm -rf "$dir"; echo "postgres: data removed" ;;
  *) echo "usage: $0 start|stop|url|reset" >&2; exit 2 ;;
esac
