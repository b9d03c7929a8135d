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
grep -q "schema version 0 -> 5" "$WORK/out" || fail "migrate said: $(cat "$WORK/out")"
[[ $(sql migrate "SELECT data_type FROM information_schema.columns WHERE table_name = 'opportunities' AND column_name = 'amount'") == "double precision" ]] || fail "amount is not double precision"
[[ $(sql migrate "SELECT data_type FROM information_schema.columns WHERE table_name = 'opportunities' AND column_name = 'owner_id'") == "bigint" ]] || fail "owner_id is not bigint"

# Back to version 4, as a store written by an older tally, with a stage visit
# written then: migration 5 must give it its epoch seconds.
sql migrate "DROP INDEX stage_history_stage;
  ALTER TABLE stage_history DROP COLUMN entered_at_epoch, DROP COLUMN exited_at_epoch;
  ALTER TABLE opportunities DROP COLUMN created_at_epoch, DROP COLUMN closed_at_epoch;
  ALTER TABLE leads DROP COLUMN created_at_epoch, DROP COLUMN first_response_at_epoch;
  CREATE INDEX stage_history_stage ON stage_history(stage, exited_at, entered_at);
  INSERT INTO stage_history (opportunity_id, stage, entered_at, exited_at)
    VALUES (1, 'Discovery', '2025-01-01 00:00:00', '2025-01-02 12:00:00');
  DELETE FROM schema_version WHERE version = 5"
expect_exit 2 "$TALLY" run "$CONFIG" --data "$URL" --format json
expect_message "has schema version 4, this tally needs 5; run \`tally migrate --db $URL\`"
expect_exit 2 "$TALLY" check "$CONFIG" --data "$URL"
expect_message "run \`tally migrate"

expect_exit 0 "$TALLY" migrate --db "$URL"
grep -q "schema version 4 -> 5" "$WORK/out" || fail "migrate said: $(cat "$WORK/out")"
[[ $(sql migrate "SELECT exited_at_epoch - entered_at_epoch FROM stage_history") == 129600 ]] || fail "stage visit epochs wrong after migrate"
sql migrate "UPDATE stage_history SET exited_at = '2025-01-03 12:00:00'"
[[ $(sql migrate "SELECT exited_at_epoch - entered_at_epoch FROM stage_history") == 216000 ]] || fail "epoch not kept up to date on update"
sql migrate "DELETE FROM stage_history"
expect_exit 0 "$TALLY" check "$CONFIG" --data "$URL"
expect_exit 0 "$TALLY" migrate --db "$URL"
grep -q "schema version 5 -> 5" "$WORK/out" || fail "a second migrate changed something: $(cat "$WORK/out")"

# Newer than this binary: refused by run and by migrate.
sql migrate "INSERT INTO schema_version VALUES (99, '2030-01-01 00:00:00')"
expect_exit 2 "$TALLY" run "$CONFIG" --data "$URL" --format json
expect_message "has schema version 99, newer than this tally understands (5); upgrade tally"
expect_exit 1 "$TALLY" migrate --db "$URL"
expect_message "newer than this tally understands"
echo "ok"
