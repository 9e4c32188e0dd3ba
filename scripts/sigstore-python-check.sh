#!/bin/sh
# Verify a sample of bundles minted by the test instance with sigstore-python,
# an independent Sigstore client, offline, against the instance's trusted
# root. Installs sigstore-python from PyPI into a virtual environment first
# (once; set CVP_SIGSTORE_VENV to choose where).
set -eu
venv="${CVP_SIGSTORE_VENV:-${TMPDIR:-/tmp}/cvp-sigstore-python}"
if [ ! -x "$venv/bin/sigstore" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet sigstore
fi
"$venv/bin/sigstore" --version
cd "$(dirname "$0")/.."
CVP_SIGSTORE_PYTHON="$venv/bin/sigstore" exec cargo test --features testkit --test integration independent:: -- --nocapture
