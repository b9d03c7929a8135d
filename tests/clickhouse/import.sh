#!/usr/bin/env bash
# `tally import --db clickhouse://...` end to end: the import tests
# (import_test.cpp: the same rows as SQLite, re-import, a failed import),
# then the command itself on the Maven CRM files: the same summary, exit
# code and rejects file as on SQLite, the same `tally run` JSON, and again
# after a re-import (no duplicates).
BUILD_DIR=$1 STATE_DIR=$2 SOURCE_DIR=$3
source "$(dirname "$0")/lib.sh"
"$BUILD_DIR/tests/tally_clickhouse_tests" --gtest_filter='ClickhouseImport.*'

MAPPING="$SOURCE_DIR/configs/mappings/maven-crm.yaml"
MAVEN="$SOURCE_DIR/../shared/data/maven-crm"
FILES=("$MAVEN/sales_pipeline.csv" "$MAVEN/accounts.csv" "$MAVEN/products.csv" "$MAVEN/sales_teams.csv")
sed 's/map: {GTXPro: GTX Pro}//' "$MAPPING" >"$WORK/no-map.yaml"
for n in 1 2; do sql "$n" "DROP DATABASE IF EXISTS import_cli" >/dev/null; done
URL=$(url_of import_cli)
cd "$WORK"
# The same summary and exit code (1: rows were rejected) as on SQLite, the same rejects.
expect_exit 1 "$TALLY" import --db "$WORK/lite.db" --mapping "$WORK/no-map.yaml" "${FILES[@]}"
sed -e '/^imported /d' -e 's/ written to .*//' "$WORK/out" >"$WORK/lite.summary"
expect_exit 1 "$TALLY" import --db "$URL" --mapping "$WORK/no-map.yaml" "${FILES[@]}"
sed -e '/^imported /d' -e 's/ written to .*//' "$WORK/out" >"$WORK/ch.summary"
diff "$WORK/lite.summary" "$WORK/ch.summary" || fail "the summaries differ"
grep -q "1,480 rejected rows" "$WORK/ch.summary" || fail "expected 1,480 rejects: $(cat "$WORK/ch.summary")"
cmp "$WORK/lite.db.rejects.csv" "$WORK/import_cli.rejects.csv" || fail "the rejects files differ"

# The same report from configs/maven-crm.yaml (compare_reports.py: counts exactly,
# money to the cent), and again after importing every file once more.
COMPARE="$SOURCE_DIR/tests/postgres/compare_reports.py"
CONFIG="$SOURCE_DIR/configs/maven-crm.yaml"
same_reports() {  # label
  "$TALLY" run "$CONFIG" --data "$WORK/lite.db" --format json >"$WORK/$1.sqlite.json"
  "$TALLY" run "$CONFIG" --data "$URL" --format json >"$WORK/$1.ch.json"
  # The warning about the last import's rejects names its time, which differs.
  sed -i -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC/TIME/g' "$WORK/$1.sqlite.json" "$WORK/$1.ch.json"
  python3 "$COMPARE" "$WORK/$1.sqlite.json" "$WORK/$1.ch.json" "maven-crm ($1)" || fail "the reports differ ($1)"
}
same_reports import
for db in "$WORK/lite.db" "$URL"; do
  expect_exit 0 "$TALLY" import --db "$db" --mapping "$MAPPING" "${FILES[@]}"
done
same_reports reimport
[[ $(sql 1 "SELECT count() - uniqExact(external_id) FROM import_cli.opportunities") == 0 ]] || fail "duplicates"
[[ $(sql 1 "SELECT count() FROM import_cli.opportunities") == 8800 ]] || fail "expected 8,800 deals"
echo "import: ok"
