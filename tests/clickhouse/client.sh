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
# stored epochs on stage_history) gets them made anew when written again,
# and runs the same report before and after.
for n in 1 2; do sql "$n" "ALTER TABLE client.stage_history DROP COLUMN exited_at_epoch" >/dev/null; done
"$TALLY" run "$SOURCE_DIR/configs/demo.yaml" --data "$(url_of client)" --format json >"$WORK/parsed.json"
"$TALLY" demo --db "$(url_of client)" --scale 1 --seed 11 >/dev/null
for n in 1 2; do
  [[ $(sql "$n" "SELECT count() FROM system.columns WHERE database = 'client' AND table = 'stage_history' AND name = 'exited_at_epoch'") == 1 ]] ||
    fail "shard $n: tally demo kept a Distributed stage_history without exited_at_epoch"
done
"$TALLY" run "$SOURCE_DIR/configs/demo.yaml" --data "$(url_of client)" --format json >"$WORK/stored.json"
# (Counts exactly, the rest to the cent or 1e-9: float sums add up in the shards' order.)
python3 "$SOURCE_DIR/tests/postgres/compare_reports.py" "$WORK/parsed.json" "$WORK/stored.json" "stored epochs" ||
  fail "the report differs between parsed and stored epochs"
