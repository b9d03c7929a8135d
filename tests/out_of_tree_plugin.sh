#!/usr/bin/env bash
# A plugin author's path: install Tally, scaffold a metric plugin with
# `tally new-plugin`, build it out of tree against the installed SDK, and run it.
set -euo pipefail
build=$1
cmake=${2:-cmake}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs a step quietly; on failure shows what it printed.
step() {
  if ! "$@" >"$work/step.log" 2>&1; then
    echo "failed: $*" >&2
    cat "$work/step.log" >&2
    exit 1
  fi
}

# Stripped as packagers install it: every shipped plugin must still load.
step "$cmake" --install "$build" --prefix "$work/prefix" --strip
tally="$work/prefix/bin/tally"
cd "$work"
"$tally" new-plugin deal_mix >"$work/new.txt"
# The build command exactly as printed (cmake, ctest: those on PATH).
printed=$(sed -n 2p "$work/new.txt")
case "$printed" in "  cmake -S deal_mix -B deal_mix/build -DCMAKE_PREFIX_PATH="*) ;; *) cat "$work/new.txt"; exit 1 ;; esac
step sh -c "$printed"
grep -q 'plugin_case.deal_mix.basic .*Passed' "$work/step.log" || { cat "$work/step.log"; exit 1; }
# A report plugin's scaffold has its passing case too: the file it writes under --out.
"$tally" new-plugin kpi_file --kind report >"$work/new_report.txt"
step sh -c "$(sed -n 2p "$work/new_report.txt")"
grep -q 'plugin_case.kpi_file.basic .*Passed' "$work/step.log" || { cat "$work/step.log"; exit 1; }
# A wrong expected file fails with a line diff: `-` expected, `+` written, with line numbers.
sed -i 's/won = 2.000000/won = 3.000000/' "$work/kpi_file/tests/cases/basic/expected/kpis.txt"
if "$tally" test-plugin kpi_file >"$work/fail.txt"; then echo "a wrong expected/kpis.txt passed" >&2; exit 1; fi
grep -q '^      line    4 -   won = 3.000000$' "$work/fail.txt" || { cat "$work/fail.txt"; exit 1; }
grep -q '^      line    4 +   won = 2.000000$' "$work/fail.txt" || { cat "$work/fail.txt"; exit 1; }
"$tally" plugin verify --dir "$work/prefix/lib/tally/plugins" >"$work/verify.txt" || { cat "$work/verify.txt"; exit 1; }
grep -q '^ok      win_loss' "$work/verify.txt"
grep -q '^sha256: [0-9a-f]\{64\}$' "$work/deal_mix/build/plugins/deal_mix.plugin.yaml"
grep -q '^sdk: "1.2"$' "$work/deal_mix/build/plugins/deal_mix.plugin.yaml"

export TALLY_PLUGIN_PATH="$work/deal_mix/build/plugins"
"$tally" describe deal_mix >"$work/describe.txt"
grep -q 'group_by  (enum, default rep)' "$work/describe.txt" || { cat "$work/describe.txt"; exit 1; }
# The installed host finds its own shipped plugins beside itself.
"$tally" plugins >"$work/plugins.txt"
grep -q '^win_loss ' "$work/plugins.txt" || { cat "$work/plugins.txt"; exit 1; }

step "$tally" demo --db "$work/demo.db"
cat >"$work/report.yaml" <<YAML
data: $work/demo.db
period: {from: 2025-01-01, to: 2025-04-01, compare: previous_period}
metrics: [{use: deal_mix, params: {group_by: region}}, {use: win_loss}]
YAML
out=$("$tally" run "$work/report.yaml" --format json)
echo "$out" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
m = {x["name"]: x for x in doc["metrics"]}
assert m["deal_mix"]["status"] == "ok", m["deal_mix"]
assert m["win_loss"]["status"] == "ok"
won = m["deal_mix"]["kpis"][0]
assert won["name"] == "won_amount" and won["value"] > 0 and won["previous"] is not None, won
rows = m["deal_mix"]["tables"][0]["rows"]
assert abs(sum(r[2] for r in rows) - won["value"]) < 0.01, (rows, won)
print("out-of-tree plugin ok:", won["value"])
'
