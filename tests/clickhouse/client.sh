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
