#!/usr/bin/env bash
# Package one release binary as `cargo binstall` and the GitHub Action
# expect it ([package.metadata.binstall] in Cargo.toml):
#
#   OUT/cargo-verify-provenance-TARGET.tar.gz   (.zip for Windows targets)
#     cargo-verify-provenance-TARGET/
#       cargo-verify-provenance[.exe]
#       README.md
#       completions/   bash, zsh, fish, elvish and PowerShell scripts
#       man/           one manual page per command
#
# and a line for the archive in OUT/SHA256SUMS (as `sha256sum` writes it).
# The binary must run on this machine: completions and pages are made by it.
#
# Usage: package.sh TARGET BINARY OUT
set -euo pipefail

target=${1:?target triple}
binary=${2:?path to the built binary}
out=${3:?output folder}
name=cargo-verify-provenance
root=$(cd "$(dirname "$0")/../.." && pwd)

case "$target" in
  *windows*) exe=.exe suffix=.zip ;;
  *) exe="" suffix=.tar.gz ;;
esac

mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
folder="$stage/$name-$target"
mkdir -p "$folder/completions" "$folder/man"
cp "$binary" "$folder/$name$exe"
chmod +x "$folder/$name$exe"
cp "$root/README.md" "$folder/"
"$folder/$name$exe" completions bash > "$folder/completions/$name.bash"
"$folder/$name$exe" completions zsh > "$folder/completions/_$name"
"$folder/$name$exe" completions fish > "$folder/completions/$name.fish"
"$folder/$name$exe" completions elvish > "$folder/completions/$name.elv"
"$folder/$name$exe" completions powershell > "$folder/completions/_$name.ps1"
"$folder/$name$exe" man --out-dir "$folder/man"

archive="$name-$target$suffix"
rm -f "$out/$archive"
if [ "$suffix" = .zip ]; then
  if command -v 7z >/dev/null 2>&1; then
    (cd "$stage" && 7z a -tzip -bd "$out/$archive" "$name-$target" >/dev/null)
  else
    (cd "$stage" && zip -qr "$out/$archive" "$name-$target")
  fi
else
  tar -czf "$out/$archive" -C "$stage" "$name-$target"
fi

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi
}
digest=$(cd "$out" && sha256 "$archive" | cut -d' ' -f1)
touch "$out/SHA256SUMS"
grep -v "  $archive\$" "$out/SHA256SUMS" > "$out/SHA256SUMS.new" || true
echo "$digest  $archive" >> "$out/SHA256SUMS.new"
mv "$out/SHA256SUMS.new" "$out/SHA256SUMS"
echo "$out/$archive"
