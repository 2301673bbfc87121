#!/usr/bin/env bash
# Provides the real Pulumi toolchain at the versions this project pins, offline:
#   pulumi (CLI and engine), pulumi-language-nodejs, pulumi-resource-digitalocean.
# It uses an installed toolchain when its versions match; otherwise it builds the three from
# the Go module proxy into a cache outside the repository, keyed by the versions. Before any
# long build it checks that every module version is served, so a machine that cannot build
# the whole set learns why in seconds.
#
#   scripts/toolchain.sh                 find or build; prints the directory to put first on PATH
#   scripts/toolchain.sh --check         find only; exit 3 if the toolchain is not there
#   scripts/toolchain.sh --engine-only   the engine without the DigitalOcean provider, for the
#                                        engine tests: pulumi, the YAML language host (stand-in
#                                        programs) and a Node.js language host (index.ts up to
#                                        its first provider call, i.e. config validation)
#
# Exit codes: 0 ready, 3 not available (the message says why and what to do).
set -euo pipefail

check=false engine_only=false
for arg in "$@"; do
  case $arg in
    --check) check=true ;;
    --engine-only) engine_only=true ;;
    *) printf 'usage: %s [--check] [--engine-only]\n' "$0" >&2; exit 2 ;;
  esac
done

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
# Engine-only hosts. The YAML host's releases are independent of the CLI's. The Node.js host's
# own module is refused by the proxy here, so the engine tests use the host from the last
# release that shipped it inside sdk/v3 (v3.68.0); the language host protocol is backward
# compatible, and the full toolchain never uses it.
YAML_HOST_VERSION=v1.25.0
LEGACY_NODEJS_HOST_SDK=v3.68.0

cache_root=${PROXY_LB_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/proxy-lb/toolchain}
if $engine_only; then cache=$cache_root/pulumi-$PULUMI_VERSION-engine
else cache=$cache_root/pulumi-$PULUMI_VERSION-digitalocean-$DO_VERSION; fi
bin=$cache/bin
log() { printf 'toolchain: %s\n' "$*" >&2; }
official() {
  log "Install Pulumi the official way instead (https://www.pulumi.com/docs/install/):"
  log "  curl -fsSL https://get.pulumi.com | sh -s -- --version $PULUMI_VERSION"
  log "  pulumi plugin install resource digitalocean $DO_VERSION"
}

if $engine_only; then
  complete() { [ -x "$1/pulumi" ] && [ -x "$1/pulumi-language-yaml" ] && [ -x "$1/pulumi-language-nodejs" ]; }
else
  complete() { [ -x "$1/pulumi" ] && [ -x "$1/pulumi-language-nodejs" ] && [ -x "$1/pulumi-resource-digitalocean" ]; }
fi

# 1. A cached build.
if complete "$bin"; then echo "$bin"; exit 0; fi

# 2. An installed toolchain at the pinned versions (plugin from PULUMI_HOME or PATH).
installed_cli=false
command -v pulumi >/dev/null && [ "$(pulumi version 2>/dev/null)" = "v$PULUMI_VERSION" ] && installed_cli=true
if $engine_only && $installed_cli && command -v pulumi-language-yaml >/dev/null && command -v pulumi-language-nodejs >/dev/null; then
  dirname "$(command -v pulumi)"; exit 0
fi
if ! $engine_only && $installed_cli && command -v pulumi-language-nodejs >/dev/null; then
  plugins=$(pulumi plugin ls --json 2>/dev/null || echo '[]')
  if command -v pulumi-resource-digitalocean >/dev/null \
     || node -e "process.exit(JSON.parse(process.argv[1]).some(p => p.name === 'digitalocean' && p.version === '$DO_VERSION') ? 0 : 1)" "$plugins"; then
    dirname "$(command -v pulumi)"; exit 0
  fi
fi

if $check; then
  if $engine_only; then log "no Pulumi $PULUMI_VERSION engine here (cache: $bin)"
  else log "no Pulumi $PULUMI_VERSION toolchain with the digitalocean $DO_VERSION plugin here (cache: $bin)"; fi
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
    refused+=("$1 ($(printf '%s' "$out" | grep -oE '[0-9]{3} [A-Za-z ]+' | head -1 || echo 'not found'))")
  fi
}
log "checking the Go module proxy serves the pinned modules…"
[ -f "$work/go.mod" ] || (cd "$work" && go mod init proxylb.local/probe >/dev/null 2>&1)
cd "$work"
probe "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION"
if $engine_only; then
  probe "github.com/pulumi/pulumi-yaml@$YAML_HOST_VERSION"
  probe "github.com/pulumi/pulumi/sdk/v3@$LEGACY_NODEJS_HOST_SDK"
else
  probe "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@${LANGUAGE_HOST[$PULUMI_VERSION]}"
  probe "github.com/pulumi/pulumi-digitalocean/provider/v4@${PROVIDER[$DO_VERSION]}"
  probe "github.com/digitalocean/terraform-provider-digitalocean@${TF_PROVIDER[$DO_VERSION]}"
  probe "github.com/pulumi/terraform-plugin-sdk/v2@${PLUGIN_SDK[$DO_VERSION]}"
  probe "github.com/digitalocean/godo@${GODO[$DO_VERSION]}"
fi
if [ ${#refused[@]} -gt 0 ]; then
  log "cannot build the toolchain here: the Go module proxy refuses"
  for r in "${refused[@]}"; do log "  $r"; done
  official; exit 3
fi

build() { # name module-dir main-package ldflags
  local name=$1 dir=$2 pkg=$3 ldflags=$4 start=$SECONDS
  log "building $name (cold, the CLI takes about 4 minutes on 2 cores; cached afterwards)…"
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$bin/$name.tmp" "$pkg") >&2
  mv "$bin/$name.tmp" "$bin/$name"
  log "built $name in $((SECONDS - start)) s"
}

# Each binary is built from a small wrapper module of our own: the upstream go.mod files
# replace their siblings with local paths, which `go install module@version` refuses.
wrapper() { # dir, then go.mod body
  mkdir -p "$1"; printf 'module proxylb.local/%s\n\ngo 1.25\n\n%s\n' "$(basename "$1")" "$2" > "$1/go.mod"
}

if [ ! -x "$bin/pulumi" ]; then
  wrapper "$work/pulumi" "require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"
  printf 'package main\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > "$work/pulumi/tools.go"
  (cd "$work/pulumi" && go mod tidy -e >&2)
  build pulumi "$work/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
fi

if $engine_only; then
  if [ ! -x "$bin/pulumi-language-yaml" ]; then
    log "building pulumi-language-yaml $YAML_HOST_VERSION…"
    GOBIN=$bin CGO_ENABLED=0 go install -trimpath "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$YAML_HOST_VERSION" >&2
  fi
  if [ ! -x "$bin/pulumi-language-nodejs" ]; then
    wrapper "$work/legacy-language-nodejs" "require github.com/pulumi/pulumi/sdk/v3 $LEGACY_NODEJS_HOST_SDK"
    printf 'package main\n\nimport _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"\n' > "$work/legacy-language-nodejs/tools.go"
    (cd "$work/legacy-language-nodejs" && go mod tidy -e >&2)
    build pulumi-language-nodejs "$work/legacy-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LEGACY_NODEJS_HOST_SDK"
  fi
  complete "$bin" || { log "build finished without every binary in $bin"; exit 3; }
  echo "$bin"; exit 0
fi

if [ ! -x "$bin/pulumi-language-nodejs" ]; then
  wrapper "$work/language-nodejs" "require (
	github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 ${LANGUAGE_HOST[$PULUMI_VERSION]}
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)"
  printf 'package main\n\nimport _ "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3"\n' > "$work/language-nodejs/tools.go"
  (cd "$work/language-nodejs" && go mod tidy -e >&2)
  build pulumi-language-nodejs "$work/language-nodejs" github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
fi

if [ ! -x "$bin/pulumi-resource-digitalocean" ]; then
  # The provider's own main embeds a generated schema that is not in the module, so this
  # main passes the module's schema.json (with its version set) to the bridge itself.
  # Replaces in dependencies are ignored: repeat the provider's.
  dir=$work/provider-digitalocean
  wrapper "$dir" "require (
	github.com/pulumi/pulumi-digitalocean/provider/v4 ${PROVIDER[$DO_VERSION]}
	github.com/digitalocean/terraform-provider-digitalocean ${TF_PROVIDER[$DO_VERSION]}
)
replace (
	github.com/digitalocean/godo => github.com/digitalocean/godo ${GODO[$DO_VERSION]}
	github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2 ${PLUGIN_SDK[$DO_VERSION]}
	github.com/hashicorp/go-getter v1.5.0 => github.com/hashicorp/go-getter v1.4.0
	github.com/hashicorp/vault => github.com/hashicorp/vault v1.2.0
)"
  module_dir=$(go mod download -json "github.com/pulumi/pulumi-digitalocean/provider/v4@${PROVIDER[$DO_VERSION]}" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
  node -e 'const s=require(process.argv[1]); s.version=process.argv[2]; require("fs").writeFileSync(process.argv[3], JSON.stringify(s))' \
    "$module_dir/cmd/pulumi-resource-digitalocean/schema.json" "$DO_VERSION" "$dir/schema.json"
  cat > "$dir/main.go" <<'GO'
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	digitalocean "github.com/pulumi/pulumi-digitalocean/provider/v4"
	"github.com/pulumi/pulumi-digitalocean/provider/v4/pkg/version"
)

//go:embed schema.json
var schema []byte

func main() { tfbridge.Main("digitalocean", version.Version, digitalocean.Provider(), schema) }
GO
  (cd "$dir" && go mod tidy -e >&2)
  # Provider() panics on an empty version: the ldflag is mandatory.
  build pulumi-resource-digitalocean "$dir" . \
    "-X github.com/pulumi/pulumi-digitalocean/provider/v4/pkg/version.Version=$DO_VERSION"
fi

complete "$bin" || { log "build finished without every binary in $bin"; exit 3; }
echo "$bin"
