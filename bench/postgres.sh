#!/usr/bin/env bash
# Benchmark: `tally run configs/demo.yaml` on SQLite and on PostgreSQL, same
# demo (seed 42) at each scale, on this machine in the same run. Runs its
# own PostgreSQL server (tests/postgres/pg_server.sh) whose cluster is kept in
# BENCH_DIR/cluster, and stops it at the end, even on failure. Prints best and
# median of RUNS timed runs (default 5) after a first timed run each (printed
# apart: the caches as the run finds them); asserts
# nothing.
#
# Prepared data is reused: the demo of a scale is written once into
# BENCH_DIR (SQLite file demo-N.db, PostgreSQL database demoN in the kept
# cluster, marker demo-N.ready) and later runs only `tally migrate` it to this
# binary's schema; the demo_s column then says "reused". Scale 100 takes tens
# of minutes to prepare; delete BENCH_DIR (or its demo-N.ready) to start over.
# Usage: [RUNS=N] [BENCH_DIR=dir] [PREPARE_ONLY=1] bench/postgres.sh [scales...]   (default: 10 100)
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
PG_CLUSTER_DIR="$WORK/cluster" tests/postgres/pg_server.sh start "$STATE" >/dev/null
# shellcheck disable=SC1091
source "$STATE/env"

# shellcheck source=bench/lib.sh
source bench/lib.sh

# Writes the demo of scale $1 into both engines unless BENCH_DIR has it
# already; prints "sqlite_seconds pg_seconds", or "reused reused".
prepare() {
  local scale=$1 db="$WORK/demo-$1.db" url="postgresql://$PGUSER@$PGHOST:$PGPORT/demo$1"
  local has_pg
  has_pg=$(psql -XAtc "SELECT count(*) FROM pg_database WHERE datname = 'demo$scale'" -d postgres)
  if [[ -f "$WORK/demo-$scale.ready" && -f "$db" && $has_pg == 1 ]]; then
    "$TALLY" migrate --db "$db" >/dev/null
    "$TALLY" migrate --db "$url" >/dev/null
    echo "reused reused"
    return
  fi
  rm -f "$WORK/demo-$scale.ready" "$db" "$db-wal" "$db-shm"
  psql -q -X -d postgres -c "DROP DATABASE IF EXISTS demo$scale" -c "CREATE DATABASE demo$scale" >/dev/null
  local sqlite_s pg_s
  sqlite_s=$(seconds "$TALLY" demo --db "$db" --scale "$scale")
  pg_s=$(seconds "$TALLY" demo --db "$url" --scale "$scale")
  date -u +%FT%TZ >"$WORK/demo-$scale.ready"
  echo "$sqlite_s $pg_s"
}

echo "tally run configs/demo.yaml: a first run, then $RUNS timed runs; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL $(psql -XAtc 'SHOW server_version' -d postgres); data in $WORK"
printf '%-6s %-10s %9s %11s %10s %12s\n' scale engine demo_s run_first_s run_best_s run_median_s
for scale in "${scales[@]}"; do
  prepared=$(prepare "$scale")
  read -r sqlite_demo pg_demo <<<"$prepared"
  if [[ $sqlite_demo == reused ]]; then
    echo "scale $scale: reusing the demo prepared in $WORK on $(cat "$WORK/demo-$scale.ready")"
  else
    echo "scale $scale: demo written in $sqlite_demo s (SQLite), $pg_demo s (PostgreSQL)"
  fi
  [[ -n ${PREPARE_ONLY:-} ]] && continue
  for engine in sqlite postgresql; do
    source_="$WORK/demo-$scale.db" demo_s=$sqlite_demo
    [[ $engine == postgresql ]] && source_="postgresql://$PGUSER@$PGHOST:$PGPORT/demo$scale" demo_s=$pg_demo
    read -r first best med < <(time_runs "$source_")
    printf '%-6s %-10s %9s %11s %10s %12s\n' "$scale" "$engine" "$demo_s" "$first" "$best" "$med"
  done
done
