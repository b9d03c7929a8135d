# Shared by the PostgreSQL CLI tests: sourced with BUILD_DIR, STATE_DIR and
# SOURCE_DIR set. Loads the throwaway server's settings (pg_server.sh).
set -euo pipefail
[[ -f "$STATE_DIR/env" ]] || { echo "no PostgreSQL test server: $STATE_DIR/env missing (fixture Postgres.ServerStart)" >&2; exit 1; }
# shellcheck disable=SC1091
source "$STATE_DIR/env"
TALLY="$BUILD_DIR/tally"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export NO_COLOR=1

fail() { echo "FAIL: $*" >&2; exit 1; }

# A new, empty database (dropped first if a previous run left it).
fresh_db() {
  psql -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS \"$1\"" -c "CREATE DATABASE \"$1\"" >/dev/null
}
url_of() { echo "postgresql://$PGUSER@$PGHOST:$PGPORT/$1"; }
sql() { local db=$1; shift; psql -q -X -A -t -v ON_ERROR_STOP=1 -d "$db" -c "$*"; }

# Runs a command expecting exit code $1; its stderr ends up in $WORK/err.
expect_exit() {
  local want=$1; shift
  set +e
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  set -e
  [[ $got -eq $want ]] || { cat "$WORK/out" "$WORK/err" >&2; fail "'$*' exited $got, expected $want"; }
}
expect_message() {  # the stderr of the last expect_exit contains $1
  grep -qF -- "$1" "$WORK/err" || { cat "$WORK/err" >&2; fail "message lacks '$1'"; }
}
