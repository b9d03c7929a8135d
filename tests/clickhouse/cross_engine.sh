#!/usr/bin/env bash
# Every shipped demo config on the SQLite demo and the ClickHouse demo of the
# same seed, on one server (cluster tally_one) and on two shards (cluster
# tally): the JSON reports agree (counts exactly, money to the cent, ratios to
# 1e-9; tests/postgres/compare_reports.py). Then the demo config again with a
# filter on every named dimension, and with a fiscal year starting in April.
BUILD_DIR=$1 STATE_DIR=$2 SOURCE_DIR=$3
source "$(dirname "$0")/lib.sh"
COMPARE="$SOURCE_DIR/tests/postgres/compare_reports.py"
"$TALLY" demo --db "$WORK/demo.db" --scale 1 --seed 7 >/dev/null
TWO=$(url_of cross)
ONE=$(one_url_of cross_one)
"$TALLY" demo --db "$TWO" --scale 1 --seed 7 >"$WORK/demo.out" || fail "demo on two shards: $(cat "$WORK/demo.out")"
"$TALLY" demo --db "$ONE" --scale 1 --seed 7 >/dev/null || fail "demo on one shard"
# Facts are spread over both shards; dimensions are on both whole.
for table in opportunities activities stage_history; do
  want=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(f"SELECT count(*) FROM {sys.argv[2]}").fetchone()[0])' "$WORK/demo.db" "$table")
  got=$(sql 1 "SELECT count() FROM cross.$table")
  one=$(sql 1 "SELECT count() FROM cross.${table}_local")
  two=$(sql 2 "SELECT count() FROM cross.${table}_local")
  [[ "$want" == "$got" ]] || fail "$table: $want rows in SQLite, $got on two shards"
  [[ $one -gt 0 && $two -gt 0 && $((one + two)) -eq $want ]] || fail "$table: shards hold $one and $two of $want rows"
done
[[ $(sql 2 "SELECT count() FROM cross.reps") == $(sql 1 "SELECT count() FROM cross.reps") ]] || fail "reps differ per shard"

status=0
compare() {  # label config [compare_reports.py flag]
  local label=$1 config=$2 flag=${3:-}
  "$TALLY" run "$config" --data "$WORK/demo.db" --format json >"$WORK/$label.sqlite.json" 2>/dev/null || true
  for cluster in one two; do
    local url=$TWO; [[ $cluster == one ]] && url=$ONE
    "$TALLY" run "$config" --data "$url" --format json >"$WORK/$label.$cluster.json" 2>"$WORK/$label.$cluster.err" || true
    python3 "$COMPARE" "$WORK/$label.sqlite.json" "$WORK/$label.$cluster.json" "$label ($cluster)" $flag || status=1
  done
}
for config in "$SOURCE_DIR"/configs/*.yaml; do
  name=$(basename "$config" .yaml)
  [[ $name == maven-crm ]] && continue  # its store comes from `tally import` (import.sh)
  compare "$name" "$config"
done
# A filter on every named dimension, and a fiscal year from April. A metric
# whose dataset cannot take a filter (churn reads subscriptions, which have no
# source) fails alike on both engines.
python3 - "$SOURCE_DIR/configs/demo.yaml" "$WORK" <<'PY'
import sqlite3, sys
config = [line for line in open(sys.argv[1]) if not line.startswith("data:")]
db = sqlite3.connect(f"{sys.argv[2]}/demo.db")
def first(sql):
    return db.execute(sql).fetchone()[0]
values = {
    "rep": first("SELECT name FROM reps WHERE role = 'rep' ORDER BY id LIMIT 1"),
    "team": first("SELECT name FROM teams ORDER BY id LIMIT 1"),
    "manager": first("SELECT m.name FROM reps r JOIN reps m ON m.id = r.manager_id ORDER BY r.id LIMIT 1"),
    "region": "EMEA",
    "segment": "enterprise",
    "industry": first("SELECT industry FROM accounts WHERE industry IS NOT NULL ORDER BY id LIMIT 1"),
    "source": first("SELECT source FROM opportunities WHERE source IS NOT NULL ORDER BY id LIMIT 1"),
    "product": first("SELECT name FROM products ORDER BY id LIMIT 1"),
}
for dimension, value in values.items():
    with open(f"{sys.argv[2]}/filter-{dimension}.yaml", "w") as out:
        out.writelines(config)
        out.write(f'filters: {{{dimension}: ["{value}"]}}\n')
with open(f"{sys.argv[2]}/fiscal-april.yaml", "w") as out:
    out.writelines(config)
    out.write("fiscal_year_start: april\n")
PY
for f in "$WORK"/filter-*.yaml "$WORK"/fiscal-april.yaml; do
  compare "$(basename "$f" .yaml)" "$f" --same-errors-agree
done
[[ $status -eq 0 ]] || fail "the engines disagree"
echo "ok"
