# shellcheck shell=bash
# Shared by the curl tours (docs/tour.sh, docs/tour-lifecycle.sh): source it
# after `set -euo pipefail`. It reads the sandbox's addresses and demo
# users' access tokens from .sandbox/env.sh (SANDBOX_DIR points elsewhere);
# TOUR_TIMEOUT sets the waits in seconds.

tour_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sandbox_dir="${SANDBOX_DIR:-$tour_repo/.sandbox}"
timeout="${TOUR_TIMEOUT:-60}" # seconds per wait

if [ ! -f "$sandbox_dir/env.sh" ]; then
  echo "tour: $sandbox_dir/env.sh not found: start the sandbox first (make demo)" >&2
  exit 1
fi
# shellcheck source=/dev/null
. "$sandbox_dir/env.sh"

fail() { echo "tour: $*" >&2; exit 1; }

# A scratch directory for request bodies and the last error of a step being
# retried, shown if it times out.
tour_tmp="$(mktemp -d)"
trap 'rm -rf "$tour_tmp"' EXIT
last_error="$tour_tmp/last-error"

# api METHOD URL TOKEN [BODY-FILE]: prints the response body; fails on a
# transport error or a status other than 2xx, showing the problem document.
api() {
  local method="$1" url="$2" token="$3" body="${4:-}"
  local args=(-sS -X "$method" -H "Authorization: Bearer $token" -H "Accept: application/json"
    -w '\n%{http_code}' --max-time 10)
  if [ -n "$body" ]; then
    args+=(-H "Content-Type: application/json" --data-binary "@$body")
  fi
  local out status
  out="$(curl "${args[@]}" "$url")" || fail "$method $url: curl failed"
  status="${out##*$'\n'}"
  out="${out%$'\n'*}"
  case "$status" in
    2??) printf '%s' "$out" ;;
    *) fail "$method $url: HTTP $status: $out" ;;
  esac
}

# field NAME JSON: the first string value of "NAME" in JSON. The API's
# objects put their own fields before nested ones; good enough for a tour
# that must not need jq.
field() {
  local re="\"$1\" *: *\"([^\"]*)\""
  if [[ $2 =~ $re ]]; then printf '%s' "${BASH_REMATCH[1]}"; fi
}

# wait_for WHAT CONDITION-COMMAND...: retries the command until it succeeds
# or $timeout seconds pass. The command's errors are kept quiet until then.
wait_for() {
  local what="$1"
  shift
  local deadline=$((SECONDS + timeout))
  : >"$last_error"
  until "$@" 2>"$last_error"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      cat "$last_error" >&2
      fail "timed out after ${timeout}s waiting for $what"
    fi
    sleep 0.5
  done
}

# contains PATTERN TEXT: whether TEXT matches the extended regex PATTERN.
contains() { grep -Eq -- "$1" <<<"$2"; }

# milestones JSON: the coordinator's timeline, one milestone a line.
milestones() {
  printf '%s\n' "$1" | grep -o '{[^{}]*"milestone"[^{}]*}' | sed 's/^/   /'
}
