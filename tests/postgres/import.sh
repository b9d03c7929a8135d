#!/usr/bin/env bash
# `tally import --db postgresql://...` end to end: the cross-engine import
# tests (import_test.cpp), then the command itself: the same summary, exit
# code and rejects file as on SQLite, re-import without duplicates, and one
# clear message with exit 2 when the server is unreachable or the user may
# not write a table (the database unchanged, no password shown).
BUILD_DIR=$1 STATE_DIR=$2 SOURCE_DIR=$3
source "$(dirname "$0")/lib.sh"
"$BUILD_DIR/tests/tally_postgres_tests" --gtest_filter='BothEngines.*'

MAPPING="$SOURCE_DIR/configs/mappings/maven-crm.yaml"
MAVEN="$SOURCE_DIR/../shared/data/maven-crm"
FILES=("$MAVEN/sales_pipeline.csv" "$MAVEN/accounts.csv" "$MAVEN/products.csv" "$MAVEN/sales_teams.csv")
sed 's/map: {GTXPro: GTX Pro}//' "$MAPPING" >"$WORK/no-map.yaml"
fresh_db import_cli
URL=$(url_of import_cli)
cd "$WORK"
# The same summary and exit code (1: rows were rejected) as on SQLite.
expect_exit 1 "$TALLY" import --db "$WORK/lite.db" --mapping "$WORK/no-map.yaml" "${FILES[@]}"
sed -e '/^imported /d' -e 's/ written to .*//' "$WORK/out" >"$WORK/lite.summary"
expect_exit 1 "$TALLY" import --db "$URL" --mapping "$WORK/no-map.yaml" "${FILES[@]}"
grep -qF "1,480 rejected rows written to import_cli.rejects.csv" "$WORK/out" || { cat "$WORK/out"; fail "rejects file not named"; }
sed -e '/^imported /d' -e 's/ written to .*//' "$WORK/out" >"$WORK/pg.summary"
diff "$WORK/lite.summary" "$WORK/pg.summary" || fail "summaries differ"
cmp "$WORK/lite.db.rejects.csv" "$WORK/import_cli.rejects.csv" || fail "rejects files differ"
# Re-import with the full mapping: every deal there once, exit 0.
expect_exit 0 "$TALLY" import --db "$URL" --mapping "$MAPPING" "${FILES[@]}"
[[ $(sql import_cli "SELECT count(*), count(DISTINCT external_id) FROM opportunities") == "8800|8800" ]] || fail "duplicates after re-import"
[[ ! -e "$WORK/import_cli.rejects.csv" ]] || fail "a clean import left the rejects file"

# Unreachable server: exit 2, one line, nothing else.
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_exit 2 "$TALLY" import --db "postgresql://tally_admin:s3cret-Pw-987@127.0.0.1:$closed/x" --mapping "$MAPPING" "${FILES[@]}"
expect_message "tally import: cannot reach a PostgreSQL server on 127.0.0.1:$closed"
[[ $(wc -l <"$WORK/err") -eq 1 ]] || fail "more than one line: $(cat "$WORK/err")"
grep -qF "s3cret" "$WORK/err" && fail "the password was printed"

# A user who may read but not write the deals: exit 2 before anything is written.
before=$(sql import_cli "SELECT count(*), sum(amount) FROM opportunities")
sql import_cli "DROP ROLE IF EXISTS tally_importer_x; CREATE ROLE tally_importer_x LOGIN PASSWORD 'x-Pw-1';
  GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO tally_importer_x;
  REVOKE INSERT, UPDATE ON opportunities FROM tally_importer_x"
PGPASSWORD=x-Pw-1 expect_exit 2 "$TALLY" import --db "postgresql://tally_importer_x@$PGHOST:$PGPORT/import_cli" --mapping "$MAPPING" "${FILES[@]}"
expect_message "tally import: user 'tally_importer_x' may not write table 'opportunities'"
expect_message "GRANT SELECT, INSERT, UPDATE ON opportunities TO tally_importer_x"
[[ $(wc -l <"$WORK/err") -eq 1 ]] || fail "more than one line: $(cat "$WORK/err")"
[[ $(sql import_cli "SELECT count(*), sum(amount) FROM opportunities") == "$before" ]] || fail "the refused import changed the deals"
# Granted, the same user imports.
sql import_cli "GRANT INSERT, UPDATE ON opportunities TO tally_importer_x"
PGPASSWORD=x-Pw-1 expect_exit 0 "$TALLY" import --db "postgresql://tally_importer_x@$PGHOST:$PGPORT/import_cli" --mapping "$MAPPING" "${FILES[@]}"
sql import_cli "REASSIGN OWNED BY tally_importer_x TO CURRENT_USER; DROP OWNED BY tally_importer_x; DROP ROLE tally_importer_x"
echo "ok"
