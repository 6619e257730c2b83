#!/usr/bin/env bash
# A tour of a referral's whole life across a running sandbox (`make demo` in
# another terminal), with nothing but bash and curl. Each event is posted
# with its example body from docs/examples/events/, and each step waits
# until both countries show the referral in the same status:
#
#   1. CI's labour inspector files docs/examples/referral.json to BF's child
#      protection;
#   2. BF's caseworker asks for information; CI's inspector answers;
#   3. BF accepts and plans the handover;
#   4. both sides confirm the handover took place;
#   5. BF records a service and a follow-up visit, and closes the case;
#   6. CI files the referral again; BF declines it; CI re-refers the child
#      to another BF agency (the shelter) under the same case reference;
#   7. the coordinator's timelines of both cases show every milestone, and
#      no personal data.
#
# It reads the sandbox's addresses and demo users' access tokens from
# .sandbox/env.sh (SANDBOX_DIR points elsewhere; TOUR_TIMEOUT sets the waits
# in seconds). It exits non-zero as soon as a step fails or times out.
set -euo pipefail
# shellcheck source=docs/tour-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/tour-common.sh"

events="$SANDBOX_REPO/docs/examples/events"

# The referral the steps act on, and its address in each country.
id=""
ci_referral() { printf '%s' "$CI_CASEWORK/api/v1/referrals/$id"; }
bf_referral() { printf '%s' "$BF_CASEWORK/api/v1/referrals/$id"; }

# file BODY-FILE: CI's inspector files a referral; sets id and case_ref.
file() {
  local created
  created="$(api POST "$CI_CASEWORK/api/v1/referrals" "$CI_INSPECTOR_TOKEN" "$1")"
  id="$(field id "$created")"
  case_ref="$(field case_ref "$created")"
  if [ -z "$id" ] || [ -z "$case_ref" ]; then fail "no id or case_ref in the response: $created"; fi
  echo "   referral $id, cross-border case $case_ref, status $(field status "$created")"
}

# act CI|BF EVENT [BODY-FILE]: CI's inspector (the sender) or BF's
# caseworker (the recipient) posts EVENT on the referral.
act() {
  local side="$1" event="$2" body="${3:-}"
  case "$side" in
    CI) api POST "$(ci_referral)/$event" "$CI_INSPECTOR_TOKEN" "$body" >/dev/null ;;
    BF) api POST "$(bf_referral)/$event" "$BF_CASEWORKER_TOKEN" "$body" >/dev/null ;;
  esac
}

# status_is URL TOKEN STATUS: whether the referral at URL is in STATUS (the
# referral's own "status" comes before those of its records).
status_is() {
  local body got
  body="$(api GET "$1" "$2")" || return 1
  got="$(field status "$body")"
  [ "$got" = "$3" ] || { echo "$1 is $got, not $3" >&2; return 1; }
}

both_in() {
  status_is "$(ci_referral)" "$CI_INSPECTOR_TOKEN" "$1" && status_is "$(bf_referral)" "$BF_CASEWORKER_TOKEN" "$1"
}

# agree STATUS: waits until CI and BF both hold the referral in STATUS.
agree() {
  wait_for "CI and BF to show the referral $1" both_in "$1"
  echo "   CI and BF: $1"
}

# timeline CASE-REF PATTERN: waits until the coordinator's timeline of the
# case matches PATTERN, then prints its milestones.
timeline() {
  local body
  has() {
    body="$(api GET "$COORDINATOR/api/v1/cases/$1" "$COORDINATOR_TOKEN")" || return 1
    contains "$2" "$body"
  }
  wait_for "the coordinator's timeline of $1" has "$1" "$2"
  milestones "$body"
}

echo "1. CI's inspector files a referral to BF's child protection ($CI_CASEWORK)"
file "$SANDBOX_REPO/docs/examples/referral.json"
first_case="$case_ref"
agree delivered

echo "2. BF's caseworker asks two questions ($events/request_info.json)"
act BF request_info "$events/request_info.json"
agree info_requested
request_id="$(field request_id "$(api GET "$(ci_referral)" "$CI_INSPECTOR_TOKEN")")"
[ -n "$request_id" ] || fail "no request_id in CI's referral"
echo "   CI's inspector answers request $request_id ($events/respond_info.json)"
sed -E 's/"request_id": *"[^"]*"/"request_id": "'"$request_id"'"/' "$events/respond_info.json" >"$tour_tmp/respond_info.json"
act CI respond_info "$tour_tmp/respond_info.json"
agree delivered

echo "3. BF's caseworker accepts and plans the handover ($events/plan_handover.json)"
act BF accept
agree accepted
act BF plan_handover "$events/plan_handover.json"
agree handover_planned

echo "4. Both confirm that the handover of revision 1 took place ($events/confirm_handover.json)"
act CI confirm_handover "$events/confirm_handover.json"
agree handover_confirmed_by_sender
act BF confirm_handover "$events/confirm_handover.json"
agree handed_over

echo "5. BF's caseworker records a service and a follow-up visit, and closes the case"
act BF record_service "$events/record_service.json"
agree in_care
# The visit is dated today: a follow-up may not predate the referral.
sed -E 's/"date": *"[^"]*"/"date": "'"$(date -u +%Y-%m-%d)"'"/' "$events/record_follow_up.json" >"$tour_tmp/record_follow_up.json"
act BF record_follow_up "$tour_tmp/record_follow_up.json"
agree in_care
act BF close "$events/close.json"
agree closed

echo "6. CI's inspector files the referral again; BF's caseworker declines it ($events/decline.json)"
file "$SANDBOX_REPO/docs/examples/referral.json"
declined="$id"
agree delivered
act BF decline "$events/decline.json"
agree declined
# Another agency of BF that offers shelter: GET /api/v1/agencies lists the
# directory's agencies with their services and areas.
agencies="$(api GET "$CI_CASEWORK/api/v1/agencies?member=BF&service=shelter" "$CI_INSPECTOR_TOKEN")"
declined_by="$(field agency "$(api GET "$(ci_referral)" "$CI_INSPECTOR_TOKEN" | grep -o '"recipient" *: *{[^}]*}')")"
shelter=""
while read -r agency; do
  if [ "$agency" != "$declined_by" ]; then
    shelter="$agency"
    break
  fi
done < <(grep -o '"id" *: *"[^"]*"' <<<"$agencies" | sed -E 's/.*"([^"]*)"$/\1/')
[ -n "$shelter" ] || fail "no BF agency besides $declined_by offers shelter: $agencies"
echo "   re-referring to $shelter (declined by $declined_by) for shelter, following $declined"
# The same referral, to the shelter, for the service it offers, and naming
# the declined referral.
sed -E -e 's/"agency": *"'"$declined_by"'"/"agency": "'"$shelter"'"/' \
  -e 's/"requested_services": *\[[^]]*\]/"requested_services": ["shelter"]/' \
  -e '1s/^\{/{\n  "previous_referral_id": "'"$declined"'",/' \
  "$SANDBOX_REPO/docs/examples/referral.json" >"$tour_tmp/re-referral.json"
second_case="$case_ref"
file "$tour_tmp/re-referral.json"
[ "$case_ref" = "$second_case" ] || fail "the re-referral opened case $case_ref, not $second_case"
# The shelter's referrals are not BF's child protection's to see: CI shows
# BF's receipt.
wait_for "CI to show the re-referral delivered" status_is "$(ci_referral)" "$CI_INSPECTOR_TOKEN" delivered
echo "   CI: delivered to $shelter"

echo "7. The coordinator's timelines ($COORDINATOR)"
echo "   $first_case, the whole lifecycle:"
timeline "$first_case" '"case_closed"'
echo "   $second_case, declined and re-referred:"
timeline "$second_case" "\"referral_delivered\"[^{}]*\"$id\"|\"$id\"[^{}]*\"referral_delivered\""
echo "done: both referrals crossed the corridor and the coordinator saw milestones only"
