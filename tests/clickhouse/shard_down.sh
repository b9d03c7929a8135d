#!/usr/bin/env bash
# A shard that dies or freezes while `tally run` works (its own two-shard
# cluster, so the fixture's stays whole for the other tests): once the run's
# first query is on the server, shard 2 is frozen (SIGSTOP) or killed
# (SIGKILL). The run ends (exit 1: metrics failed) well within its
# statement timeout + 15 s per request, every failed metric names shard 2
# and its address, the metric that reads only tables copied to every shard
# (churn: subscriptions, accounts) still renders, and nothing hangs.
BUILD_DIR=$1 STATE_DIR=$2 SOURCE_DIR=$3
source "$(dirname "$0")/lib.sh"
OWN="$WORK/cluster"
trap '[[ -n "${P2:-}" ]] && kill -CONT "$P2" 2>/dev/null; "$SOURCE_DIR/scripts/clickhouse-cluster.sh" stop "$OWN"; rm -rf "$WORK"' EXIT
"$SOURCE_DIR/scripts/clickhouse-cluster.sh" start "$OWN" >/dev/null
# shellcheck disable=SC1091
source "$OWN/env"
P2=$(cat "$CH_CLUSTER_DIR/n2/pid")
URL=$(url_of down)
"$TALLY" demo --db "$URL" --scale 1 --seed 3 >/dev/null

# How many queries on the store's tables shard 1 runs now.
down_queries() {
  curl -s --max-time 2 "http://127.0.0.1:$CH_HTTP_PORT1/" --data-binary \
    "SELECT count() FROM system.processes WHERE query LIKE '%\`down\`.%' AND query NOT LIKE '%system.processes%'"
}

# Runs the demo config with a 4 s statement timeout; sends $1 to shard 2 as
# soon as one of its queries runs on the URL's server. Sets $code and $took.
# The previous run's distributed queries can outlive it on shard 1 (waiting
# for the frozen shard), so they drain first: else the signal could reach
# shard 2 before this run has opened the store.
run_and() {
  local signal=$1 start pid n
  for _ in $(seq 1 300); do
    [[ $(down_queries) == 0 ]] && break
    sleep 0.1
  done
  [[ $(down_queries) == 0 ]] || fail "queries of the previous run still run on shard 1 after 30 s"
  start=$EPOCHREALTIME
  "$TALLY" run "$SOURCE_DIR/configs/demo.yaml" --data "$URL" --statement-timeout 4 >"$WORK/out" 2>"$WORK/err" &
  pid=$!
  # Waits for the first query as long as it takes on a loaded machine: a
  # signal sent before it would hit the store's opening, not the run.
  for _ in $(seq 1 6000); do
    n=$(down_queries)
    [[ $n != 0 ]] && break
    kill -0 "$pid" 2>/dev/null || fail "$signal: the run ended before any query reached shard 1"
    sleep 0.01
  done
  [[ $n != 0 ]] || fail "$signal: no query of the run reached shard 1"
  kill "-$signal" "$P2"
  set +e
  wait "$pid"
  code=$?
  set -e
  took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%d", b - a}')
}

run_and STOP
kill -CONT "$P2"
[[ $code -eq 1 ]] || { cat "$WORK/err" >&2; fail "frozen shard: exit $code, expected 1"; }
grep -q "shard 2 of cluster 'tally' (127.0.0.1:$CH_TCP_PORT2) does not answer" "$WORK/err" ||
  { cat "$WORK/err" >&2; fail "frozen shard: the messages do not name shard 2"; }
grep -qE "^error: [a-z_]+: " "$WORK/err" || fail "frozen shard: no message names its metric"
grep -q "Customer and revenue churn" "$WORK/out" || fail "frozen shard: churn (no sharded table) did not render"
# One request's timeout (4 + 15 s) and the probes, not one per metric.
((took < 40)) || fail "frozen shard: the run took $took s"
echo "frozen shard: exit 1 after $took s; $(grep -c '^error:' "$WORK/err") metrics failed"

run_and KILL
[[ $code -eq 1 ]] || { cat "$WORK/err" >&2; fail "killed shard: exit $code, expected 1"; }
grep -q "127.0.0.1:$CH_TCP_PORT2" "$WORK/err" || { cat "$WORK/err" >&2; fail "killed shard: not named"; }
grep -q "Customer and revenue churn" "$WORK/out" || fail "killed shard: churn did not render"
((took < 40)) || fail "killed shard: the run took $took s"
echo "killed shard: exit 1 after $took s; $(grep -c '^error:' "$WORK/err") metrics failed"
