#!/usr/bin/env bash
# Provides a real S3-compatible object server for the team-state tests: SeaweedFS's `weed`
# (its `weed mini` runs master, volume, filer and S3 gateway in one process), built from the
# Go module proxy at a pinned version into a cache outside the repository, so a warm run
# takes a second. DigitalOcean Spaces speaks the same S3 API, which is what Pulumi's
# s3:// backend (gocloud.dev s3blob) uses.
#
#   scripts/s3.sh            find or build; prints the path of the `weed` binary (last line)
#   scripts/s3.sh --check    find only; exit 3 when it is not built yet
set -euo pipefail

usage() { printf 'usage: %s [--check]\n' "$0" >&2; exit 2; }
check=false
while [ $# -gt 0 ]; do
  case $1 in
    --check) check=true ;;
    *) usage ;;
  esac
  shift
done

# Pinned: the newest version the Go module proxy served here (a pseudo-version: SeaweedFS
# tags its releases without the module path's semver).
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
cache_root=${PROXY_LB_S3_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/proxy-lb/s3}
cache=$cache_root/seaweedfs-$SEAWEEDFS_VERSION
weed=$cache/bin/weed

log() { printf 's3: %s\n' "$*" >&2; }
if [ -x "$weed" ]; then echo "$weed"; exit 0; fi
if $check; then
  log "the SeaweedFS S3 server ($SEAWEEDFS_VERSION) is not built yet: run \`bash scripts/s3.sh\` once (a few minutes, then cached)."
  exit 3
fi
command -v go >/dev/null || { log "building the S3 server needs Go (1.26 or later), which is not installed"; exit 3; }

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one build at a time per cache
if [ -x "$weed" ]; then echo "$weed"; exit 0; fi

# A wrapper module of our own: SeaweedFS's go.mod has a replace directive, which
# `go install module@version` refuses, so the wrapper repeats it.
src=$cache/src
rm -rf "$src"; mkdir -p "$src" "$cache/bin" "$cache/logs"
cat >"$src/go.mod" <<EOF
module proxylb.local/s3

go 1.26

require github.com/seaweedfs/seaweedfs $SEAWEEDFS_VERSION

replace github.com/tyler-smith/go-bip39 => github.com/cosmos/go-bip39 v1.0.0
EOF
printf 'package main\n\nimport _ "github.com/seaweedfs/seaweedfs/weed"\n' >"$src/tools.go"

export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
# shellcheck source-path=SCRIPTDIR source=lib/step.sh
source "$(dirname "$0")/lib/step.sh"
step "SeaweedFS $SEAWEEDFS_VERSION: resolving modules from the Go module proxy" bash -c "cd '$src' && go mod tidy"
# nice: the machine's two cores are shared; the build is a one-off.
step "SeaweedFS $SEAWEEDFS_VERSION: building weed" bash -c "cd '$src' && nice -n 10 go build -trimpath \
  -ldflags '-s -w' -o '$weed.tmp' github.com/seaweedfs/seaweedfs/weed"
mv "$weed.tmp" "$weed"
rm -rf "$src"
echo "$weed"
