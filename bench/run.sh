#!/usr/bin/env bash
# bench/run.sh — builds weft's benchmarks (Release) and runs every benchmark executable, then
# prints a summary of the figures against the engine's targets.
#
#   bench/run.sh                               # build into build-bench/, 3 repetitions each
#   WEFT_BENCH_REPETITIONS=1 bench/run.sh      # quicker
#   bench/run.sh --benchmark_filter=mutex      # extra arguments go to every executable
#
# Environment: WEFT_BENCH_BUILD_DIR (default <repo>/build-bench), WEFT_BENCH_REPETITIONS
# (default 3; the summary uses the median), WEFT_BENCH_OUT (default <build dir>/bench-results:
# one JSON file per executable, Google Benchmark's format), WEFT_BENCH_MAX_MEMORY_MIB (default
# 6144, 0 = none: the child processes that measure the many-task benchmarks cap their address
# space at this much above what they inherit, so a benchmark whose memory explodes fails with an
# error instead of waking the OOM killer on a shared machine).
#
# The machine should be otherwise idle: wall-time figures count the time other processes hold
# the CPU. Each benchmark also reports cpu_ns_* counters (process CPU time), which loaded
# machines disturb much less; the summary shows both.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${WEFT_BENCH_BUILD_DIR:-$root/build-bench}"
reps="${WEFT_BENCH_REPETITIONS:-3}"
out="${WEFT_BENCH_OUT:-$build/bench-results}"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_BENCH=ON \
  -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_EXAMPLES=OFF >/dev/null
targets=(weft_bench)
if ! grep -q '^WEFT_RELACY_INCLUDE_DIR:PATH=.*NOTFOUND' "$build/CMakeCache.txt"; then
  targets+=(weft_bench_relacy)
else
  echo "(relacy/relacy.hpp not found, Debian package relacy-dev: Relacy's benchmark is skipped)"
fi
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
mkdir -p "$out"

echo
echo "== machine"
echo "nproc: $(nproc)"
grep -m1 'model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*: /cpu: /' || true
echo "g++: $(g++ --version | head -n1)"
if command -v clang++ >/dev/null; then echo "clang++: $(clang++ --version | head -n1)"; fi
cxx="$(grep -m1 '^CMAKE_CXX_COMPILER:' "$build/CMakeCache.txt" | cut -d= -f2)"
echo "compiler used: $cxx -> $(readlink -f "$cxx") ($("$cxx" --version | head -n1)), Release"
if git -C "$root" rev-parse --short HEAD >/dev/null 2>&1; then
  dirty=""
  if [[ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    dirty=" + uncommitted changes"
  fi
  echo "tree: $(git -C "$root" rev-parse --short HEAD)$dirty"
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

run() {
  local exe="$1"
  shift
  echo
  echo "== $exe"
  "$build/bench/$exe" --benchmark_repetitions="$reps" \
    --benchmark_out="$out/$exe.json" --benchmark_out_format=json "$@" ||
    echo "!! $exe exited with status $?"
}
run weft_bench "$@"
if [[ -x "$build/bench/weft_bench_relacy" ]]; then
  run weft_bench_relacy "$@"
fi
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

if ! command -v python3 >/dev/null; then
  echo "(python3 not found: no summary; the JSON results are in $out)"
  exit 0
fi

echo
echo "== summary (median of $reps repetitions; wall = what the targets are stated in)"
python3 - "$out" <<'EOF'
import json, os, sys

out = sys.argv[1]
runs = {}
for exe in ("weft_bench", "weft_bench_relacy"):
    path = os.path.join(out, exe + ".json")
    # Missing, or empty when the filter matched none of this executable's benchmarks.
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        continue
    for b in json.load(open(path))["benchmarks"]:
        name = b.get("run_name", b["name"])
        # Prefer the median aggregate; a single repetition (or an error) has no aggregates.
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                runs[name] = b
        elif name not in runs or runs[name].get("run_type") != "aggregate":
            runs[name] = b

errors = []
def get(name, counter):
    b = runs.get(name)
    if b is not None and b.get("error_occurred"):
        if name not in errors:
            errors.append(name)
        return None
    return None if b is None or counter not in b else float(b[counter])

def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if unit == "/s":
        return f"{v / 1e6:.2f} M/s" if v >= 1e6 else f"{v / 1e3:.0f} k/s"
    return f"{v:,.1f}{(' ' + unit) if unit else ''}"

def verdict(ok):
    return "" if ok is None else ("met" if ok else "NOT met")

def both(*values):
    return None not in values

rows = []
def row(label, wall, cpu, ref, target, ok_wall=None, ok_cpu=None):
    rows.append((label, wall, cpu, ref, target, verdict(ok_wall), verdict(ok_cpu)))

def rate(name):  # executions per CPU-second
    v = get(name, "cpu_ns_per_exec")
    return None if v is None else 1e9 / v

# (a) one scheduling step
f_yield = "BM_fiber_yield_step/yields_per_fiber:100000/real_time"
fy, fyc = get(f_yield, "ns_per_step"), get(f_yield, "cpu_ns_per_step")
for label, name in (("(a) ns/step: 1 exec of 200k steps",
                     "BM_weft_yield_step/yields_per_task:100000/execs:1/real_time"),
                    ("(a) ns/step: 1000 execs of 206 steps",
                     "BM_weft_yield_step/yields_per_task:100/execs:1000/real_time")):
    w, c = get(name, "ns_per_step"), get(name, "cpu_ns_per_step")
    row(label, fmt(w), fmt(c), f"Boost.Fiber yield {fmt(fy)} (cpu {fmt(fyc)})", "<= 50 ns",
        None if w is None else w <= 50, None if c is None else c <= 50)
# (b) channel round trip
b_f = "BM_fiber_chan_round_trip/round_trips:100000/real_time"
bf, bfc = get(b_f, "ns_per_round_trip"), get(b_f, "cpu_ns_per_round_trip")
for races in ("1", "0"):
    name = f"BM_weft_chan_round_trip/round_trips:100000/races:{races}/real_time"
    bw, bwc = get(name, "ns_per_round_trip"), get(name, "cpu_ns_per_round_trip")
    default = races == "1"
    row("(b) ns/round trip, unbuffered chan" + ("" if default else " (races off)"), fmt(bw),
        fmt(bwc), f"Boost.Fiber {fmt(bf)} (cpu {fmt(bfc)})",
        "< Boost.Fiber" if default else "(information)",
        (bw < bf if both(bw, bf) else None) if default else None,
        (bwc < bfc if both(bwc, bfc) else None) if default else None)
# (c) executions per second
c_r = "BM_relacy_mutex_test/execs:100000/real_time"
cr, crc = get(c_r, "execs_per_s"), rate(c_r)
for threads, jobs, races in (("2", "1", "1"), ("2", "2", "1"), ("2", "1", "0"), ("3", "1", "1")):
    name = f"BM_weft_mutex_test/execs:100000/threads:{threads}/jobs:{jobs}/races:{races}/real_time"
    c, cc = get(name, "execs_per_s"), rate(name)
    primary = threads == "2" and jobs == "1" and races == "1"
    label = (f"(c) executions/s, {'body + 1 task' if threads == '2' else 'body + 2 tasks'}, "
             f"jobs={jobs}" + ("" if races == "1" else ", races off"))
    row(label, fmt(c, "/s"), fmt(cc, "/s") + ("" if jobs == "1" or cc is None else " per CPU-s"),
        f"Relacy {fmt(cr, '/s')} (cpu {fmt(crc, '/s')})",
        ">= 1 M/s and >= Relacy" if primary else "(information)",
        ((c >= 1e6 and c >= cr) if both(c, cr) else None) if primary else None,
        ((cc >= 1e6 and cc >= crc) if both(cc, crc) else None) if primary else None)
# (d) spawn + finish
d_f = "BM_fiber_spawn_join/tasks:100000/real_time"
d_ref = (f"Boost.Fiber spawn+join {fmt(get(d_f, 'ns_per_task'))} "
         f"(cpu {fmt(get(d_f, 'cpu_ns_per_task'))})")
for n in ("1000", "10000", "30000", "100000"):
    name = f"BM_weft_spawn_finish/tasks:{n}/manual_time"
    row(f"(d) ns/task, spawn + finish, {int(n):,} tasks in one exec",
        fmt(get(name, "ns_per_task")), fmt(get(name, "cpu_ns_per_task")), d_ref, "(no target)")
# (e) RSS
for n in ("10000", "30000", "100000"):
    name = f"BM_weft_rss_blocked_tasks/tasks:{n}/stack_KiB:16/iterations:1/manual_time"
    e = get(name, "peak_rss_MiB")
    target = n == "100000"
    kib = get(name, "KiB_per_task")
    row(f"(e) peak RSS MiB, {int(n):,} blocked tasks, 16 KiB stacks", fmt(e), "",
        "" if kib is None else f"{fmt(kib)} KiB per blocked task",
        "<= 1024 MiB" if target else "(information)",
        ((e <= 1024 if e is not None else False) if name in runs else None) if target else None)
# scaling
for n in ("1000", "5000", "20000"):
    name = f"BM_weft_wake_all/tasks:{n}/manual_time"
    row(f"wake {int(n):,} blocked tasks at once, ns/task", fmt(get(name, "ns_per_task")),
        fmt(get(name, "cpu_ns_per_task")), "", "(flat if O(1) per step)")

headers = ("figure", "wall", "cpu", "reference", "target", "wall verdict", "cpu verdict")
widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
print(line(headers))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in rows:
    print(line(r))
for name in errors:
    print(f"error in {name}: {runs[name].get('error_message', '?')}")
EOF
