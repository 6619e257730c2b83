#!/usr/bin/env bash
# The README's tour of a running sandbox (`make demo` in another terminal),
# with nothing but bash and curl:
#
#   1. CI's labour inspector files docs/examples/referral.json: a child found
#      working in Côte d'Ivoire, referred to child protection in Burkina Faso;
#   2. BF's caseworker sees it arrive in BF's incoming list and accepts it;
#   3. CI sees the referral accepted;
#   4. the coordinator's timeline for the case shows the milestones, and no
#      personal data.
#
# It reads the sandbox's addresses and demo users' access tokens from
# .sandbox/env.sh (SANDBOX_DIR points elsewhere). It exits non-zero as soon
# as a step fails or times out.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sandbox_dir="${SANDBOX_DIR:-$repo/.sandbox}"
timeout="${TOUR_TIMEOUT:-60}" # seconds per wait

if [ ! -f "$sandbox_dir/env.sh" ]; then
  echo "tour: $sandbox_dir/env.sh not found: start the sandbox first (make demo)" >&2
  exit 1
fi
# shellcheck source=/dev/null
. "$sandbox_dir/env.sh"

fail() { echo "tour: $*" >&2; exit 1; }

# The last error of a step being retried, shown if it times out.
last_error="$(mktemp)"
trap 'rm -f "$last_error"' EXIT

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

echo "1. CI's inspector files a referral to BF ($CI_CASEWORK)"
created="$(api POST "$CI_CASEWORK/api/v1/referrals" "$CI_INSPECTOR_TOKEN" "$SANDBOX_REPO/docs/examples/referral.json")"
id="$(field id "$created")"
case_ref="$(field case_ref "$created")"
[ -n "$id" ] && [ -n "$case_ref" ] || fail "no id or case_ref in the response: $created"
echo "   referral $id, cross-border case $case_ref, status $(field status "$created")"

echo "2. BF's caseworker waits for it in BF's incoming referrals ($BF_CASEWORK)"
in_bf_incoming() {
  local body
  body="$(api GET "$BF_CASEWORK/api/v1/referrals?direction=incoming" "$BF_CASEWORKER_TOKEN")" || return 1
  contains "\"$id\"" "$body"
}
wait_for "the referral in BF's incoming list" in_bf_incoming
echo "   arrived; accepting it"
api POST "$BF_CASEWORK/api/v1/referrals/$id/accept" "$BF_CASEWORKER_TOKEN" >/dev/null

echo "3. CI's inspector waits until CI shows it accepted"
accepted_in_ci() {
  local body
  body="$(api GET "$CI_CASEWORK/api/v1/referrals/$id" "$CI_INSPECTOR_TOKEN")" || return 1
  contains '"status" *: *"accepted"' "$body"
}
wait_for "CI to show the referral accepted" accepted_in_ci
echo "   accepted"

echo "4. The coordinator's timeline for $case_ref ($COORDINATOR)"
timeline_has_acceptance() {
  local body
  body="$(api GET "$COORDINATOR/api/v1/cases/$case_ref" "$COORDINATOR_TOKEN")" || return 1
  contains '"referral_accepted"' "$body"
}
wait_for "the acceptance on the coordinator's timeline" timeline_has_acceptance
timeline="$(api GET "$COORDINATOR/api/v1/cases/$case_ref" "$COORDINATOR_TOKEN")"
# One milestone per line: {"milestone":"…","member":"…","at":"…"}.
printf '%s\n' "$timeline" | grep -o '{[^{}]*"milestone"[^{}]*}' | sed 's/^/   /'
echo "done: the referral crossed the corridor and the coordinator saw milestones only"
