#!/usr/bin/env bash
# Benchmark: `tally import` of the ROWS-row opportunities CSV
# (bench/gen_opportunities.py, Maven layout, after the Maven teams, accounts
# and products) into a new SQLite file and into a new PostgreSQL database,
# in the same run on this machine. Starts its own throwaway PostgreSQL server
# (tests/postgres/pg_server.sh) and stops it at the end, even on failure.
# Prints best and median wall seconds of RUNS runs (default 3) per engine,
# and rows/s at the median; asserts nothing.
# Usage: [RUNS=N] [TALLY=build/tally] [MAVEN_DIR=dir] bench/import_engines.sh [ROWS]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
TALLY=${TALLY:-build/tally}
RUNS=${RUNS:-3}
WORK=${BENCH_DIR:-/tmp/tally-bench-import}
MAVEN=$(realpath "${MAVEN_DIR:-../shared/data/maven-crm}")  # MAVEN_DIR: from a worktree elsewhere
[[ -x "$TALLY" ]] || { echo "build first: make build" >&2; exit 2; }
TALLY=$(realpath "$TALLY")
mkdir -p "$WORK"
CSV="$(realpath "$WORK")/$ROWS/sales_pipeline.csv"
if [[ ! -f "$CSV" ]]; then
  mkdir -p "$WORK/$ROWS"
  echo "generating $ROWS rows -> $CSV" >&2
  python3 bench/gen_opportunities.py "$ROWS" "$CSV"
fi
STATE="$WORK/server"
trap 'tests/postgres/pg_server.sh stop "$STATE"' EXIT
tests/postgres/pg_server.sh start "$STATE" >/dev/null
# shellcheck disable=SC1091
source "$STATE/env"
# shellcheck disable=SC1091
source bench/lib.sh
FILES=("$MAVEN/sales_teams.csv" "$MAVEN/accounts.csv" "$MAVEN/products.csv" "$CSV")
MAPPING=$(realpath configs/mappings/maven-crm.yaml)

import_sqlite() {
  rm -f "$WORK/bench.db" "$WORK/bench.db-wal" "$WORK/bench.db-shm" "$WORK/bench.db.rejects.csv"
  "$TALLY" import --mapping "$MAPPING" --db "$WORK/bench.db" "${FILES[@]}"
}
import_postgres() {
  psql -q -X -d postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" >/dev/null
  # The rejects file (none expected) would go to the current folder.
  (cd "$WORK" && "$TALLY" import --mapping "$MAPPING" --db "postgresql://$PGUSER@$PGHOST:$PGPORT/bench" "${FILES[@]}")
}

echo "tally import of $ROWS opportunities (+ Maven teams, accounts, products) into a new store: $RUNS runs; $(nproc) cores; PostgreSQL $(psql -XAtc 'SHOW server_version' -d postgres)"
printf '%-10s %8s %10s %14s\n' engine best_s median_s rows/s_median
for engine in sqlite postgres; do
  times=()
  for ((i = 0; i < RUNS; i++)); do times+=("$(seconds "import_$engine")"); done
  best=$(printf '%s\n' "${times[@]}" | sort -n | head -1)
  med=$(printf '%s\n' "${times[@]}" | median)
  printf '%-10s %8s %10s %14s\n' "$engine" "$best" "$med" "$(awk -v r="$ROWS" -v s="$med" 'BEGIN { printf "%d", r / s }')"
done
