#!/usr/bin/env bash
# Benchmark: `tally run configs/demo.yaml` on SQLite, on one ClickHouse server
# and on two ClickHouse shards, same demo (seed 42) at each scale, on this
# machine in the same run. Starts its own two-shard cluster
# (scripts/clickhouse-cluster.sh) and stops it at the end, even on failure.
# Prints the demo's load time and best and median of RUNS timed runs
# (default 3) after one warm-up run each; asserts nothing.
# Usage: [RUNS=N] [BENCH_DIR=dir] bench/clickhouse.sh [scales...]   (default: 10 100)
# Target (issue 10): the demo suite on 100M activities across two shards in under 10 s.
set -euo pipefail
cd "$(dirname "$0")/.."
TALLY=${TALLY:-build/tally}
WORK=${BENCH_DIR:-/tmp/tally-bench-ch}
RUNS=${RUNS:-3}
scales=("${@:-10 100}")
read -r -a scales <<<"${scales[*]}"
[[ -x "$TALLY" ]] || { echo "build first: make build" >&2; exit 2; }
mkdir -p "$WORK"
STATE="$WORK/cluster"
trap 'scripts/clickhouse-cluster.sh stop "$STATE"' EXIT
scripts/clickhouse-cluster.sh start "$STATE" >/dev/null
# shellcheck disable=SC1091
source "$STATE/env"

# shellcheck source=bench/lib.sh
source bench/lib.sh

echo "tally run configs/demo.yaml: $RUNS timed runs after a warm-up; $(nproc) cores; ClickHouse $(clickhouse-client --version 2>/dev/null | awk '{print $NF}')"
printf '%-6s %-12s %11s %9s %10s %12s\n' scale engine activities demo_s run_best_s run_median_s
for scale in "${scales[@]}"; do
  db="$WORK/demo-$scale.db"
  two="clickhouse://127.0.0.1:$CH_HTTP_PORT1/demo$scale?cluster=tally&shards=127.0.0.1:$CH_HTTP_PORT1,127.0.0.1:$CH_HTTP_PORT2"
  one="clickhouse://127.0.0.1:$CH_HTTP_PORT1/one$scale?cluster=tally_one"
  sqlite_demo=$(seconds "$TALLY" demo --db "$db" --scale "$scale")
  two_demo=$(seconds "$TALLY" demo --db "$two" --scale "$scale")
  one_demo=$(seconds "$TALLY" demo --db "$one" --scale "$scale")
  activities=$(curl -sf "http://127.0.0.1:$CH_HTTP_PORT1/" --data-binary "SELECT count() FROM demo$scale.activities")
  for engine in sqlite clickhouse-1 clickhouse-2; do
    case $engine in
      sqlite) source_=$db demo_s=$sqlite_demo ;;
      clickhouse-1) source_=$one demo_s=$one_demo ;;
      clickhouse-2) source_=$two demo_s=$two_demo ;;
    esac
    read -r best med < <(time_runs "$source_")
    printf '%-6s %-12s %11s %9s %10s %12s\n' "$scale" "$engine" "$activities" "$demo_s" "$best" "$med"
  done
done
