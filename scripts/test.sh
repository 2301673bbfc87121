#!/usr/bin/env bash
# npm test: type checks, the formatter and linter, workflow lint, the real toolchain (built once, then cached), then
# every test: the unit project, then the end-to-end project. A toolchain that cannot be
# provided is reported here and fails the end-to-end tests with the same reason: never a
# silent skip. Ends with the time each part took. Arguments go to one vitest run instead of
# the two projects (`npm test -- test/sizing.test.ts`).
set -uo pipefail
cd "$(dirname "$0")/.." || exit

now() { echo "${EPOCHREALTIME:-$SECONDS}"; } # EPOCHREALTIME: bash 5; whole seconds before
parts=()
failed=0
# part <name> <command...>: runs the command and records its time and exit status.
part() {
  local name=$1 start status=0
  shift
  start=$(now)
  "$@" || status=$?
  parts+=("$name $(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') $status")
  [ "$status" -eq 0 ] || failed=1
  return "$status"
}
# shellcheck disable=SC2317 # run by the EXIT trap
report() {
  local entry name seconds status total=0
  echo
  echo "npm test: time per part"
  for entry in "${parts[@]}"; do
    read -r name seconds status <<<"$entry"
    total=$(awk -v a="$total" -v b="$seconds" 'BEGIN { print a + b }')
    if [ "$status" -eq 0 ]; then status=ok; else status="FAILED (exit $status)"; fi
    printf '  %-12s %8s  %s\n' "$name" "$(awk -v s="$seconds" 'BEGIN { printf "%d:%04.1f", s / 60, s % 60 }')" "$status"
  done
  printf '  %-12s %8s\n' total "$(awk -v s="$total" 'BEGIN { printf "%d:%04.1f", s / 60, s % 60 }')"
}
trap report EXIT

# Checks that the rest relies on: stop at once when they fail.
part typecheck npm run -s typecheck || exit
part lint npm run -s lint || exit
part actionlint bash scripts/actionlint.sh || exit
if ! part toolchain bash -c 'bash scripts/toolchain.sh >/dev/null'; then
  echo "npm test: the Pulumi toolchain is not available (the reasons are above), so the end-to-end tests will fail." >&2
fi
if [ $# -gt 0 ]; then
  part vitest npx vitest run "$@"
else
  # Both run even when the first fails, so one npm test shows every failure.
  part unit npx vitest run --project unit
  part e2e npx vitest run --project e2e
fi
exit "$failed"
