//! The library called from async code, as an embedder would: `collect_async`
//! awaited on tokio's runtimes, and the blocking `collect` called from
//! inside one (where building or entering a runtime of its own on the
//! caller's thread would panic).

use std::path::{Path, PathBuf};

use cargo_verify_provenance::exit;
use cargo_verify_provenance::run::{collect, collect_async, InventorySelection, Run, RunConfig};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

/// The demo, offline, from its own `dir` source: nothing reaches the network.
fn demo_config(cache: &Path) -> RunConfig {
    RunConfig::default()
        .with_inventory(InventorySelection::Lockfile(demo().join("Cargo.lock")))
        .with_policy(demo().join("provenance.toml"))
        .with_cache_dir(cache)
        .with_offline(true)
        .with_now("2026-06-01T00:00:00Z".parse().unwrap())
}

/// The demo's result, whichever way it was run.
fn assert_demo_passes(run: &Run) {
    let counts = run.evaluation.counts();
    assert_eq!(run.evaluation.exit_code(), exit::PASS, "{counts:?}");
    assert_eq!(run.evidence.len(), run.inventory.packages.len());
    assert!(
        run.evidence
            .iter()
            .filter(|e| !e.attestations.is_empty())
            .count()
            > 30,
        "{counts:?}"
    );
}

/// On a current-thread runtime (`#[tokio::test]`'s), where any `block_on`
/// of the run's own on this thread would panic.
#[tokio::test]
async fn collect_async_is_awaited_on_a_current_thread_runtime() {
    let cache = tempfile::tempdir().unwrap();
    let run = collect_async(&demo_config(cache.path())).await.unwrap();
    assert_demo_passes(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_async_is_awaited_on_a_multi_thread_runtime() {
    let cache = tempfile::tempdir().unwrap();
    let run = collect_async(&demo_config(cache.path())).await.unwrap();
    assert_demo_passes(&run);
}

/// The blocking entry point, called on a runtime's own thread and from
/// `spawn_blocking`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_collect_works_inside_a_runtime() {
    let cache = tempfile::tempdir().unwrap();
    let config = demo_config(cache.path());
    assert_demo_passes(&collect(&config).unwrap());
    let run = tokio::task::spawn_blocking(move || collect(&config))
        .await
        .unwrap()
        .unwrap();
    assert_demo_passes(&run);
}

#[tokio::test]
async fn the_blocking_collect_works_on_a_current_thread_runtime() {
    let cache = tempfile::tempdir().unwrap();
    assert_demo_passes(&collect(&demo_config(cache.path())).unwrap());
}
