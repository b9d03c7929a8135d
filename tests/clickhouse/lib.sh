# Shared by the ClickHouse CLI tests: sourced with BUILD_DIR, STATE_DIR and
# SOURCE_DIR set. Loads the cluster's settings (scripts/clickhouse-cluster.sh).
set -euo pipefail
[[ -f "$STATE_DIR/env" ]] || { echo "no ClickHouse test cluster: $STATE_DIR/env missing (fixture Clickhouse.ClusterStart)" >&2; exit 1; }
# shellcheck disable=SC1091
source "$STATE_DIR/env"
TALLY="$BUILD_DIR/tally"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export NO_COLOR=1

fail() { echo "FAIL: $*" >&2; exit 1; }

# The URL of database $1 on cluster $2 (tally: two shards; tally_one: one).
url_of() { echo "clickhouse://127.0.0.1:$CH_HTTP_PORT1/$1?cluster=${2:-tally}&shards=127.0.0.1:$CH_HTTP_PORT1,127.0.0.1:$CH_HTTP_PORT2"; }
one_url_of() { echo "clickhouse://127.0.0.1:$CH_HTTP_PORT1/$1?cluster=tally_one"; }
# SQL on shard $1 (1 or 2); prints the TabSeparated answer.
sql() {
  local shard=$1 port=CH_HTTP_PORT$1 out; shift
  out=$(curl -s --max-time 60 "http://127.0.0.1:${!port}/" --data-binary "$*")
  [[ $out != *"e.displayText()"* ]] || fail "shard $shard: $*: $out"
  printf '%s' "$out"
}

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
