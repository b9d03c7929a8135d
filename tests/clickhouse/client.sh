#!/usr/bin/env bash
# Runs client_test (literals, errors and the query shapes of issue 10) on a
# ClickHouse demo (one server and two shards) and an SQLite demo of the same seed.
BUILD_DIR=$1 STATE_DIR=$2 SOURCE_DIR=$3
source "$(dirname "$0")/lib.sh"
"$TALLY" demo --db "$WORK/demo.db" --scale 1 --seed 11 >/dev/null
"$TALLY" demo --db "$(url_of client)" --scale 1 --seed 11 >/dev/null
"$TALLY" demo --db "$(one_url_of client_one)" --scale 1 --seed 11 >/dev/null
TALLY_TEST_SQLITE="$WORK/demo.db" TALLY_TEST_CLICKHOUSE="$(url_of client)" \
  TALLY_TEST_CLICKHOUSE_ONE="$(one_url_of client_one)" "$BUILD_DIR/tests/tally_clickhouse_tests" --gtest_filter=-ClickhouseImport.*

# A store whose Distributed tables were made for an older layout (here: no
# stored epochs on stage_history, and deals' closing epochs computed with
# DateTime, as the first stored epochs were) gets them made anew when written
# again: the older epochs are not read (their text is), and the report is the
# same before and after.
datetime_epoch="Nullable(Int64) MATERIALIZED toInt64(toUnixTimestamp(parseDateTimeBestEffortOrNull(closed_at, 'UTC')))"
for n in 1 2; do
  sql "$n" "ALTER TABLE client.stage_history DROP COLUMN exited_at_epoch" >/dev/null
  for table in opportunities_local opportunities; do
    sql "$n" "ALTER TABLE client.$table MODIFY COLUMN closed_at_epoch $datetime_epoch" >/dev/null
  done
done
"$TALLY" -vv run "$SOURCE_DIR/configs/demo.yaml" --data "$(url_of client)" --format json >"$WORK/parsed.json" 2>"$WORK/parsed.log"
! grep -q "closed_at_epoch" "$WORK/parsed.log" || fail "a run read stored epochs computed with DateTime"
"$TALLY" demo --db "$(url_of client)" --scale 1 --seed 11 >/dev/null
for n in 1 2; do
  [[ $(sql "$n" "SELECT count() FROM system.columns WHERE database = 'client' AND table = 'stage_history' AND name = 'exited_at_epoch'") == 1 ]] ||
    fail "shard $n: tally demo kept a Distributed stage_history without exited_at_epoch"
  [[ $(sql "$n" "SELECT count() FROM system.columns WHERE database = 'client' AND table = 'opportunities' AND name = 'closed_at_epoch' AND position(default_expression, '719469') > 0") == 1 ]] ||
    fail "shard $n: tally demo kept a Distributed opportunities with the DateTime epochs"
done
"$TALLY" -vv run "$SOURCE_DIR/configs/demo.yaml" --data "$(url_of client)" --format json >"$WORK/stored.json" 2>"$WORK/stored.log"
grep -q "closed_at_epoch >= ?" "$WORK/stored.log" || fail "the run compared no stored epoch with a period bound"
# (Counts exactly, the rest to the cent or 1e-9: float sums add up in the shards' order.)
python3 "$SOURCE_DIR/tests/postgres/compare_reports.py" "$WORK/parsed.json" "$WORK/stored.json" "stored epochs" ||
  fail "the report differs between parsed and stored epochs"
