#!/usr/bin/env bash
# Lints the GitHub Actions workflows in .github/workflows with actionlint.
#
#   scripts/actionlint.sh                  lint every workflow
#   scripts/actionlint.sh FILE...          lint only these workflow files
#   scripts/actionlint.sh --version        print the actionlint that would run, and exit
#
# actionlint is pinned (ACTIONLINT_VERSION below). The script uses, in order:
#   1. a cached build in ${XDG_CACHE_HOME:-~/.cache}/proxy-lb/actionlint-<version>/ (a warm run
#      starts at once; override the folder with PROXY_LB_ACTIONLINT_CACHE),
#   2. an `actionlint` on PATH that reports the pinned version,
#   3. otherwise it builds the pinned version from the Go module proxy with
#      `go install github.com/rhysd/actionlint/cmd/actionlint@v<version>` into that cache
#      (about 16 s on 2 cores with Go's module and build caches empty). Needs Go, not root.
#
# Shell in `run:` steps is checked with shellcheck when a `shellcheck` is on PATH (actionlint
# calls it itself). Without it the run: scripts are not shellchecked and the script says so;
# install it with `apt-get install -y shellcheck` (Debian; after `apt-get update`).
#
# Exit codes: 0 clean, 1 lint errors, 2 bad arguments, 3 actionlint could not be found or built.
set -euo pipefail

ACTIONLINT_VERSION=1.7.12
MODULE=github.com/rhysd/actionlint/cmd/actionlint

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${PROXY_LB_ACTIONLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/proxy-lb/actionlint-$ACTIONLINT_VERSION}
log() { printf 'actionlint.sh: %s\n' "$*" >&2; }

# The version an actionlint binary reports (first line of `actionlint -version`).
version_of() { "$1" -version 2>/dev/null | head -n 1 | tr -d '[:space:]' | sed 's/^v//'; }

find_actionlint() {
  if [ -x "$cache/actionlint" ]; then echo "$cache/actionlint"; return 0; fi
  local onpath
  if onpath=$(command -v actionlint 2>/dev/null) && [ "$(version_of "$onpath")" = "$ACTIONLINT_VERSION" ]; then
    echo "$onpath"; return 0
  fi
  return 1
}

install_actionlint() {
  if ! command -v go >/dev/null 2>&1; then
    log "actionlint $ACTIONLINT_VERSION is not installed and Go is not here to build it."
    log "Install Go (https://go.dev/dl/) and run this script again, or put actionlint $ACTIONLINT_VERSION on PATH."
    return 3
  fi
  local start=$SECONDS tmp
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.install.XXXXXX")
  log "installing actionlint $ACTIONLINT_VERSION from the Go module proxy into $cache (once)…"
  # Outside any module, so the repository's files play no part; GOTOOLCHAIN=local builds with
  # the Go that is here instead of fetching another toolchain.
  if ! (cd "$tmp" && GOBIN="$tmp" GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 \
          go install -trimpath "$MODULE@v$ACTIONLINT_VERSION") >&2; then
    rm -rf "$tmp"
    log "go install $MODULE@v$ACTIONLINT_VERSION failed (see above)."
    return 3
  fi
  mv -f "$tmp/actionlint" "$cache/actionlint"   # atomic: a concurrent run sees all or nothing
  rm -rf "$tmp"
  log "installed actionlint $(version_of "$cache/actionlint") in $((SECONDS - start)) s"
}

bin=$(find_actionlint) || { install_actionlint || exit $?; bin=$cache/actionlint; }

if [ "${1:-}" = "--version" ]; then
  echo "$bin"; "$bin" -version; exit 0
fi

args=()
if command -v shellcheck >/dev/null 2>&1; then
  log "shellcheck $(shellcheck --version | sed -n 's/^version: //p') found: run: scripts are shellchecked"
  args+=(-shellcheck "$(command -v shellcheck)")
else
  log "shellcheck not found: run: scripts are NOT shellchecked (apt-get install -y shellcheck to add it)"
  args+=(-shellcheck=)
fi
# No Python run: steps here; don't depend on whether pyflakes happens to be installed.
args+=(-pyflakes=)

cd "$here"
if [ ! -d .github/workflows ]; then
  log "no .github/workflows in $here"; exit 2
fi

status=0
"$bin" "${args[@]}" "$@" || status=$?
case $status in
  0) log "actionlint $ACTIONLINT_VERSION: workflows clean" ;;
  1) log "actionlint $ACTIONLINT_VERSION: lint errors above" ;;
  *) log "actionlint $ACTIONLINT_VERSION failed (exit $status)" ;;
esac
exit "$status"
