#!/usr/bin/env bash
# The GitHub Action's install step: the release binary for this runner,
# checked against the release's SHA256SUMS and the build provenance
# attestation of its archive (`verify-bundle`, identity: this repository's
# release workflow at the version's tag). When the release has no binary
# for this runner, `cargo install --locked` at the same version.
#
# A checksum or attestation that does not match stops the step: only a
# missing binary falls back to building.
#
# Environment: RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_PATH and
# GITHUB_OUTPUT as GitHub sets them; CVP_VERSION (default: the version in
# the action's own Cargo.toml, under GITHUB_ACTION_PATH); and, for tests and
# mirrors, CVP_REPOSITORY, CVP_RELEASE_BASE_URL, CVP_TRUSTED_ROOT (a
# trusted_root.json for verify-bundle) and CVP_CARGO (the cargo to run).
# Outputs: version, installed-from (release or cargo-install), bin.
set -euo pipefail

name=cargo-verify-provenance
: "${RUNNER_TEMP:?}" "${GITHUB_PATH:?}" "${GITHUB_OUTPUT:?}"
repository=${CVP_REPOSITORY:-cargo-verify-provenance/cargo-verify-provenance}
base_url=${CVP_RELEASE_BASE_URL:-https://github.com/$repository/releases/download}
issuer=https://token.actions.githubusercontent.com

version=${CVP_VERSION:-}
if [ -z "$version" ]; then
  manifest="${GITHUB_ACTION_PATH:?}/Cargo.toml"
  version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$manifest" | head -n 1)
fi
version=${version#v}
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
  echo "::error::not a version: '$version'" >&2
  exit 2
fi

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) target=aarch64-unknown-linux-gnu ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) target="" ;;
esac
case "$target" in
  *windows*) exe=.exe suffix=.zip ;;
  *) exe="" suffix=.tar.gz ;;
esac

install_root="$RUNNER_TEMP/$name"
bin="$install_root/bin"
mkdir -p "$bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

finish() {
  echo "$bin" >> "$GITHUB_PATH"
  {
    echo "version=$version"
    echo "installed-from=$1"
    echo "bin=$bin"
  } >> "$GITHUB_OUTPUT"
}

build_instead() {
  echo "$1: building $name $version with cargo install --locked" >&2
  "${CVP_CARGO:-cargo}" install "$name" --locked --version "=$version" --root "$install_root"
  finish cargo-install
  exit 0
}

[ -n "$target" ] || build_instead "no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"

archive="$name-$target$suffix"
url="$base_url/v$version"
download() {
  curl --fail --silent --show-error --location --retry 3 --output "$work/$1" "$url/$1"
}
if ! download "$archive"; then
  build_instead "the v$version release has no $archive"
fi
download SHA256SUMS
download "$archive.sigstore.json"

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi
}
expected=$(awk -v file="$archive" '$2 == file || $2 == "*" file { print $1 }' "$work/SHA256SUMS")
actual=$(cd "$work" && sha256 "$archive" | cut -d' ' -f1)
if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
  echo "::error::$archive does not match the release's SHA256SUMS (expected '${expected:-none}', got $actual)" >&2
  exit 1
fi

mkdir -p "$work/unpacked"
if [ "$suffix" = .zip ]; then
  (cd "$work/unpacked" && unzip -q "$work/$archive")
else
  tar -xzf "$work/$archive" -C "$work/unpacked"
fi
fresh="$work/unpacked/$name-$target/$name$exe"
[ -f "$fresh" ] || { echo "::error::$archive holds no $name-$target/$name$exe" >&2; exit 1; }

# The attestation is checked by a binary already on PATH when there is one
# (verified earlier), else by the binary just unpacked: then it shows that
# the archive and its attestation agree, the checksum above that they are
# the release's.
verifier=$(command -v "$name$exe" || echo "$fresh")
root_args=()
if [ -n "${CVP_TRUSTED_ROOT:-}" ]; then root_args=(--trusted-root "$CVP_TRUSTED_ROOT"); fi
identity="https://github.com/$repository/.github/workflows/release.yml@refs/tags/v$version"
if ! "$verifier" verify-bundle --bundle "$work/$archive.sigstore.json" \
    --certificate-identity "$identity" --certificate-oidc-issuer "$issuer" \
    ${root_args[@]+"${root_args[@]}"} "$work/$archive"; then
  echo "::error::the attestation of $archive does not verify for $identity" >&2
  exit 1
fi

cp "$fresh" "$bin/$name$exe"
chmod +x "$bin/$name$exe"
finish release
