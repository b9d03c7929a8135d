#!/usr/bin/env bash
# `tally migrate --db postgresql://...` creates the schema in an empty
# database and upgrades an older one; `run` and `check` refuse an older or a
# newer schema with a message that says what to do (exit 2).
BUILD_DIR=$1 STATE_DIR=$2 SOURCE_DIR=$3
source "$(dirname "$0")/lib.sh"
fresh_db migrate
URL=$(url_of migrate)
CONFIG="$SOURCE_DIR/configs/demo.yaml"

expect_exit 0 "$TALLY" migrate --db "$URL"
grep -q "schema version 0 -> 4" "$WORK/out" || fail "migrate said: $(cat "$WORK/out")"
[[ $(sql migrate "SELECT data_type FROM information_schema.columns WHERE table_name = 'opportunities' AND column_name = 'amount'") == "double precision" ]] || fail "amount is not double precision"
[[ $(sql migrate "SELECT data_type FROM information_schema.columns WHERE table_name = 'opportunities' AND column_name = 'owner_id'") == "bigint" ]] || fail "owner_id is not bigint"

# Back to version 3, as a store written by an older tally.
sql migrate "DROP TABLE imports; DROP INDEX subscription_events_external_id;
  ALTER TABLE subscription_events DROP COLUMN external_id; DELETE FROM schema_version WHERE version = 4"
expect_exit 2 "$TALLY" run "$CONFIG" --data "$URL" --format json
expect_message "has schema version 3, this tally needs 4; run \`tally migrate --db $URL\`"
expect_exit 2 "$TALLY" check "$CONFIG" --data "$URL"
expect_message "run \`tally migrate"

expect_exit 0 "$TALLY" migrate --db "$URL"
grep -q "schema version 3 -> 4" "$WORK/out" || fail "migrate said: $(cat "$WORK/out")"
[[ $(sql migrate "SELECT count(*) FROM information_schema.columns WHERE table_name = 'subscription_events' AND column_name = 'external_id'") == 1 ]] || fail "no external_id after migrate"
expect_exit 0 "$TALLY" check "$CONFIG" --data "$URL"
expect_exit 0 "$TALLY" migrate --db "$URL"
grep -q "schema version 4 -> 4" "$WORK/out" || fail "a second migrate changed something: $(cat "$WORK/out")"

# Newer than this binary: refused by run and by migrate.
sql migrate "INSERT INTO schema_version VALUES (99, '2030-01-01 00:00:00')"
expect_exit 2 "$TALLY" run "$CONFIG" --data "$URL" --format json
expect_message "has schema version 99, newer than this tally understands (4); upgrade tally"
expect_exit 1 "$TALLY" migrate --db "$URL"
expect_message "newer than this tally understands"
echo "ok"
