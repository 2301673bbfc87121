# shellcheck shell=bash disable=SC2154
# Sourced by the build scripts: runs a long step with its output in a log under $cache/logs,
# printing which step and the elapsed time every 20 s instead of minutes of silence; on
# failure, the end of its log. Needs `log` (a message on stderr) and `cache` set by the caller.
step() { # title, then the command
  local title=$1 start=$SECONDS steplog ticker status=0
  shift
  steplog=$cache/logs/$(printf '%s' "$title" | tr -c 'a-zA-Z0-9' '-').log
  mkdir -p "$cache/logs"
  log "$title…"
  ( while sleep 20; do log "  $title: $((SECONDS - start)) s"; done ) &
  ticker=$!
  "$@" >"$steplog" 2>&1 || status=$?
  kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
  if [ $status -ne 0 ]; then
    log "$title failed (exit $status) after $((SECONDS - start)) s; the end of its log ($steplog):"
    tail -n 25 "$steplog" >&2
    exit 1
  fi
  log "$title: done in $((SECONDS - start)) s"
}
