#!/usr/bin/env bash
# npm test: type checks, workflow lint, the real toolchain (built once, then cached), then
# every test. A toolchain that cannot be provided is reported here and fails the end-to-end
# tests with the same reason: never a silent skip.
set -uo pipefail
cd "$(dirname "$0")/.."
npm run -s typecheck || exit
bash scripts/actionlint.sh || exit
if ! bash scripts/toolchain.sh >/dev/null; then
  echo "npm test: the Pulumi toolchain is not available (the reasons are above), so the end-to-end tests will fail." >&2
fi
exec npx vitest run "$@"
