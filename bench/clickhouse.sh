#!/usr/bin/env bash
# Benchmark: `tally run configs/demo.yaml` on SQLite, on one ClickHouse server
# and on two ClickHouse shards, same demo (seed 42) at each scale, on this
# machine in the same run. Starts its own two-shard cluster
# (scripts/clickhouse-cluster.sh) with its data in BENCH_DIR/ch-data and stops
# it at the end, even on failure. Prints the demo's load time and best and
# median of RUNS timed runs (default 3) after a first timed run each (printed
# apart: the caches as the run finds them); asserts
# nothing.
#
# Loads are kept: a scale already loaded into BENCH_DIR (BENCH_DIR/loaded-*
# records its load time) is not loaded again, so a rerun on a quiet machine
# only times the runs. SQLite and the one-server cluster are loaded up to
# scale SMALL_MAX (default 100); bigger scales go to the two shards only.
# Usage: [RUNS=N] [BENCH_DIR=dir] [SMALL_MAX=N] bench/clickhouse.sh [scales...]   (default: 10 100)
# Scale 1000 is about 100M activities (load: see docs/backends.md).
# Target (issue 10): the demo suite on 100M activities across two shards in under 10 s.
set -euo pipefail
cd "$(dirname "$0")/.."
TALLY=${TALLY:-build/tally}  # with its plugins beside it (build/plugins)
WORK=$(realpath -m "${BENCH_DIR:-/tmp/tally-bench-ch}")
RUNS=${RUNS:-3}
SMALL_MAX=${SMALL_MAX:-100}
scales=("${@:-10 100}")
read -r -a scales <<<"${scales[*]}"
[[ -x "$TALLY" ]] || { echo "build first: make build" >&2; exit 2; }
mkdir -p "$WORK"
STATE="$WORK/cluster"
trap 'scripts/clickhouse-cluster.sh stop "$STATE"' EXIT
CH_DATA_DIR="$WORK/ch-data" scripts/clickhouse-cluster.sh start "$STATE" >/dev/null
# shellcheck disable=SC1091
source "$STATE/env"

# shellcheck source=bench/lib.sh
source bench/lib.sh

# Loads $2 into $3 unless BENCH_DIR/loaded-$1 says it was; prints the load seconds.
load() {
  local mark="$WORK/loaded-$1"
  if [[ ! -s "$mark" ]]; then
    local start=$EPOCHREALTIME
    "$TALLY" demo --db "$3" --scale "$2" >/dev/null || { echo "tally demo --scale $2 into $1 failed" >&2; exit 1; }
    awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f\n", b - a}' >"$mark"
  fi
  cat "$mark"
}

echo "tally run configs/demo.yaml: a first run, then $RUNS timed runs; $(nproc) cores; ClickHouse $(clickhouse-client --version 2>/dev/null | awk '{print $NF}'); $(uptime | sed 's/.*load/load/')"
printf '%-6s %-12s %11s %9s %11s %10s %12s\n' scale engine activities demo_s run_first_s run_best_s run_median_s
for scale in "${scales[@]}"; do
  db="$WORK/demo-$scale.db"
  two="clickhouse://127.0.0.1:$CH_HTTP_PORT1/demo$scale?cluster=tally&shards=127.0.0.1:$CH_HTTP_PORT1,127.0.0.1:$CH_HTTP_PORT2"
  one="clickhouse://127.0.0.1:$CH_HTTP_PORT1/one$scale?cluster=tally_one"
  engines=(clickhouse-2)
  ((scale <= SMALL_MAX)) && engines=(clickhouse-2 sqlite clickhouse-1)
  for engine in "${engines[@]}"; do
    case $engine in
      sqlite) source_=$db demo_s=$(load "sqlite-$scale" "$scale" "$db") ;;
      clickhouse-1) source_=$one demo_s=$(load "one-$scale" "$scale" "$one") ;;
      clickhouse-2) source_=$two demo_s=$(load "two-$scale" "$scale" "$two") ;;
    esac
    activities=$(curl -sf "http://127.0.0.1:$CH_HTTP_PORT1/" --data-binary "SELECT count() FROM demo$scale.activities" || echo "?")
    read -r first best med < <(time_runs "$source_")
    printf '%-6s %-12s %11s %9s %11s %10s %12s\n' "$scale" "$engine" "$activities" "$demo_s" "$first" "$best" "$med"
  done
done
