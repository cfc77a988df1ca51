#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on 127.0.0.1 for the tests (CTest fixture "pg"):
#   pg.sh start STATE_DIR   initdb + start on a free port; writes STATE_DIR/conninfo and STATE_DIR/dir
#   pg.sh stop STATE_DIR    stop it and delete its files
#   pg.sh halt STATE_DIR    stop it, keeping its files (a database that went down)
#   pg.sh resume STATE_DIR  start a halted cluster again, on the same port
# The cluster lives under /tmp (the postgres user must reach it); fsync is off: tests only.
set -euo pipefail
cmd="$1"; state="$2"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$pgbin/initdb" ]] || { echo "pg.sh: PostgreSQL server binaries not found (scripts/setup installs postgresql)" >&2; exit 1; }
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    if [[ -f "$state/dir" ]]; then "$0" stop "$state" || true; fi
    mkdir -p "$state"
    dir=$(mktemp -d /tmp/outpost-pg.XXXXXX)
    chmod 755 "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$dir"
    as_pg "$pgbin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    for _ in 1 2 3 4 5 6 7 8; do
      port=$((30000 + RANDOM % 20000))
      if as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "-c listen_addresses=127.0.0.1 -p $port \
          -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null; then
        echo "$dir" >"$state/dir"
        echo "$port" >"$state/port"
        echo "host=127.0.0.1 port=$port user=postgres dbname=postgres" >"$state/conninfo"
        echo "pg.sh: PostgreSQL on 127.0.0.1:$port ($dir)"
        exit 0
      fi
    done
    cat "$dir/server.log" >&2; exit 1 ;;
  halt)
    as_pg "$pgbin/pg_ctl" -D "$(cat "$state/dir")/data" -m fast -w stop >/dev/null ;;
  resume)
    dir=$(cat "$state/dir"); port=$(cat "$state/port")
    as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "-c listen_addresses=127.0.0.1 -p $port \
        -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null ;;
  stop)
    [[ -f "$state/dir" ]] || exit 0
    dir=$(cat "$state/dir")
    as_pg "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir" "$state/dir" "$state/conninfo" "$state/port"
    echo "pg.sh: stopped" ;;
  *) echo "usage: pg.sh start|stop|halt|resume STATE_DIR" >&2; exit 2 ;;
esac
