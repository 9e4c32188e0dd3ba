#!/usr/bin/env bash
# Lint the GitHub workflows and the action with actionlint, and the shell
# scripts they run with ShellCheck. Both come from PyPI as wheels that carry
# the binary (nothing is downloaded at install time), pinned by hash in
# .ci/requirements-lint.txt, into a private virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${CVP_LINT_VENV:-target/lint-venv}
if [ ! -x "$venv/bin/actionlint" ] || [ ! -x "$venv/bin/shellcheck" ] \
    || ! cmp -s .ci/requirements-lint.txt "$venv/requirements-lint.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --only-binary=:all: --require-hashes \
    --requirement .ci/requirements-lint.txt
  cp .ci/requirements-lint.txt "$venv/requirements-lint.txt"
fi
export PATH="$PWD/$venv/bin:$PATH"

actionlint -version | head -n 1
# actionlint checks every workflow; with ShellCheck on PATH, their run: scripts too.
actionlint -no-color .github/workflows/*.yml
# The action's own metadata: actionlint reads action.yml only through the
# workflows that use it (`uses: ./` in ci.yml), which it checks above.
shellcheck --version | sed -n 2p
shellcheck --severity=style scripts/action/*.sh scripts/release/*.sh scripts/lint-actions.sh .ci/run
echo "actionlint and shellcheck: clean"
