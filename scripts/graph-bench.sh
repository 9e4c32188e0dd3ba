#!/usr/bin/env bash
# The cost of the dependency graph: the release binary of this checkout
# against the one of a revision before the graph (default e3335ad, the last
# without it), on the same gen-workload workload, runs alternating so that
# both see the same load. Prints wall clock (best and median) and peak RSS
# (largest) of each, and their ratios.
#
# usage: scripts/graph-bench.sh [PACKAGES] [RUNS] [BASE_REVISION]
#   defaults: 10000 packages, 7 runs each, e3335ad
# The base revision is built from `git archive` in a temporary folder with
# this checkout's target folder and the same features (only this crate is
# compiled again). Everything but the measured runs is `nice`d.
set -euo pipefail
cd "$(dirname "$0")/.."
packages="${1:-10000}"
runs="${2:-7}"
base="${3:-e3335ad}"
work="${TMPDIR:-/tmp}/cvp-graph-bench"
target="$(pwd)/target"
mkdir -p "$work"

nice cargo build --quiet --release --features testkit --bin cargo-verify-provenance --example gen-workload
cp target/release/cargo-verify-provenance "$work/new"
if [ ! -x "$work/base-$base" ]; then
    rm -rf "$work/src-$base" && mkdir -p "$work/src-$base"
    git archive "$base" | tar -x -C "$work/src-$base"
    # Same target folder and features: only this crate is compiled again.
    (cd "$work/src-$base" && CARGO_TARGET_DIR="$target" nice cargo build --quiet --release --locked \
        --features testkit --bin cargo-verify-provenance)
    cp "$target/release/cargo-verify-provenance" "$work/base-$base"
    # Put this checkout's binary back.
    cp "$work/new" target/release/cargo-verify-provenance
fi
if [ ! -f "$work/wl-$packages/Cargo.lock" ]; then
    nice target/release/examples/gen-workload --packages "$packages" --out "$work/wl-$packages" >/dev/null
fi

wl="$work/wl-$packages"
: >"$work/times"
for i in $(seq "$runs"); do
    for bin in base new; do
        exe="$work/new"
        [ "$bin" = base ] && exe="$work/base-$base"
        rm -rf "$work/cache-$bin" && mkdir -p "$work/cache-$bin"
        # The workload's policy reads the bundles from a `dir` source.
        /usr/bin/time -f "$bin %e %M %x" -a -o "$work/times" env CARGO_VERIFY_PROVENANCE_CACHE="$work/cache-$bin" \
            "$exe" --lockfile "$wl/Cargo.lock" --policy "$wl/provenance.toml" --offline -q >/dev/null 2>&1 || true
    done
done
python3 - "$work/times" "$packages" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
failed = [r for r in rows if r[3] != "0"]
if failed:
    sys.exit(f"runs that did not pass (exit code not 0): {failed}")
stats = {}
for name in ("base", "new"):
    walls = sorted(float(r[1]) for r in rows if r[0] == name)
    rss = max(int(r[2]) for r in rows if r[0] == name)
    stats[name] = (walls[0], statistics.median(walls), rss)
b, n = stats["base"], stats["new"]
print("| packages | runs | without graph: best / median wall, peak RSS | with graph: best / median wall, peak RSS | ratio best / median wall | ratio peak RSS |")
print("|---|---|---|---|---|---|")
print(f"| {sys.argv[2]} | {len(rows) // 2} | {b[0]:.2f} / {b[1]:.2f} s, {b[2] / 1024:.0f} MiB | {n[0]:.2f} / {n[1]:.2f} s, {n[2] / 1024:.0f} MiB "
      f"| {n[0] / b[0]:.3f}x / {n[1] / b[1]:.3f}x | {n[2] / b[2]:.3f}x |")
EOF
