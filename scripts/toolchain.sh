#!/usr/bin/env bash
# Provides the real Pulumi toolchain at the versions this project pins:
#   pulumi (CLI and engine) and pulumi-language-nodejs on one bin directory, and
#   pulumi-resource-digitalocean installed as a real plugin into a Pulumi home.
# Everything lives in a cache outside the repository, keyed by the versions and the source
# archives' hashes, so a warm run takes a second. Where it comes from, in this order:
#   1. the cache;
#   2. source archives (--sources DIR or PROXY_LB_TOOLCHAIN_SRC; by default ../shared/toolchain-src
#      beside the repository when it exists): the CLI from the Go module proxy, the language host
#      and the provider from the archives, each archive's sha256 checked first;
#   3. the official way (Pulumi's installer and `pulumi plugin install`) on a machine with internet.
# Only where none works does it stop, with exit 3, saying why and what to do.
#
#   scripts/toolchain.sh            find or build; prints the bin directory (last line of stdout)
#   scripts/toolchain.sh --check    find only; exit 3 when it is not there yet
#   --home DIR                      also install the plugin into this Pulumi home (default: the
#                                   toolchain's own home, <cache>/home, which the sandbox uses)
#   --sources DIR                   where the source archives are
set -euo pipefail

usage() { printf 'usage: %s [--check] [--home DIR] [--sources DIR]\n' "$0" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
check=false home="" sources=${PROXY_LB_TOOLCHAIN_SRC:-}
while [ $# -gt 0 ]; do
  case $1 in
    --check) check=true ;;
    --home) [ $# -ge 2 ] || usage; home=$2; shift ;;
    --sources) [ $# -ge 2 ] || usage; sources=$2; shift ;;
    *) usage ;;
  esac
  shift
done
[ -n "$sources" ] || { [ -d "$here/../shared/toolchain-src" ] && sources=$(cd "$here/../shared/toolchain-src" && pwd); } || true

pin() { node -p "require('$here/package.json').dependencies['$1']"; }
PULUMI_VERSION=$(pin @pulumi/pulumi)          # CLI and language host match the Node SDK
DO_VERSION=$(pin @pulumi/digitalocean)        # the plugin must match the npm package exactly

# The archives behind each pinned version (shared/toolchain-src/README.md): name and sha256.
declare -A HOST_ARCHIVE=([3.248.0]="pulumi-language-nodejs-v3.248.0.tar.xz bd05def815cc3664ac8030e85536608f71dd32a5ce19888889b4249872a20532")
declare -A PROVIDER_ARCHIVE=([4.57.0]="pulumi-digitalocean-v4.57.0.tar.xz 5457e2fa2188e0c90cd41c4eec5243f70613eccee5e2b3061a024a4d32660f4a")
declare -A UPSTREAM_ARCHIVE=([4.57.0]="terraform-provider-digitalocean-ea617eca38d7.tar.xz 60dd48c1718289e9502792be010f98ebedcd03ae10f97dc2002ce5a1381c8e3d")

log() { printf 'toolchain: %s\n' "$*" >&2; }
if [ -z "${HOST_ARCHIVE[$PULUMI_VERSION]:-}" ] || [ -z "${PROVIDER_ARCHIVE[$DO_VERSION]:-}" ]; then
  log "no source archives are known for pulumi $PULUMI_VERSION / digitalocean $DO_VERSION: add their names and sha256 to scripts/toolchain.sh"
  exit 3
fi
read -r host_archive host_sha <<<"${HOST_ARCHIVE[$PULUMI_VERSION]}"
read -r provider_archive provider_sha <<<"${PROVIDER_ARCHIVE[$DO_VERSION]}"
read -r upstream_archive upstream_sha <<<"${UPSTREAM_ARCHIVE[$DO_VERSION]}"

# The key is the pinned hashes, not the archives' actual ones, so --check needs no archives.
key=$(printf '%s\n' "$host_sha" "$provider_sha" "$upstream_sha" | sha256sum | cut -c1-12)
cache_root=${PROXY_LB_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/proxy-lb/toolchain}
cache=$cache_root/pulumi-$PULUMI_VERSION-digitalocean-$DO_VERSION-$key
bin=$cache/bin
provider_bin=$cache/provider/pulumi-resource-digitalocean
[ -n "$home" ] || home=$cache/home

plugin_installed() { [ -x "$1/plugins/resource-digitalocean-v$DO_VERSION/pulumi-resource-digitalocean" ]; }
ready() { [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-language-nodejs" ] && [ -x "$provider_bin" ]; }
install_plugin() { # into $home, from the built binary; idempotent
  plugin_installed "$home" && return 0
  mkdir -p "$home"
  PULUMI_HOME=$home PULUMI_SKIP_UPDATE_CHECK=true "$bin/pulumi" plugin install resource digitalocean "$DO_VERSION" --file "$provider_bin" >&2
}
done_() { install_plugin; echo "$bin"; exit 0; }

official_help() {
  log "To install it the official way (https://www.pulumi.com/docs/install/):"
  log "  curl -fsSL https://get.pulumi.com | sh -s -- --version $PULUMI_VERSION"
  log "  pulumi plugin install resource digitalocean $DO_VERSION"
  log "or give the source archives of the pinned versions with --sources DIR (or PROXY_LB_TOOLCHAIN_SRC)."
}

if ready; then done_; fi
if $check; then
  log "the Pulumi $PULUMI_VERSION toolchain with the digitalocean $DO_VERSION plugin is not built yet."
  log "Run \`npm start\` (or \`bash scripts/toolchain.sh\`) once: it builds or installs it (a few minutes, then cached)."
  exit 3
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one build at a time per cache (parallel test workers, two terminals)
if ready; then done_; fi

# shellcheck source-path=SCRIPTDIR source=lib/step.sh
source "$(dirname "$0")/lib/step.sh"

verify() { # archive name, expected sha256
  local file=$sources/$1 actual
  [ -f "$file" ] || { log "$file is missing from the sources directory"; exit 3; }
  actual=$(sha256sum "$file" | cut -d' ' -f1)
  if [ "$actual" != "$2" ]; then
    log "$file has sha256 $actual, not the pinned $2: refusing to build from it"
    exit 3
  fi
}

build_from_sources() {
  command -v go >/dev/null || { log "building from the source archives needs Go (1.24 or later), which is not installed"; official_help; exit 3; }
  verify "$host_archive" "$host_sha"
  verify "$provider_archive" "$provider_sha"
  verify "$upstream_archive" "$upstream_sha"
  log "building Pulumi $PULUMI_VERSION and the digitalocean $DO_VERSION plugin from $sources into $cache"
  log "(about 8 minutes cold on 2 cores; seconds once cached)"
  export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
  local src=$cache/src
  rm -rf "$src"; mkdir -p "$src" "$bin" "$cache/provider"

  # The CLI: a small wrapper module of our own, since pkg/v3's go.mod replaces sdk/v3 with a
  # local path (which `go install module@version` refuses).
  mkdir -p "$src/pulumi"
  cat >"$src/pulumi/go.mod" <<EOF
module proxylb.local/pulumi

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
  printf 'package main\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' >"$src/pulumi/tools.go"
  step "pulumi CLI $PULUMI_VERSION: resolving modules from the Go module proxy" bash -c "cd '$src/pulumi' && go mod tidy"
  step "pulumi CLI $PULUMI_VERSION: building" bash -c "cd '$src/pulumi' && go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags '-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION' -o '$bin/pulumi.tmp' github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"

  # The language host: its go.mod replaces pkg/v3 and sdk/v3 with monorepo paths; use the releases.
  tar -xJf "$sources/$host_archive" -C "$src"
  local host=$src/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs
  step "pulumi-language-nodejs $PULUMI_VERSION: resolving modules" bash -c "cd '$host' && go mod edit \
    -dropreplace github.com/pulumi/pulumi/pkg/v3 -dropreplace github.com/pulumi/pulumi/sdk/v3 \
    -require github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION -require github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION && go mod tidy"
  step "pulumi-language-nodejs $PULUMI_VERSION: building" bash -c "cd '$host' && go build -trimpath \
    -ldflags '-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION' -o '$bin/pulumi-language-nodejs.tmp' ."

  # The provider: the Terraform provider goes into its upstream/ (its go.mod points there), the
  # vendored godo gets the go.mod the provider's patch adds, and main.go embeds a generated schema.
  tar -xJf "$sources/$provider_archive" -C "$src"
  local provider=$src/pulumi-digitalocean
  mkdir -p "$provider/upstream"
  tar -xJf "$sources/$upstream_archive" -C "$provider/upstream" --strip-components=1
  (cd "$provider/upstream" && patch -s -p1 <../patches/0001-Add-go.mod-to-vendored-github.com-digitalocean-godo.patch)
  step "pulumi-resource-digitalocean $DO_VERSION: generating its embedded schema" bash -c \
    "cd '$provider/provider/cmd/pulumi-resource-digitalocean' && VERSION=$DO_VERSION go run generate.go"
  step "pulumi-resource-digitalocean $DO_VERSION: building" bash -c "cd '$provider/provider' && go build -trimpath \
    -ldflags '-s -w -X github.com/pulumi/pulumi-digitalocean/provider/v4/pkg/version.Version=$DO_VERSION' \
    -o '$provider_bin.tmp' ./cmd/pulumi-resource-digitalocean"

  mv "$bin/pulumi.tmp" "$bin/pulumi"
  mv "$bin/pulumi-language-nodejs.tmp" "$bin/pulumi-language-nodejs"
  mv "$provider_bin.tmp" "$provider_bin"
  rm -rf "$src"
}

install_officially() {
  command -v curl >/dev/null || return 1
  log "no source archives: trying Pulumi's official installer for $PULUMI_VERSION…"
  local root=$cache/official
  curl -fsSL --max-time 30 https://get.pulumi.com -o "$cache/install.sh" 2>/dev/null || { log "  get.pulumi.com is not reachable"; return 1; }
  sh "$cache/install.sh" --version "$PULUMI_VERSION" --install-root "$root" --no-edit-path >&2 || return 1
  mkdir -p "$bin" "$cache/provider"
  cp "$root/bin/pulumi" "$root/bin/pulumi-language-nodejs" "$bin/"
  local official_home=$cache/official-home
  PULUMI_HOME=$official_home PULUMI_SKIP_UPDATE_CHECK=true "$bin/pulumi" plugin install resource digitalocean "$DO_VERSION" >&2 || return 1
  cp "$official_home/plugins/resource-digitalocean-v$DO_VERSION/pulumi-resource-digitalocean" "$provider_bin"
}

if [ -n "$sources" ] && [ -d "$sources" ]; then
  build_from_sources
elif ! install_officially; then
  log "cannot provide the Pulumi toolchain here: no source archives (looked for ${sources:-$here/../shared/toolchain-src}) and the official installer is unreachable."
  official_help
  exit 3
fi
ready || { log "the build finished without every binary in $cache"; exit 3; }
done_
