#!/usr/bin/env bash
# Each bad PostgreSQL source gets one clear message and exit 2, and no
# password ever shows: unreachable server, wrong or missing password,
# missing database, not a Tally store, a missing table, a table the user may
# not read, a typo in the URL's scheme; `tally demo` never overwrites a
# database that is not a Tally store.
BUILD_DIR=$1 STATE_DIR=$2 SOURCE_DIR=$3
source "$(dirname "$0")/lib.sh"
CONFIG="$SOURCE_DIR/configs/demo.yaml"
SECRET="s3cret-Pw-987"

no_password_shown() {
  if grep -qF -- "$SECRET" "$WORK/out" "$WORK/err" || grep -qF -- "$PGPASSWORD" "$WORK/out" "$WORK/err"; then
    fail "a password was printed: $(cat "$WORK/err")"
  fi
}
one_line() {
  [[ $(wc -l <"$WORK/err") -eq 1 ]] || { cat "$WORK/err" >&2; fail "expected one line of message"; }
}
run_on() {  # run demo.yaml on a source, expecting exit 2
  expect_exit 2 "$TALLY" run "$CONFIG" --data "$1" --format json
  one_line
  no_password_shown
}

# Unreachable: a free port nobody listens on.
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_on "postgresql://tally_admin:$SECRET@127.0.0.1:$closed/x"
expect_message "cannot reach a PostgreSQL server on 127.0.0.1:$closed"

# Wrong password, in the URL and in PGPASSWORD; none at all.
fresh_db bad
run_on "postgresql://tally_admin:$SECRET@$PGHOST:$PGPORT/bad"
expect_message "the server refused the password of user 'tally_admin' on $PGHOST:$PGPORT"
PGPASSWORD=$SECRET run_on "$(url_of bad)"
expect_message "refused the password"
env -u PGPASSWORD PGPASSFILE="$WORK/no-such-pgpass" "$TALLY" run "$CONFIG" --data "$(url_of bad)" >"$WORK/out" 2>"$WORK/err" && fail "ran without a password"
expect_message "wants a password for user 'tally_admin' and none was given"

# A database that does not exist; one that is not a Tally store.
run_on "$(url_of no_such_db)"
expect_message "database 'no_such_db' does not exist on the PostgreSQL server"
run_on "$(url_of bad)"
expect_message "is not a Tally store (it has no schema_version table)"

# A typo in the scheme.
run_on "postgressql://tally_admin:$SECRET@$PGHOST:$PGPORT/bad"
expect_message "unknown scheme 'postgressql'; did you mean 'postgresql://'?"

# A table missing; a table the user may not read.
expect_exit 0 "$TALLY" migrate --db "$(url_of bad)"
sql bad "DROP TABLE targets"
run_on "$(url_of bad)"
expect_message "has no table 'targets'"
expect_exit 0 "$TALLY" demo --db "$(url_of bad)" --scale 1 --seed 3
sql bad "DROP ROLE IF EXISTS tally_reader_y; CREATE ROLE tally_reader_y LOGIN PASSWORD '$SECRET';
  GRANT SELECT ON ALL TABLES IN SCHEMA public TO tally_reader_y; REVOKE SELECT ON quotas FROM tally_reader_y"
PGPASSWORD=$SECRET run_on "postgresql://tally_reader_y@$PGHOST:$PGPORT/bad"
expect_message "user 'tally_reader_y' may not read table 'quotas'"

# `tally demo` refuses a database holding someone else's tables of the same names.
fresh_db foreign
sql foreign "CREATE TABLE opportunities (id int)"
expect_exit 2 "$TALLY" demo --db "$(url_of foreign)" --scale 1
expect_message "has a table 'opportunities' but is not a Tally store"
[[ $(sql foreign "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 1 ]] || fail "demo changed the foreign database"
echo "ok"
