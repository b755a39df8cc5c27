#!/usr/bin/env bash
# tests/failure_files/crash_replay.sh <crash program> <scratch dir>
#
# The crash test of replay files (issue 7): a task calls std::abort inside weft::explore.
#   1. With WEFT_FAILURE_DIR set the program must die of SIGABRT and leave exactly one replay file
#      of kind "crash" ("prefix: yes") behind.
#   2. Running it again with WEFT_REPLAY=<that file> must abort again, printing the same marker
#      (the same task, after the same interleaving), and the replay's own crash file (written to
#      a second directory) must hold the same token: the same choices and the same step count.
#   3. Running the first exploration again adds no file: the same crash is not written twice.
set -u
program="$1"
scratch="$2"
rm -rf "$scratch"
mkdir -p "$scratch/first" "$scratch/second"
fail() {
  echo "FAIL: $*"
  exit 1
}

WEFT_FAILURE_DIR="$scratch/first" "$program" >"$scratch/run1.out" 2>"$scratch/run1.err"
status=$?
cat "$scratch/run1.err"
[ "$status" -eq 134 ] || fail "expected death by SIGABRT (status 134), got $status"
files=("$scratch"/first/*.weft)
[ "${#files[@]}" -eq 1 ] && [ -f "${files[0]}" ] || fail "expected one replay file, found: ${files[*]}"
file="${files[0]}"
echo "--- $file"
cat "$file"
case "$(basename "$file")" in
  crash.abort_in_task-crash-????????????.weft) ;;
  *) fail "unexpected file name $(basename "$file")" ;;
esac
grep -q '^prefix: yes$' "$file" || fail "no 'prefix: yes' line"
grep -q '^kind: crash$' "$file" || fail "no 'kind: crash' line"
grep -q '^token: w1\.' "$file" || fail "no token line"
grep -q 'SIGABRT' "$file" || fail "the report does not name SIGABRT"
marker1="$(grep '^marker:' "$scratch/run1.err" | tail -n1)"
[ -n "$marker1" ] || fail "no marker in the first run"

WEFT_FAILURE_DIR="$scratch/second" WEFT_REPLAY="$file" "$program" >"$scratch/run2.out" 2>"$scratch/run2.err"
status=$?
cat "$scratch/run2.err" "$scratch/run2.out"
[ "$status" -eq 134 ] || fail "the replay did not abort (status $status)"
marker2="$(grep '^marker:' "$scratch/run2.err")"
[ "$marker2" = "$marker1" ] || fail "the replay aborted elsewhere: '$marker2' vs '$marker1'"
[ "$(grep -c '^marker:' "$scratch/run2.err")" -eq 1 ] || fail "the replay ran more than one execution"
second=("$scratch"/second/*.weft)
[ -f "${second[0]}" ] || fail "the replay's crash left no file"
[ "$(grep '^token:' "${second[0]}")" = "$(grep '^token:' "$file")" ] ||
  fail "the replay crashed with another schedule (token differs)"
[ "$(grep 'after step' "${second[0]}")" = "$(grep 'after step' "$file")" ] ||
  fail "the replay crashed at another step"

WEFT_FAILURE_DIR="$scratch/first" "$program" >/dev/null 2>&1
[ "$(ls "$scratch/first" | wc -l)" -eq 1 ] || fail "the same crash was written twice: $(ls "$scratch/first")"
echo "PASS: $marker1"
