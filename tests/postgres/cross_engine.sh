#!/usr/bin/env bash
# Every shipped demo config on the SQLite demo and the PostgreSQL demo of the
# same seed and scale: the JSON reports agree (counts exactly, money to the
# cent, ratios to 1e-9). Also: `data: ${VAR}` in a config, and a read-only
# role whose password comes from PGPASSFILE, and PGSERVICE.
BUILD_DIR=$1 STATE_DIR=$2 SOURCE_DIR=$3
source "$(dirname "$0")/lib.sh"
fresh_db cross
URL=$(url_of cross)
"$TALLY" demo --db "$WORK/demo.db" --scale 1 --seed 7 >/dev/null
"$TALLY" demo --db "$URL" --scale 1 --seed 7 >"$WORK/demo.out"
grep -q "wrote postgresql://$PGUSER@$PGHOST:$PGPORT/cross (scale 1, seed 7)" "$WORK/demo.out" || fail "demo said: $(cat "$WORK/demo.out")"
for table in opportunities stage_history activities leads subscriptions; do
  want=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(f"SELECT count(*) FROM {sys.argv[2]}").fetchone()[0])' "$WORK/demo.db" "$table")
  got=$(sql cross "SELECT count(*) FROM $table")
  [[ "$want" == "$got" ]] || fail "$table: $want rows in SQLite, $got in PostgreSQL"
done

status=0
for config in "$SOURCE_DIR"/configs/*.yaml; do
  name=$(basename "$config" .yaml)
  [[ $name == maven-crm ]] && continue  # its store comes from `tally import` (not yet on PostgreSQL)
  "$TALLY" run "$config" --data "$WORK/demo.db" --format json >"$WORK/$name.sqlite.json" || true
  "$TALLY" run "$config" --data "$URL" --format json >"$WORK/$name.pg.json" || true
  python3 "$(dirname "$0")/compare_reports.py" "$WORK/$name.sqlite.json" "$WORK/$name.pg.json" "$name" || status=1
done
[[ $status -eq 0 ]] || fail "the engines disagree"

# `data: ${TALLY_TEST_PG}` in a config, run by a read-only role whose password is in a PGPASSFILE.
sql cross "DROP ROLE IF EXISTS tally_reader_x; CREATE ROLE tally_reader_x LOGIN PASSWORD 'reader-pw-123';
  GRANT SELECT ON ALL TABLES IN SCHEMA public TO tally_reader_x"
printf '%s:%s:cross:tally_reader_x:reader-pw-123\n' "$PGHOST" "$PGPORT" >"$WORK/pgpass"
chmod 600 "$WORK/pgpass"
sed "s|^data:.*|data: \${TALLY_TEST_PG}|" "$SOURCE_DIR/configs/demo.yaml" >"$WORK/demo-pg.yaml"
env -u PGPASSWORD PGPASSFILE="$WORK/pgpass" TALLY_TEST_PG="postgresql://tally_reader_x@$PGHOST:$PGPORT/cross" \
  "$TALLY" run "$WORK/demo-pg.yaml" --format json >"$WORK/reader.json"
python3 "$(dirname "$0")/compare_reports.py" "$WORK/demo.sqlite.json" "$WORK/reader.json" "demo as reader"
# The run cannot write, even through a plugin's query: its transaction is read-only.
grep -q '"data_source": "postgresql://tally_reader_x@' "$WORK/reader.json" || fail "provenance lacks the source"

# PGSERVICE: host, port, database and user from a service file.
printf '[tally_test]\nhost=%s\nport=%s\ndbname=cross\nuser=tally_reader_x\n' "$PGHOST" "$PGPORT" >"$WORK/services"
env -u PGPASSWORD -u PGHOST -u PGPORT -u PGUSER PGPASSFILE="$WORK/pgpass" PGSERVICEFILE="$WORK/services" \
  PGSERVICE=tally_test "$TALLY" check "$SOURCE_DIR/configs/demo.yaml" --data "postgresql://" >/dev/null ||
  fail "PGSERVICE not honoured"
echo "ok"
