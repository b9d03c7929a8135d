#!/usr/bin/env bash
# Runs query_cases_test (the query shapes of issue 9) on a PostgreSQL demo
# and an SQLite demo of the same seed.
BUILD_DIR=$1 STATE_DIR=$2 SOURCE_DIR=$3
source "$(dirname "$0")/lib.sh"
fresh_db query_cases
"$TALLY" demo --db "$WORK/demo.db" --scale 1 --seed 11 >/dev/null
"$TALLY" demo --db "$(url_of query_cases)" --scale 1 --seed 11 >/dev/null
TALLY_TEST_SQLITE="$WORK/demo.db" TALLY_TEST_POSTGRES="$(url_of query_cases)" "$BUILD_DIR/tests/tally_postgres_tests" --gtest_filter='-BothEngines.*'
