#!/usr/bin/env bash
# Prints the shell exports that run the operator commands (gate, rollback, drift, forget) and a
# bare `pulumi` offline, against the local DigitalOcean API emulator, with the toolchain this
# project built (scripts/toolchain.sh): no Pulumi Cloud, no DigitalOcean account.
#
#   eval "$(bash scripts/offline-env.sh --api http://127.0.0.1:8787)"
#
#   --api URL   the emulator's URL (the first line `npm run -s emulator` prints); required
#   --dir DIR   where the Pulumi home and the file backend's state live
#               (default: ${XDG_CACHE_HOME:-~/.cache}/proxy-lb/offline); `rm -rf` it to start over
# Exit 3 when the toolchain is not built yet (run `npm start` or `bash scripts/toolchain.sh` once).
set -euo pipefail

usage() { printf 'usage: %s --api URL [--dir DIR]\n' "$0" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
api="" dir=${XDG_CACHE_HOME:-$HOME/.cache}/proxy-lb/offline
while [ $# -gt 0 ]; do
  case $1 in
    --api) [ $# -ge 2 ] || usage; api=$2; shift ;;
    --dir) [ $# -ge 2 ] || usage; dir=$2; shift ;;
    *) usage ;;
  esac
  shift
done
[ -n "$api" ] || usage
mkdir -p "$dir/home" "$dir/state"
dir=$(cd "$dir" && pwd)

# The toolchain's bin (pulumi and the Node.js language host) and a Pulumi home of its own, so no
# `pulumi login` of yours is touched, sharing the toolchain home's plugins (the DigitalOcean one
# installed there): nothing to copy.
bin=$(bash "$here/scripts/toolchain.sh" --check | tail -n 1) || exit
[ -e "$dir/home/plugins" ] || ln -s "$(dirname "$bin")/home/plugins" "$dir/home/plugins"

q() { printf '%q' "$1"; }
cat <<EOF
export PATH=$(q "$bin"):"\$PATH"
export PULUMI_HOME=$(q "$dir/home")
export PULUMI_BACKEND_URL=$(q "file://$dir/state")
export PULUMI_CONFIG_PASSPHRASE=offline-emulator-passphrase
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export DIGITALOCEAN_API_URL=$(q "$api")
export DIGITALOCEAN_TOKEN=offline-emulator-token
export DIGITALOCEAN_HTTP_RETRY_MAX=1
EOF
