#!/usr/bin/env bash
# make test (and CI): install (apt-get, as root) and start a throwaway PostgreSQL on
# 127.0.0.1 for the store and service tests. Prints one line on stdout, the SQLAlchemy URL:
#   postgresql+psycopg://reelforge:reelforge@127.0.0.1:54329/reelforge
# Everything else goes to stderr; exit 1 (with the reason) when it cannot. It exports
# nothing; the caller does, e.g.:
#   if url=$(.ci/postgres.sh); then export REELFORGE_TEST_POSTGRES_URL="$url"; fi
# The server keeps running afterwards (stop it: pg_ctl -D /tmp/reelforge-pg stop, as the
# postgres user when root).
# Idempotent: when the server is already up it only makes sure the role and db exist.
# The role may CREATE DATABASE, so tests can make a fresh database per session.
# Settings (env): REELFORGE_PG_PORT (54329), REELFORGE_PG_DATA (/tmp/reelforge-pg).
set -euo pipefail

PORT="${REELFORGE_PG_PORT:-54329}"
DATA="${REELFORGE_PG_DATA:-/tmp/reelforge-pg}"
SOCK="$DATA/socket"
ROLE=reelforge
PASSWORD=reelforge
DB=reelforge
READY_TRIES=60 # × 0.5 s: at most 30 s for the server to accept connections

log() { echo "postgres.sh: $*" >&2; }

pg_bindir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

if ! BIN=$(pg_bindir); then
  "$(dirname "$0")/apt-install.sh" postgres.sh postgresql || exit 1
  BIN=$(pg_bindir) || { log "initdb not found after installing postgresql"; exit 1; }
fi

# The server refuses to run as root: run it as the postgres user when we are root.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$DATA" --shell /bin/sh postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 1; }

if ! ready; then
  if [ ! -s "$DATA/PG_VERSION" ]; then
    log "initdb in $DATA"
    mkdir -p "$DATA"
    [ "$(id -u)" = 0 ] && chown postgres: "$DATA"
    chmod 700 "$DATA"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --no-instructions >&2
  fi
  mkdir -p "$SOCK"
  [ "$(id -u)" = 0 ] && chown postgres: "$SOCK"
  log "starting on 127.0.0.1:$PORT"
  # fsync off: a test database, speed over durability of the throwaway data.
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 30 start \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $SOCK -c max_connections=200 -c fsync=off -c synchronous_commit=off" >&2 \
    || { log "pg_ctl start failed; log:"; tail -n 30 "$DATA/server.log" >&2 || true; exit 1; }
fi

tries=0
until ready; do
  tries=$((tries + 1))
  if [ "$tries" -ge "$READY_TRIES" ]; then
    log "PostgreSQL on 127.0.0.1:$PORT is not ready after $READY_TRIES tries"
    exit 1
  fi
  sleep 0.5
done

psql_su() { as_pg "$BIN/psql" -h "$SOCK" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ "$(psql_su -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
  psql_su -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'" >&2
fi
if [ "$(psql_su -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
  psql_su -c "CREATE DATABASE $DB OWNER $ROLE" >&2
fi
log "ready"
echo "postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
