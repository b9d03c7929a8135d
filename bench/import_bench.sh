#!/usr/bin/env bash
# Import benchmark: generates a ROWS-row opportunities CSV (Maven layout) in
# /tmp and imports it with the shipped Maven mapping, after the Maven reps,
# accounts and products. Prints rows/s and peak RSS.
#   bench/import_bench.sh [ROWS]        (default 1000000; run from the repo root after building)
# TALLY=path/to/tally overrides the binary (default build/tally).
# Each run imports into a new database. Figures and what makes the import fast:
# docs/import.md, "Performance"; `tally -vv import ...` logs the phases.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
TALLY=${TALLY:-build/tally}
MAVEN=../shared/data/maven-crm
WORK=/tmp/tally-import-bench
mkdir -p "$WORK"

if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq time >/dev/null; else echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; fi
fi
CSV="$WORK/$ROWS/sales_pipeline.csv"
if [ ! -f "$CSV" ]; then
  mkdir -p "$WORK/$ROWS"
  echo "generating $ROWS rows -> $CSV" >&2
  python3 bench/gen_opportunities.py "$ROWS" "$CSV"
fi
DB="$WORK/bench.db"
rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.rejects.csv"

/usr/bin/time -v "$TALLY" import --mapping configs/mappings/maven-crm.yaml --db "$DB" \
  "$MAVEN/sales_teams.csv" "$MAVEN/accounts.csv" "$MAVEN/products.csv" "$CSV" \
  >"$WORK/out.txt" 2>"$WORK/time.txt" || { cat "$WORK/out.txt" "$WORK/time.txt"; exit 1; }
cat "$WORK/out.txt"
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time.txt")
user=$(awk -F': ' '/User time/ {print $2}' "$WORK/time.txt")
sys=$(awk -F': ' '/System time/ {print $2}' "$WORK/time.txt")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
echo "rows: $ROWS  wall: ${secs}s  cpu: ${user}s user + ${sys}s sys  rows/s (wall): $(awk -v r="$ROWS" -v s="$secs" 'BEGIN { printf "%d", r / s }')  rows/s (cpu): $(awk -v r="$ROWS" -v u="$user" -v s="$sys" 'BEGIN { printf "%d", r / (u + s) }')  peak RSS: $((rss / 1024)) MB"
