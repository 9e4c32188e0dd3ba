#!/usr/bin/env bash
# Print the path of the .crate file that `cargo package` or `cargo publish`
# just wrote for NAME VERSION, and check it is the one crates.io would get:
# cargo since 1.93 writes it under target/package/tmp-crate/ (where
# `cargo publish` leaves it, and the only place it does), older cargo under
# target/package/. When both exist they must be the same bytes.
#
# Usage: crate-path.sh NAME VERSION [TARGET_DIR]
set -euo pipefail

name=${1:?crate name}
version=${2:?version}
target_dir=${3:-target}
file="$name-$version.crate"
found=()
for candidate in "$target_dir/package/tmp-crate/$file" "$target_dir/package/$file"; do
  if [ -f "$candidate" ]; then found+=("$candidate"); fi
done
if [ ${#found[@]} -eq 0 ]; then
  echo "no $file under $target_dir/package/tmp-crate/ or $target_dir/package/" >&2
  exit 1
fi
if [ ${#found[@]} -eq 2 ] && ! cmp -s "${found[0]}" "${found[1]}"; then
  echo "${found[0]} and ${found[1]} differ: which one cargo uploads is unclear" >&2
  exit 1
fi
echo "${found[0]}"
