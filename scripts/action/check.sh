#!/usr/bin/env bash
# The GitHub Action's check step: refresh the trust roots, run the command
# with the arguments and the policy given, and end with its exit code. The
# tool writes the job summary itself (GITHUB_STEP_SUMMARY). With SARIF
# asked for, the report is also written as SARIF to CVP_SARIF_FILE: by the
# run itself when the message format is sarif, else by a second run of the
# main check from the cache (offline, no second job summary).
#
# Environment: CVP_COMMAND (empty: the main check), CVP_ARGS (split at
# spaces), CVP_POLICY, CVP_MESSAGE_FORMAT, CVP_UPLOAD_SARIF, CVP_SARIF_FILE,
# CVP_UPDATE_TRUST_ROOT, GITHUB_OUTPUT; GITHUB_TOKEN reaches the tool as set.
# Output: exit-code, sarif-file.
set -euo pipefail

: "${GITHUB_OUTPUT:?}"
name=cargo-verify-provenance
read -r -a command <<< "${CVP_COMMAND:-}"
read -r -a extra <<< "${CVP_ARGS:-}"
args=(${command[@]+"${command[@]}"} ${extra[@]+"${extra[@]}"})
if [ -n "${CVP_POLICY:-}" ]; then args+=(--policy "$CVP_POLICY"); fi
format=${CVP_MESSAGE_FORMAT:-human}
sarif=""
if [ "${CVP_UPLOAD_SARIF:-false}" = true ]; then
  if [ ${#command[@]} -ne 0 ]; then
    echo "::warning::SARIF is written by the main check only, not by '${command[*]}'" >&2
  else
    sarif=${CVP_SARIF_FILE:?CVP_SARIF_FILE names where SARIF goes}
  fi
fi

if [ "${CVP_UPDATE_TRUST_ROOT:-true}" = true ]; then
  "$name" trust-root update \
    || echo "::warning::the trust roots could not be refreshed: the ones built in or cached are used" >&2
fi

code=0
if [ -n "$sarif" ] && [ "$format" = sarif ]; then
  "$name" ${args[@]+"${args[@]}"} --message-format sarif > "$sarif" || code=$?
else
  "$name" ${args[@]+"${args[@]}"} --message-format "$format" || code=$?
  if [ -n "$sarif" ]; then
    env -u GITHUB_STEP_SUMMARY CARGO_NET_OFFLINE=true "$name" ${args[@]+"${args[@]}"} --message-format sarif > "$sarif" || true
  fi
fi
{
  echo "exit-code=$code"
  echo "sarif-file=$sarif"
} >> "$GITHUB_OUTPUT"
exit "$code"
