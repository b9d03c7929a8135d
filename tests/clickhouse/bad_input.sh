#!/usr/bin/env bash
# What goes wrong with a ClickHouse source, and what Tally says: one line,
# exit 2, nothing hangs (docs/backends.md lists each case).
BUILD_DIR=$1 STATE_DIR=$2 SOURCE_DIR=$3
source "$(dirname "$0")/lib.sh"
CONFIG="$SOURCE_DIR/configs/demo.yaml"
run() { timeout 120 "$TALLY" run "$CONFIG" --format json --data "$@"; }
base="clickhouse://127.0.0.1:$CH_HTTP_PORT1"

# No server there (a port nothing listens on).
free=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_exit 2 run "clickhouse://127.0.0.1:$free/bad?cluster=tally"
expect_message "cannot reach a ClickHouse server on 127.0.0.1:$free"
# A cluster the server does not know; no cluster at all.
expect_exit 2 run "$base/bad?cluster=nope"
expect_message "has no cluster 'nope' in its remote_servers (it has: "
expect_exit 2 run "$base/bad"
expect_message "say which cluster of the server's remote_servers holds the data"
# A shard that is down.
expect_exit 2 run "$base/bad?cluster=tally_down"
expect_message "a shard of cluster 'tally_down' cannot be reached"
# No such database; an empty one; a store with a table missing.
expect_exit 2 run "$base/nosuch?cluster=tally"
expect_message "database 'nosuch' does not exist on the ClickHouse server on 127.0.0.1:$CH_HTTP_PORT1"
sql 1 "CREATE DATABASE IF NOT EXISTS bad_empty" >/dev/null
expect_exit 2 run "$base/bad_empty?cluster=tally"
expect_message "is not a Tally store (it has no schema_version table)"
"$TALLY" demo --db "$(url_of bad)" --scale 1 --seed 3 >/dev/null
sql 1 "DROP TABLE bad.targets" >/dev/null
expect_exit 2 run "$(url_of bad)"
expect_message "has no table 'targets'"
# A database holding someone else's tables is never replaced.
sql 1 "DROP DATABASE IF EXISTS foreign_db" >/dev/null
sql 1 "CREATE DATABASE foreign_db" >/dev/null
sql 1 "CREATE TABLE foreign_db.reps (id Int64) ENGINE = MergeTree ORDER BY id" >/dev/null
expect_exit 2 "$TALLY" demo --db "$(url_of foreign_db)" --scale 1
expect_message "has a table 'reps' but is not a Tally store"
# A typo in the scheme; import is not there yet.
expect_exit 2 run "clickhous://127.0.0.1:$CH_HTTP_PORT1/bad?cluster=tally"
expect_message "did you mean 'clickhouse://'?"
# A server error in a metric's query names the metric and the server's message.
"$TALLY" demo --db "$(url_of bad)" --scale 1 --seed 3 >/dev/null
sql 1 "ALTER TABLE bad.reps DROP COLUMN region" >/dev/null  # the pipeline groups by region
sql 2 "ALTER TABLE bad.reps DROP COLUMN region" >/dev/null
set +e
run "$(url_of bad)" >"$WORK/out" 2>"$WORK/err"
code=$?
set -e
[[ $code -eq 1 ]] || { cat "$WORK/err"; fail "a failing metric exited $code, expected 1"; }
grep -q '"status": "error"' "$WORK/out" || fail "no metric failed: $(head -c 400 "$WORK/out")"
grep -q "pipeline.*ClickHouse on 127.0.0.1:$CH_HTTP_PORT1 says: .*region" "$WORK/err" ||
  { cat "$WORK/err"; fail "the server's message did not reach the user"; }
# A store written before a migration that changed other engines only (5: PostgreSQL's stored
# epochs) is read as it is; one older than today's ClickHouse layout is refused, with what to do.
"$TALLY" demo --db "$(url_of bad)" --scale 1 --seed 3 >/dev/null
set_version() {
  for shard in 1 2; do
    sql $shard "DROP TABLE bad.schema_version"
    sql $shard "CREATE TABLE bad.schema_version (version Int64, applied_at String) ENGINE = MergeTree ORDER BY version"
    sql $shard "INSERT INTO bad.schema_version VALUES ($1, '')"
  done >/dev/null
}
set_version 4
run "$(url_of bad)" >/dev/null || fail "a store at schema version 4 (today's ClickHouse layout) was refused"
# `tally migrate` records the latest version on every shard.
"$TALLY" migrate --db "$(url_of bad)" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "tally migrate failed"; }
grep -q "schema version 4 -> 5" "$WORK/out" || fail "tally migrate said: $(cat "$WORK/out")"
for shard in 1 2; do
  [[ $(sql $shard "SELECT max(version) FROM bad.schema_version") == 5 ]] || fail "shard $shard is not at 5"
done
set_version 3
expect_exit 2 run "$(url_of bad)"
expect_message "has schema version 3, this tally needs 5; recreate it with \`tally demo"
expect_exit 1 "$TALLY" migrate --db "$(url_of bad)"
expect_message "has schema version 3, this tally needs 5; recreate it with \`tally demo"
echo "ok"
