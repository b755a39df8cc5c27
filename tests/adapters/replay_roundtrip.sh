#!/usr/bin/env bash
# Runs a failing test twice (two processes must print the same report), then runs the replay line
# from its report and checks that the replay prints the identical report again.
# Usage: replay_roundtrip.sh <binary> [args that select one failing test...]
set -u
binary=$1
shift
report() {  # the report text: from "weft: <kind>" through the replay line
  sed -n '/^weft: /,/replay: WEFT_REPLAY=/p' | sed 's/^[[:space:]]*//'
}
# Line-buffered output: stdout and stderr then interleave in program order. Fully buffered (the
# default into a pipe), where stdout's buffer is flushed depends on the length of what came
# before, which includes timings ("(12 ms)"), and the one-line summaries ("M steps/s") could land
# inside the report on one run and outside it on the next.
run() { stdbuf -oL -eL "$@"; }
first=$(WEFT_ITERATIONS=10000 run "$binary" "$@" 2>&1 | report)
second=$(WEFT_ITERATIONS=10000 run "$binary" "$@" 2>&1 | report)
if [ -z "$first" ]; then
  echo "FAIL: no weft report in the output of: $binary $*"
  exit 1
fi
if [ "$first" != "$second" ]; then
  echo "FAIL: two runs printed different reports"
  diff <(echo "$first") <(echo "$second")
  exit 1
fi
line=$(echo "$first" | grep -o 'WEFT_REPLAY=w1\.[A-Za-z0-9_-]*' | head -n 1)
if [ -z "$line" ]; then
  echo "FAIL: no replay line in the report:"
  echo "$first"
  exit 1
fi
token=${line#WEFT_REPLAY=}
replayed=$(WEFT_REPLAY=$token run "$binary" "$@" 2>&1 | report)
if [ "$first" != "$replayed" ]; then
  echo "FAIL: the replay printed a different report"
  diff <(echo "$first") <(echo "$replayed")
  exit 1
fi
echo "$first"
echo "OK: deterministic across processes and replayed identically"
