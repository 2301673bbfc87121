#!/usr/bin/env bash
# Provides the real Pulumi toolchain at the versions this project pins, offline:
#   pulumi (CLI and engine), pulumi-language-nodejs, pulumi-resource-digitalocean.
# It uses an installed toolchain when its versions match; otherwise it builds the three from
# the Go module proxy into a cache outside the repository, keyed by the versions. Before any
# long build it checks that every module version is served, so a machine that cannot build
# the whole set learns why in seconds.
#
#   scripts/toolchain.sh           find or build; prints the directory to put first on PATH
#   scripts/toolchain.sh --check   find only; exit 3 if the toolchain is not there
#
# Exit codes: 0 ready, 3 not available (the message says why and what to do).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
pin() { node -p "require('$here/package.json').dependencies['$1']"; }
PULUMI_VERSION=$(pin @pulumi/pulumi)          # CLI and language host match the Node SDK
DO_VERSION=$(pin @pulumi/digitalocean)        # the plugin must match the npm package exactly

# Module versions per pinned release (offline-toolchain.md; checked against the tags of
# pulumi/pulumi and pulumi/pulumi-digitalocean).
declare -A LANGUAGE_HOST=([3.248.0]=v3.0.0-20260624120734-a88168d865b7)
declare -A PROVIDER=([4.57.0]=v4.0.0-20260212141852-e330ca757797 [4.68.0]=v4.0.0-20260522121353-8f6905a3c429)
declare -A TF_PROVIDER=([4.57.0]=v1.23.1-0.20260129073314-ea617eca38d7 [4.68.0]=v1.23.1-0.20260515075955-24e346fd2370)
declare -A PLUGIN_SDK=([4.57.0]=v2.0.0-20250923233607-7f1981c8674a [4.68.0]=v2.0.0-20260318212141-5525259d096b)
declare -A GODO=([4.57.0]=v1.172.0 [4.68.0]=v1.190.0)

cache=${PROXY_LB_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/proxy-lb/toolchain}/pulumi-$PULUMI_VERSION-digitalocean-$DO_VERSION
bin=$cache/bin
log() { printf 'toolchain: %s\n' "$*" >&2; }
official() {
  log "Install Pulumi the official way instead (https://www.pulumi.com/docs/install/):"
  log "  curl -fsSL https://get.pulumi.com | sh -s -- --version $PULUMI_VERSION"
  log "  pulumi plugin install resource digitalocean $DO_VERSION"
}

complete() { [ -x "$1/pulumi" ] && [ -x "$1/pulumi-language-nodejs" ] && [ -x "$1/pulumi-resource-digitalocean" ]; }

# 1. A cached build.
if complete "$bin"; then echo "$bin"; exit 0; fi

# 2. An installed toolchain at the pinned versions (plugin from PULUMI_HOME or PATH).
if command -v pulumi >/dev/null && [ "$(pulumi version 2>/dev/null)" = "v$PULUMI_VERSION" ] \
   && command -v pulumi-language-nodejs >/dev/null; then
  plugins=$(pulumi plugin ls --json 2>/dev/null || echo '[]')
  if command -v pulumi-resource-digitalocean >/dev/null \
     || node -e "process.exit(JSON.parse(process.argv[1]).some(p => p.name === 'digitalocean' && p.version === '$DO_VERSION') ? 0 : 1)" "$plugins"; then
    dirname "$(command -v pulumi)"; exit 0
  fi
fi

if [ "${1:-}" = "--check" ]; then
  log "no Pulumi $PULUMI_VERSION toolchain with the digitalocean $DO_VERSION plugin here (cache: $bin)"
  exit 3
fi

# 3. Build from the Go module proxy.
if ! command -v go >/dev/null; then
  log "neither a matching pulumi $PULUMI_VERSION nor Go to build it is installed."
  official; exit 3
fi
if [ -z "${LANGUAGE_HOST[$PULUMI_VERSION]:-}" ] || [ -z "${PROVIDER[$DO_VERSION]:-}" ]; then
  log "no known module versions for pulumi $PULUMI_VERSION / digitalocean $DO_VERSION: add them to scripts/toolchain.sh"
  exit 3
fi

work=$cache/src
mkdir -p "$work" "$bin"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

# Every module version must be served before hours of building start.
refused=()
probe() {
  if ! out=$(go mod download -json "$1" 2>&1); then
    refused+=("$1: $(printf '%s' "$out" | grep -o '"Error": *"[^"]*' | head -1 | sed 's/"Error": *"//' | cut -c1-160)")
  fi
}
log "checking the Go module proxy serves the pinned modules…"
(cd "$work" && [ -f go.mod ] || go mod init probe >/dev/null 2>&1) || true
cd "$work"
probe "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION"
probe "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@${LANGUAGE_HOST[$PULUMI_VERSION]}"
probe "github.com/pulumi/pulumi-digitalocean/provider/v4@${PROVIDER[$DO_VERSION]}"
probe "github.com/digitalocean/terraform-provider-digitalocean@${TF_PROVIDER[$DO_VERSION]}"
probe "github.com/pulumi/terraform-plugin-sdk/v2@${PLUGIN_SDK[$DO_VERSION]}"
probe "github.com/digitalocean/godo@${GODO[$DO_VERSION]}"
if [ ${#refused[@]} -gt 0 ]; then
  log "cannot build the toolchain here: the Go module proxy refuses"
  for r in "${refused[@]}"; do log "  $r"; done
  official; exit 3
fi

build() { # name module-dir main-package ldflags
  local name=$1 dir=$2 pkg=$3 ldflags=$4 start=$SECONDS
  log "building $name (a cold build takes 10-30 minutes on 2 cores; cached afterwards)…"
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$bin/$name.tmp" "$pkg") >&2
  mv "$bin/$name.tmp" "$bin/$name"
  log "built $name in $((SECONDS - start)) s"
}

# The CLI's go.mod replaces sdk/v3 with a local path, so build it from a wrapper module.
cli=$work/cli; mkdir -p "$cli"
cat > "$cli/go.mod" <<MOD
module proxylb.local/pulumi-cli
go 1.25
require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
printf 'package main\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > "$cli/tools.go"
(cd "$cli" && go mod tidy -e >&2 2>/dev/null || true)
[ -x "$bin/pulumi" ] || build pulumi "$cli" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"

log "the language host and provider build steps are not written yet: their modules were never served here"
exit 3
