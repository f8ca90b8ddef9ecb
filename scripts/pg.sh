#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for tests, built from the machine's own binaries.
#
#   scripts/pg.sh start DIR   initdb into DIR (once), start on 127.0.0.1:$PGPORT, create zentrale_test,
#                             print the connection URL on stdout (everything else goes to stderr)
#   scripts/pg.sh stop DIR    stop the server and remove DIR
#
# Usage: export ZENTRALE_TEST_PG_URL=$(bash scripts/pg.sh start /tmp/zpg)
# Env: PGPORT (default 29432), PG_BIN (default /usr/lib/postgresql/15/bin).
# The default port stays below Linux's ephemeral range (32768-60999): a port in there can be taken at any moment by
# an outgoing connection, and the server then fails to start. It is also outside the e2e test port blocks.
# As root, the server runs as the postgres OS user, so DIR's parent must be reachable by it (/tmp is; /root is not).
# Trust authentication on loopback only: this is for local and CI test runs, never for real data.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
port=${PGPORT:-29432}
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
db=zentrale_test

if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
# Relative paths would resolve differently once we switch to the postgres user.
dir=$(realpath -m -- "$dir")

log() { echo "pg.sh: $*" >&2; }

# PostgreSQL refuses to run as root: as root, run its tools as the postgres OS user.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ensure_binaries() {
  if [[ -x "$bin/initdb" && -x "$bin/pg_ctl" ]]; then return; fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "PostgreSQL binaries missing in $bin, installing the postgresql package"
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2 ||
      { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2; }
    # The distribution may ship a different major version; take whichever is there.
    if [[ ! -x "$bin/initdb" ]]; then
      bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    fi
  fi
  if [[ ! -x "$bin/initdb" ]]; then
    log "no initdb/pg_ctl in $bin (set PG_BIN)"
    exit 1
  fi
}

running() {
  [[ -f "$dir/data/postmaster.pid" ]] && as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

start() {
  ensure_binaries
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    mkdir -p "$dir"
    chown postgres: "$dir"
    chmod 700 "$dir"
  else
    mkdir -p "$dir"
  fi
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    log "initdb in $dir/data"
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >&2
  fi
  if running; then
    log "already running"
  else
    # Socket directory inside DIR: /var/run/postgresql may not exist or be writable.
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off" start >&2 ||
      { cat "$dir/server.log" >&2 || true; exit 1; }
  fi
  local psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
  if [[ $(as_pg "${psql[@]}" -c "select 1 from pg_database where datname = '$db'") != 1 ]]; then
    as_pg "${psql[@]}" -c "create database $db" >&2
  fi
  echo "postgres://postgres@127.0.0.1:$port/$db"
}

stop() {
  if [[ -f "$dir/data/PG_VERSION" ]]; then
    ensure_binaries
    if running; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
  fi
  # Only remove what looks like our cluster directory, never an arbitrary path given by mistake.
  if [[ -d "$dir" ]]; then
    if [[ -f "$dir/data/PG_VERSION" || -z "$(ls -A "$dir")" || -f "$dir/server.log" ]]; then
      rm -rf -- "$dir"
    else
      log "$dir does not look like a pg.sh cluster, not removing it"
      exit 1
    fi
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
