# Shared by the bench scripts (sourced): timing helpers.
seconds() {  # wall seconds of a command, output discarded
  local start=$EPOCHREALTIME
  "$@" >/dev/null
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f\n", b - a}'
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# Times `tally run configs/demo.yaml --data $1` once with the servers' caches as what ran before
# left them (as a report run once a day finds them), then RUNS times more; prints "first best
# median" (best and median of the RUNS).
time_runs() {
  local first
  first=$(seconds "$TALLY" run configs/demo.yaml --data "$1" --format json)
  local times=() i
  for ((i = 0; i < RUNS; i++)); do times+=("$(seconds "$TALLY" run configs/demo.yaml --data "$1" --format json)"); done
  echo "$first $(printf '%s\n' "${times[@]}" | sort -n | head -1) $(printf '%s\n' "${times[@]}" | median)"
}
