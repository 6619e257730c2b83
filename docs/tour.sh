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
# shellcheck source=docs/tour-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/tour-common.sh"

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
milestones "$timeline"
echo "done: the referral crossed the corridor and the coordinator saw milestones only"
