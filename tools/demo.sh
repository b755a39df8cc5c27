#!/usr/bin/env bash
# tools/demo.sh — builds weft's examples and runs them, showing weft's reports.
#
#   bash tools/demo.sh          # as root on Debian 12; installs what is missing with apt-get
#
# Each example under examples/ is a small program with a real concurrency bug (or its fix). weft
# explores its schedules, finds the bug, and prints a report: the kind of bug, the evidence (who
# waits on what, where), the last scheduling steps, and a line that replays that exact schedule.
# The examples are the CTest tests labelled `example`; this script runs them one after the other
# and shows all of their output. Build directory: build-demo/ (WEFT_DEMO_BUILD_DIR overrides).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$WEFT_ROOT"

build_dir=${WEFT_DEMO_BUILD_DIR:-$WEFT_ROOT/build-demo}

# What the library and the examples need; the Catch2 adapter is built when Catch2 is there.
ensure_packages cmake g++ ninja-build libboost-context-dev libgtest-dev catch2
choose_generator

if [[ ! -s examples/CMakeLists.txt ]]; then
  echo "No examples yet: examples/CMakeLists.txt is missing or empty, so there is nothing to show."
  echo "(The library and its tests are still checked by: bash tools/test.sh)"
  exit 0
fi

say "Configuring weft with its examples in $build_dir"
mkdir -p "$build_dir"
run_logged "$build_dir/configure.log" cmake -S "$WEFT_ROOT" -B "$build_dir" \
  "${CMAKE_GENERATOR_ARGS[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_EXAMPLES=ON -DWEFT_BUILD_BENCH=OFF

say "Building the library and the examples (log: $build_dir/build.log)"
run_logged "$build_dir/build.log" cmake --build "$build_dir" -j 2

count=$(ctest --test-dir "$build_dir" -N -L example | sed -n 's/^Total Tests: //p')
if [[ ${count:-0} -eq 0 ]]; then
  echo "No examples yet: examples/CMakeLists.txt registers no CTest test labelled 'example'."
  exit 0
fi

say "Running $count example(s); each shows the bug weft finds and how to replay it"
# ctest --verbose streams every example's own output, prefixed with "<test number>: ". The filter
# turns "Start N: name" into a heading, shows each command line (and the environment the example
# sets) as you would type it, and drops ctest's other bookkeeping lines and the prefixes.
rc=0
ctest --test-dir "$build_dir" -L example --verbose -j 1 2>&1 |
  sed -u -E \
    -e '/^[0-9]+: Environment variables:/,/^[0-9]+: Test timeout computed/ s/^[0-9]+:  (.+)$/  (environment: \1)/' \
    -e 's/^[0-9]+: Test command: (.*)$/$ \1/' \
    -e '/^(Internal ctest|UpdateCTestConfiguration|Test project|Constructing a list|Done constructing|Updating test list|Added [0-9]+ tests|Checking test dependency|test [0-9]+$)/d' \
    -e '/^[0-9]+: (Working Directory|Test timeout computed|Environment variables)/d' \
    -e 's/^ *Start +[0-9]+: (.*)$/\n======== example: \1 ========/' \
    -e 's/^[0-9]+: //' || rc=$?

if [[ $rc -ne 0 ]]; then
  echo "Some example did not behave as its story says (see above)." >&2
  exit "$rc"
fi
say "Done: every example ran. To replay a schedule, copy a report's 'replay:' line."
