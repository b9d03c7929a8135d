#!/usr/bin/env bash
# Benchmark: the cost of `isolation: process` (issue 13). Times
# `tally run configs/demo.yaml --format json` in-process and with every metric
# isolated (its plugin folder's default `isolation: process`), alternating the
# two (--jobs 1: the metrics one after another), and prints best/median wall
# time of each, the median overhead per isolated plugin, and from `tally -v`
# each child's start and load time and how long a plugin's turn waited for it
# (children start up front, in parallel: the wait is what start-up costs the
# run). Asserts nothing. Target: under 10 ms per plugin.
# Usage: [RUNS=N] [BENCH_DIR=dir] [TALLY=build/tally] bench/isolation.sh
# With farm-bench installed (FARM=1), it also prints farm-bench's paired figures.
set -euo pipefail
cd "$(dirname "$0")/.."
TALLY=${TALLY:-build/tally}
PLUGINS=${PLUGINS:-$(dirname "$TALLY")/plugins}
WORK=${BENCH_DIR:-/tmp/tally-bench-isolation}
RUNS=${RUNS:-21}
[[ -x "$TALLY" ]] || { echo "build first: cmake --build build --target tally" >&2; exit 2; }
mkdir -p "$WORK"
db="$WORK/demo.db"
[[ -f "$db" ]] || "$TALLY" demo --db "$db" >/dev/null
plugins_dir=$(cd "$PLUGINS" && pwd)
cp configs/demo.yaml "$WORK/in-process.yaml"
{ cat configs/demo.yaml; printf '\nplugin_paths: [{path: %s, isolation: process}]\n' "$plugins_dir"; } \
  >"$WORK/isolated.yaml"
# Every plugin found in the isolated folder runs isolated: the metrics and the json report.
"$TALLY" -v run "$WORK/isolated.yaml" --data "$db" --format json 2>"$WORK/isolated.log" >/dev/null ||
  { tail -5 "$WORK/isolated.log" >&2; echo "(an older demo.db? remove $db)" >&2; exit 1; }
metrics=$(grep -c 'started in process' "$WORK/isolated.log")
libraries=$metrics

# Same output both ways, or the timing means nothing.
"$TALLY" run "$WORK/in-process.yaml" --data "$db" --format json | grep -v generated_at >"$WORK/a.json"
"$TALLY" run "$WORK/isolated.yaml" --data "$db" --format json | grep -v generated_at >"$WORK/b.json"
cmp -s "$WORK/a.json" "$WORK/b.json" || { echo "isolated JSON differs from in-process" >&2; exit 1; }

echo "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (absolute times are noisy under load)"
python3 - "$TALLY" "$db" "$WORK" "$RUNS" "$metrics" "$libraries" <<'PY'
import statistics, subprocess, sys, time
tally, db, work, runs, metrics, libraries = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
def once(config):
    start = time.monotonic()
    subprocess.run([tally, "run", f"{work}/{config}.yaml", "--data", db, "--format", "json", "--jobs", "1"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.monotonic() - start
once("in-process"); once("isolated")  # warm-up
a, b, diff = [], [], []
for _ in range(runs):
    x = once("in-process"); y = once("isolated")
    a.append(x); b.append(y); diff.append(y - x)
ms = lambda s: f"{s * 1000:8.1f}"
print(f"tally run configs/demo.yaml --format json (scale 1), {runs} alternating runs after a warm-up")
print(f"{metrics} plugins (the demo's metrics and the json report), each in its own child process")
print(f"{'':22}{'best ms':>9}{'median ms':>11}")
print(f"{'in-process':22}{ms(min(a))}{ms(statistics.median(a)):>11}")
print(f"{'all metrics isolated':22}{ms(min(b))}{ms(statistics.median(b)):>11}")
overhead = statistics.median(diff)
print(f"median overhead per run: {overhead * 1000:.1f} ms; per isolated plugin: {overhead * 1000 / metrics:.1f} ms (target < 10)")
# What tally logs for each child: check + fork (by the plugin host server; the
# first one also waits for the server's exec) + dlopen + init,
# and how long the plugin's turn then waited for it.
import re
starts, waits = [], []
for _ in range(max(3, runs // 3)):
    log = subprocess.run([tally, "-v", "run", f"{work}/isolated.yaml", "--data", db, "--format", "json", "--jobs", "1"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True).stderr
    for start, wait in re.findall(r"\(([0-9.]+) ms to start and load; waited ([0-9.]+) ms", log):
        starts.append(float(start)); waits.append(float(wait))
print(f"start and load per plugin (from tally -v): best {min(starts):.1f} ms, median {statistics.median(starts):.1f} ms over {len(starts)} starts")
print(f"waited for its child at a plugin's turn: median {statistics.median(waits):.1f} ms, max {max(waits):.1f} ms")
PY

if [[ "${FARM:-0}" == 1 ]] && command -v farm-bench >/dev/null; then
  farm-bench -n 15 --vs "$TALLY run $WORK/in-process.yaml --data $db --format json --jobs 1" -- \
    "$TALLY" run "$WORK/isolated.yaml" --data "$db" --format json --jobs 1
fi
