#!/usr/bin/env bash
# tests/consumer/run.sh <weft-source> <weft-build> <tmpdir>
#
# Builds and runs the consumer project (this folder) the two ways a user gets weft:
#   (a) add_subdirectory(<weft-source>)
#   (b) find_package(weft) against `cmake --install <weft-build>` into <tmpdir>/prefix
# Everything it writes goes under <tmpdir>, which it empties first. weft's ctest runs it (label
# `consumer`), passing CMAKE, CXX and CXXFLAGS in the environment so that the consumer is built
# with the same cmake and compiler as weft.
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 <weft-source> <weft-build> <tmpdir>" >&2
  exit 2
fi
weft_source=$(cd "$1" && pwd)
weft_build=$(cd "$2" && pwd)
tmp=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cmake=${CMAKE:-cmake}

rm -rf "$tmp"
mkdir -p "$tmp"
tmp=$(cd "$tmp" && pwd)

# Same generator choice as tools/test.sh: Ninja when it is there.
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
compiler=()
if [[ -n "${CXX:-}" ]]; then compiler=(-DCMAKE_CXX_COMPILER="$CXX"); fi

# configure_build_run <name> <cmake args...>: one consumer build in $tmp/<name>, then run it.
configure_build_run() {
  local name=$1
  shift
  echo "== consumer ($name): configure"
  "$cmake" -S "$here" -B "$tmp/$name" "${generator[@]}" "${compiler[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="${CXXFLAGS:-}" "$@"
  echo "== consumer ($name): build"
  "$cmake" --build "$tmp/$name" -j2
  echo "== consumer ($name): run"
  "$tmp/$name/consumer"
  echo "== consumer ($name): OK"
}

# (a) add_subdirectory of the source tree.
configure_build_run subdirectory -DWEFT_CONSUMER_MODE=subdirectory -DWEFT_SOURCE_DIR="$weft_source"

# (b) install the current build into a prefix, then find_package(weft) from it. weft_DIR is
# checked afterwards to prove that this install (not some other weft on the machine) was used.
echo "== consumer (package): cmake --install $weft_build --prefix $tmp/prefix"
"$cmake" --install "$weft_build" --prefix "$tmp/prefix"
configure_build_run package -DWEFT_CONSUMER_MODE=package -DCMAKE_PREFIX_PATH="$tmp/prefix"
weft_dir=$(sed -n 's/^weft_DIR:PATH=//p' "$tmp/package/CMakeCache.txt")
case "$weft_dir" in
  "$tmp/prefix"/*) echo "== consumer (package): used $weft_dir" ;;
  *)
    echo "consumer (package): find_package(weft) used '$weft_dir', not the install in $tmp/prefix" >&2
    exit 1
    ;;
esac

echo "consumer: both ways OK"
