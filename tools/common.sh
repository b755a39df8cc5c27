# tools/common.sh — helpers shared by tools/demo.sh and tools/test.sh (sourced, not run).
#
# Both scripts must work on a fresh Debian 12 machine as root, reaching only Debian's apt
# repositories, and must not touch apt at all when everything is already installed.

# The repository root (this file lives in <root>/tools).
WEFT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# say <text>: a visible progress line on stdout.
say() { printf '\n==> %s\n' "$*"; }

# package_installed <pkg>: true if dpkg has <pkg> fully installed ("install ok installed"; a
# package that was removed but left its configuration behind does not count).
package_installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

# ensure_packages <pkg>...: installs with apt-get whichever of the packages is missing. Runs
# `apt-get update` once first, and only when something must be installed.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    package_installed "$pkg" || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    echo "All needed Debian packages are installed: $*"
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Run this script as root, or install them first: apt-get install ${missing[*]}" >&2
    return 1
  fi
  say "Installing missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "${missing[@]}"
}

# choose_generator: sets CMAKE_GENERATOR_ARGS to Ninja when it is installed (Debian package
# ninja-build), else leaves CMake's default (Unix Makefiles). Call it after ensure_packages.
# Also sets CMAKE_KEEP_GOING_ARGS, the build tool's "keep going after a failure" flag, so that one
# broken target does not hide whether the others build.
choose_generator() {
  CMAKE_GENERATOR_ARGS=()
  CMAKE_KEEP_GOING_ARGS=(-- -k)
  if command -v ninja >/dev/null 2>&1; then
    CMAKE_GENERATOR_ARGS=(-G Ninja)
    CMAKE_KEEP_GOING_ARGS=(-- -k 0)
  fi
}

# run_logged <logfile> <command...>: runs a command with its output in <logfile>; on failure shows
# the log's error lines and its tail, so a CI log stays short when all is well.
run_logged() {
  local log=$1
  shift
  local rc=0
  "$@" >"$log" 2>&1 || rc=$?
  [[ $rc -eq 0 ]] && return 0
  echo "FAILED (exit $rc): $*" >&2
  echo "--- error and warning lines of $log ---" >&2
  grep -E 'error|warning|FAILED' "$log" | head -n 60 >&2 || true
  echo "--- last 40 lines of $log ---" >&2
  tail -n 40 "$log" >&2
  return "$rc"
}
