#!/usr/bin/env bash
# Mutation testing of the security checks with cargo-mutants: every mutant
# of the files below must be caught by a test, or be listed as accepted in
# docs/mutation-testing.md. Not part of CI (a full run takes hours on two
# cores); see that document for the last result.
#
# usage: scripts/mutants.sh [FILE_GLOB...] [-- CARGO_TEST_ARGS...]
#   no FILE_GLOB: the default set (verify, evaluation, matcher, URL normaliser,
#   cache, sources)
#   CARGO_TEST_ARGS: passed to `cargo test` for every mutant (a filter, --lib, ...)
# Extra cargo-mutants options go in CVP_MUTANTS_ARGS, e.g.
#   CVP_MUTANTS_ARGS="--re is_fresh" scripts/mutants.sh src/cache/mod.rs -- --lib cache::
# Two passes (see docs/mutation-testing.md): the library's own tests first,
# building nothing else, then what they missed against the library's and the
# integration binary's tests whose names match the filters:
#   CVP_MUTANTS_ARGS="-C --lib --timeout 30" scripts/mutants.sh
#   CVP_MUTANTS_ARGS="--iterate --timeout 90 -C --lib -C --test=integration" \
#     scripts/mutants.sh src/verify/mod.rs -- -- verify conformance
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-mutants >/dev/null 2>&1; then
  cargo install --locked cargo-mutants
fi

globs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  globs+=("$1")
  shift
done
[ "${1:-}" = "--" ] && shift
if [ ${#globs[@]} -eq 0 ]; then
  globs=('src/verify/*' 'src/evaluate/*' src/policy/matcher.rs src/policy/url.rs
    'src/cache/*' 'src/sources/*')
fi
file_args=()
for glob in "${globs[@]}"; do
  file_args+=(--file "$glob")
done

# cargo-mutants builds in a copy of the tree, where the real fixtures are not
# found beside it: point at them, and fail rather than skip without them.
fixtures="$(cd .. && pwd)/shared/fixtures/real"
if [ -z "${CVP_REAL_FIXTURES:-}" ] && [ -f "$fixtures/MANIFEST.json" ]; then
  export CVP_REAL_FIXTURES="$fixtures"
fi
export CVP_REQUIRE_FIXTURES=1

# One job at a time at a lower priority: the machine is shared. target/ is
# not copied: the copy's paths differ, so cargo rebuilds everything anyway.
# With --in-place (in a checkout nobody is editing, reusing its target/)
# there is no copy and one job at a time is all cargo-mutants allows.
mode_args=(--jobs 1 --copy-target false)
case " ${CVP_MUTANTS_ARGS:-} " in
  *" --in-place "*) mode_args=() ;;
esac
# A fixed --timeout replaces the multiple of the baseline's time (which
# --baseline skip does not measure).
timeout_args=(--timeout-multiplier 3)
case " ${CVP_MUTANTS_ARGS:-} " in
  *" --timeout "*) timeout_args=() ;;
esac
# shellcheck disable=SC2086
exec nice -n 10 cargo mutants \
  --all-features \
  "${mode_args[@]}" \
  "${timeout_args[@]}" \
  --output target/mutants \
  "${file_args[@]}" \
  ${CVP_MUTANTS_ARGS:-} \
  -- "$@"
