#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and the bench: Debian's
# postgresql package (initdb, pg_ctl), run as the unprivileged `postgres`
# user when we are root (the server refuses root), in a fresh folder under
# /tmp that user can read, listening on 127.0.0.1 only, on a free port.
#
#   pg_server.sh start STATE_DIR   starts it; writes STATE_DIR/env (PGHOST,
#                                  PGPORT, PGUSER, PGPASSWORD, TALLY_PG_URL)
#   pg_server.sh stop STATE_DIR    stops it and removes its folder
#
# With PG_CLUSTER_DIR=dir (the bench uses it to keep prepared data), the
# cluster lives in dir instead of a fresh /tmp folder: created there the first
# time, reused (same password, new free port) after, and kept by `stop`.
#
# The admin user `tally_admin` has a password (scram-sha-256), so tests of a
# wrong or missing password see what a real server says.
set -euo pipefail
action=${1:?usage: pg_server.sh start|stop STATE_DIR}
state=${2:?usage: pg_server.sh start|stop STATE_DIR}
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}

as_server() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  [[ -f "$state/env" ]] || return 0
  # shellcheck disable=SC1091
  local cluster
  cluster=$(sed -n 's/^export TALLY_PG_CLUSTER=//p' "$state/env")
  # A throwaway cluster is just killed; a kept one is shut down cleanly (no recovery at next start).
  local mode=fast
  [[ "$cluster" == /tmp/tally-pg.* ]] && mode=immediate
  if [[ -n "$cluster" && -d "$cluster/data" ]]; then
    as_server "$bin/pg_ctl" -D "$cluster/data" -m "$mode" -w stop >/dev/null 2>&1 || true
  fi
  if [[ -n "$cluster" && "$cluster" == /tmp/tally-pg.* ]]; then rm -rf "$cluster"; fi
  rm -f "$state/env"
}

case "$action" in
  start)
    [[ -x "$bin/initdb" ]] || { echo "pg_server.sh: no $bin/initdb (apt-get install postgresql)" >&2; exit 2; }
    mkdir -p "$state"
    stop
    if [[ -n "${PG_CLUSTER_DIR:-}" ]]; then
      mkdir -p "$PG_CLUSTER_DIR"
      cluster=$(realpath "$PG_CLUSTER_DIR")
    else
      cluster=$(mktemp -d /tmp/tally-pg.XXXXXX)
    fi
    chmod 755 "$cluster"
    if [[ -f "$cluster/data/PG_VERSION" && -f "$cluster/password" ]]; then
      password=$(cat "$cluster/password")
    else
      rm -rf "$cluster/data"
      password="test-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
      printf '%s\n' "$password" >"$cluster/pwfile"
      [[ $(id -u) -eq 0 ]] && chown -R postgres "$cluster"
      as_server "$bin/initdb" -D "$cluster/data" -U tally_admin --pwfile="$cluster/pwfile" \
        --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$cluster/initdb.log" 2>&1 ||
        { cat "$cluster/initdb.log" >&2; exit 1; }
      rm -f "$cluster/pwfile"
      # Only a kept cluster needs its password again (a file only its owner reads).
      if [[ -n "${PG_CLUSTER_DIR:-}" ]]; then (umask 077 && printf '%s\n' "$password" >"$cluster/password"); fi
    fi
    # A free port: bind to 0 and take what the kernel gives; retried if taken meanwhile.
    for attempt in 1 2 3 4 5; do
      port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      if as_server "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$cluster -c fsync=off \
            -c full_page_writes=off -c synchronous_commit=off -c max_connections=60" >/dev/null; then
        break
      fi
      [[ $attempt -eq 5 ]] && { cat "$cluster/server.log" >&2; exit 1; }
    done
    {
      echo "export TALLY_PG_CLUSTER=$cluster"
      echo "export PGHOST=127.0.0.1"
      echo "export PGPORT=$port"
      echo "export PGUSER=tally_admin"
      echo "export PGPASSWORD=$password"
      echo "export PGDATABASE=postgres"
    } >"$state/env"
    echo "PostgreSQL on 127.0.0.1:$port (cluster $cluster)"
    ;;
  stop) stop ;;
  *) echo "pg_server.sh: unknown action '$action' (start, stop)" >&2; exit 2 ;;
esac
