#!/bin/sh
# A/B: one bench of this tree and of another built tree, run alternately (A B A B ...),
# every run printed whole: this machine is noisy, so neither tree gets the quiet minutes.
#
#   bench/ab.sh OTHER_TREE BENCH [ROUNDS] [-- BENCH ARGS]
#   e.g. bench/ab.sh ../portsec-base compile 3 -- --sizes 1000,3000
#
# Both trees must be built (npm run build); BENCH is a file of dist/bench (compile, apply, ...).
# A runs first in odd rounds and second in even ones.
set -eu
[ $# -ge 2 ] || { echo "usage: bench/ab.sh OTHER_TREE BENCH [ROUNDS] [-- ARGS]" >&2; exit 2; }
A=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "$1" && pwd)
BENCH=$2
ROUNDS=${3:-3}
shift 2; [ $# -gt 0 ] && [ "$1" != "--" ] && shift; [ $# -gt 0 ] && shift
for t in "$A" "$B"; do
  [ -f "$t/dist/bench/$BENCH.js" ] || { echo "bench/ab.sh: $t/dist/bench/$BENCH.js missing: build that tree" >&2; exit 2; }
done
run() {
  tree=$1 round=$2; shift 2
  echo "=== $tree ($(git -C "$tree" rev-parse --short HEAD 2>/dev/null || echo '?')) round $round: $BENCH $*"
  (cd "$tree" && node --max-semi-space-size=64 "dist/bench/$BENCH.js" "$@")
}
i=1
while [ "$i" -le "$ROUNDS" ]; do
  if [ $((i % 2)) -eq 1 ]; then run "$A" "$i" "$@"; run "$B" "$i" "$@"; else run "$B" "$i" "$@"; run "$A" "$i" "$@"; fi
  i=$((i + 1))
done
