#!/usr/bin/env bash
# Benchmark: `tally run configs/demo.yaml` on SQLite and on PostgreSQL, same
# demo (seed 42) at each scale, on this machine in the same run. Starts its
# own throwaway PostgreSQL server (tests/postgres/pg_server.sh) and stops it
# at the end, even on failure. Prints best and median of RUNS timed runs
# (default 5) after one warm-up run each; asserts nothing.
# Usage: [RUNS=N] [BENCH_DIR=dir] bench/postgres.sh [scales...]   (default: 10 100)
# Target (issue 9): PostgreSQL no slower than SQLite at scale 100.
set -euo pipefail
cd "$(dirname "$0")/.."
TALLY=${TALLY:-build/tally}
WORK=${BENCH_DIR:-/tmp/tally-bench-pg}
RUNS=${RUNS:-5}
scales=("${@:-10 100}")
read -r -a scales <<<"${scales[*]}"
[[ -x "$TALLY" ]] || { echo "build first: make build" >&2; exit 2; }
mkdir -p "$WORK"
STATE="$WORK/server"
trap 'tests/postgres/pg_server.sh stop "$STATE"' EXIT
tests/postgres/pg_server.sh start "$STATE" >/dev/null
# shellcheck disable=SC1091
source "$STATE/env"

# shellcheck source=bench/lib.sh
source bench/lib.sh

echo "tally run configs/demo.yaml: $RUNS timed runs after a warm-up; $(nproc) cores; PostgreSQL $(psql -XAtc 'SHOW server_version' -d postgres)"
printf '%-6s %-10s %9s %10s %12s\n' scale engine demo_s run_best_s run_median_s
for scale in "${scales[@]}"; do
  db="$WORK/demo-$scale.db"
  psql -q -X -d postgres -c "DROP DATABASE IF EXISTS demo$scale" -c "CREATE DATABASE demo$scale" >/dev/null
  url="postgresql://$PGUSER@$PGHOST:$PGPORT/demo$scale"
  sqlite_demo=$(seconds "$TALLY" demo --db "$db" --scale "$scale")
  pg_demo=$(seconds "$TALLY" demo --db "$url" --scale "$scale")
  for engine in sqlite postgresql; do
    source_=$db demo_s=$sqlite_demo
    [[ $engine == postgresql ]] && source_=$url demo_s=$pg_demo
    read -r best med < <(time_runs "$source_")
    printf '%-6s %-10s %9s %10s %12s\n' "$scale" "$engine" "$demo_s" "$best" "$med"
  done
done
