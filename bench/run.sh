#!/usr/bin/env bash
# Benchmark: builds demo databases at scale 10 and 100 and times
# `tally run configs/demo.yaml` on each (wall time, peak memory).
# Prints its figures (best and median of RUNS timed runs, default 3); asserts nothing.
# Usage: [RUNS=N] [BENCH_DIR=dir] bench/run.sh [scales...]
# Target (issue 2): the four foundation plugins on scale 100 in under 5 s on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
TALLY=${TALLY:-build/tally}
WORK=${BENCH_DIR:-/tmp/tally-bench}
scales=("${@:-10 100}")
read -r -a scales <<<"${scales[*]}"
mkdir -p "$WORK"
[[ -x "$TALLY" ]] || { echo "build first: make build" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

measure() {  # prints "wall_s peak_mib" for a command
  local log
  log=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$log" "$@" >/dev/null
  awk '{printf "%.2f %.0f\n", $1, $2/1024}' "$log"
  rm -f "$log"
}

RUNS=${RUNS:-3}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "tally run configs/demo.yaml, $RUNS timed runs after one warm-up run; $(nproc) cores"
printf '%-6s %14s %10s %14s %10s %12s %10s\n' scale opportunities demo_s demo_peak_MiB run_best_s run_median_s run_peak_MiB
for scale in "${scales[@]}"; do
  db="$WORK/demo-$scale.db"
  if [[ ! -f "$db" ]]; then
    read -r demo_s demo_mem < <(measure "$TALLY" demo --db "$db" --scale "$scale")
  else
    demo_s="(cached)"; demo_mem="-"
    "$TALLY" migrate --db "$db" >/dev/null  # a store from an older tally gets the current indexes
  fi
  opps=$(sqlite3 "$db" 'SELECT count(*) FROM opportunities' 2>/dev/null || echo "?")
  "$TALLY" run configs/demo.yaml --data "$db" --format json >/dev/null  # warm the page cache
  times=() peak=0
  for ((i = 0; i < RUNS; i++)); do
    read -r run_s run_mem < <(measure "$TALLY" run configs/demo.yaml --data "$db" --format json)
    times+=("$run_s")
    ((run_mem > peak)) && peak=$run_mem
  done
  best=$(printf '%s\n' "${times[@]}" | sort -n | head -1)
  med=$(printf '%s\n' "${times[@]}" | median)
  printf '%-6s %14s %10s %14s %10s %12s %10s\n' "$scale" "$opps" "$demo_s" "$demo_mem" "$best" "$med" "$peak"
done
