#!/usr/bin/env bash
# Check a published release with this tool, as a user would:
#   1. every archive in DIST against its attestation (ARCHIVE.sigstore.json),
#      signed by this repository's release workflow at the tag;
#   2. the .crate on crates.io: a lockfile holding only this crate at this
#      version, with the checksum the registry's index gives, checked
#      against docs/release-policy.toml (attested, this repository, the
#      release workflow, a tag, pushed, a GitHub-hosted runner).
# Any failure exits non-zero, so that a release we cannot verify shows.
#
# Usage: verify-release.sh DIST VERSION
# Environment: CVP_BIN (the verifier; default cargo-verify-provenance),
# CVP_REPOSITORY, CVP_INDEX_URL (the sparse index), CVP_TRUSTED_ROOT,
# CVP_POLICY (default docs/release-policy.toml; tests point its sources at
# local servers).
set -euo pipefail

dist=${1:?folder of release assets}
version=${2:?version}
version=${version#v}
name=cargo-verify-provenance
bin=${CVP_BIN:-$name}
repository=${CVP_REPOSITORY:-cargo-verify-provenance/cargo-verify-provenance}
index=${CVP_INDEX_URL:-https://index.crates.io}
root=$(cd "$(dirname "$0")/../.." && pwd)
policy=${CVP_POLICY:-$root/docs/release-policy.toml}
identity="https://github.com/$repository/.github/workflows/release.yml@refs/tags/v$version"
root_args=()
if [ -n "${CVP_TRUSTED_ROOT:-}" ]; then root_args=(--trusted-root "$CVP_TRUSTED_ROOT"); fi

checked=0
for archive in "$dist/$name"-*.tar.gz "$dist/$name"-*.zip; do
  [ -f "$archive" ] || continue
  "$bin" verify-bundle --bundle "$archive.sigstore.json" \
    --certificate-identity "$identity" \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    ${root_args[@]+"${root_args[@]}"} "$archive"
  checked=$((checked + 1))
done
if [ "$checked" -eq 0 ]; then
  echo "no release archives in $dist" >&2
  exit 1
fi
echo "$checked archives verified"

# The sparse index path of a name of four or more characters: ab/cd/name.
path="${name:0:2}/${name:2:2}/$name"
checksum=$(curl --fail --silent --show-error --location "$index/$path" \
  | grep -F "\"vers\":\"$version\"" \
  | sed -n 's/.*"cksum":"\([0-9a-f]\{64\}\)".*/\1/p' | head -n 1)
if [ -z "$checksum" ]; then
  echo "the index has no $name $version" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/Cargo.lock" <<LOCK
version = 4

[[package]]
name = "$name"
version = "$version"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "$checksum"
LOCK
"$bin" --lockfile "$work/Cargo.lock" --policy "$policy" \
  ${root_args[@]+--trusted-root "$CVP_TRUSTED_ROOT"}
