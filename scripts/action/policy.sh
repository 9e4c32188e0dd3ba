#!/usr/bin/env bash
# The GitHub Action's policy step. On a pull request, the policy the check
# uses is the base commit's (unless CVP_POLICY_FROM_BASE is `false`), so a
# pull request cannot weaken the gate that judges it; when the pull request
# changes the policy, `policy diff` lists what the change weakens in the job
# summary, for review.
#
# The base commit's policy is written beside the pull request's, as
# .provenance-base.toml, so that the paths it names resolve as they would
# in the base commit's checkout.
#
# Environment: CVP_POLICY (the policy path, relative to the working
# directory; empty: provenance.toml, else .cargo/provenance.toml),
# CVP_POLICY_FROM_BASE, CVP_BASE_SHA (the pull request's base commit),
# GITHUB_EVENT_NAME, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY.
# Output: policy (the path to pass to --policy; empty: let the tool find it).
set -euo pipefail

: "${GITHUB_OUTPUT:?}"
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
policy=${CVP_POLICY:-}
event=${GITHUB_EVENT_NAME:-}
base=${CVP_BASE_SHA:-}

say() { printf '%s\n' "$*" >> "$summary"; }

choose() { echo "policy=$1" >> "$GITHUB_OUTPUT"; exit 0; }

case "$event" in
  pull_request | pull_request_target) [ -n "$base" ] || choose "$policy" ;;
  *) choose "$policy" ;;
esac
if ! [[ "$base" =~ ^[0-9a-f]{40}([0-9a-f]{24})?$ ]]; then
  echo "::error::not a commit: '$base'" >&2
  exit 2
fi
if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
  git fetch --no-tags --depth=1 origin "$base"
fi

# The policy the tool would find: in the pull request, or in the base
# commit (a pull request that removes it is still judged by it).
if [ -z "$policy" ]; then
  for candidate in provenance.toml .cargo/provenance.toml; do
    if [ -f "$candidate" ] || git cat-file -e "$base:./$candidate" 2>/dev/null; then
      policy=$candidate
      break
    fi
  done
fi
[ -n "$policy" ] || choose ""
case "$policy" in
  /*) echo "::warning::the policy path is absolute: the pull request's own policy is used" >&2
      choose "$policy" ;;
esac
base_copy="$(dirname "$policy")/.provenance-base.toml"
rm -f "$base_copy"
short=${base:0:12}
say "### Policy"
say ""
if ! git show "$base:./$policy" > "$base_copy" 2>/dev/null; then
  rm -f "$base_copy"
  say "The base commit ($short) has no \`$policy\`: this pull request's policy is used."
  choose "$policy"
fi

chosen=$policy
if [ "${CVP_POLICY_FROM_BASE:-true}" != false ]; then
  chosen=$base_copy
  say "Judged with \`$policy\` as in the base commit ($short)."
else
  say "Judged with this pull request's \`$policy\` (the base commit's is not used)."
fi
if [ ! -f "$policy" ]; then
  say "This pull request removes \`$policy\`."
elif ! cmp -s "$base_copy" "$policy"; then
  say "This pull request changes \`$policy\`:"
  say ""
  # Exit 1 (something weakens) is for review, not a failure of this step;
  # an invalid new policy (exit 2) is reported and judged by the check.
  cargo-verify-provenance policy diff "$base_copy" "$policy" || true
fi
choose "$chosen"
