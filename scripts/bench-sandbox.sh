#!/usr/bin/env bash
# Benchmark: the sandbox's speed and memory, as medians over several runs, with a one-hour day
# measured in the same run as the baseline. The 8h/1h ratio shows whether the cost grows with
# simulated time linearly (about 8) or worse. Not part of CI: timings are noisy on shared
# machines, so the figures belong in the README, quoted with the machine they came from.
#
#   scripts/bench-sandbox.sh [runs]      (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (/usr/bin/time)" >&2; exit 1; }

cargo build --release --locked --quiet
bin=target/release/aca-runner-scaler

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A seconds memory
for ((i = 1; i <= runs; i++)); do
  # Alternate the two lengths so drift in machine load hits both alike.
  for length in 1h 8h; do
    stats=$( { /usr/bin/time -f '%e %M' "$bin" sandbox --duration "$length" --json >/dev/null; } 2>&1 | tail -1)
    seconds[$length]+="${stats% *} "
    memory[$length]+="${stats#* } "
  done
done

printf '%-6s %12s %16s   (%s runs each, %s cores)\n' day "median s" "median peak KB" "$runs" "$(nproc)"
for length in 1h 8h; do
  s=$(tr ' ' '\n' <<<"${seconds[$length]}" | grep . | median)
  m=$(tr ' ' '\n' <<<"${memory[$length]}" | grep . | median)
  printf '%-6s %12s %16s\n' "$length" "$s" "$m"
  eval "median_$length=$s"
done
awk -v a="$median_8h" -v b="$median_1h" 'BEGIN {printf "ratio 8h/1h: %.2f (8 would be linear in simulated time)\n", a / b}'
