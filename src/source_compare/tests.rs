//! The proof a cached comparison carries, and the cache entry holding it.

use sigstore_types::Sha256Hash;

use super::cached::{self, Lookup};
use super::proof::{compare_proving, recompute, Proof};
use crate::cache::Cache;
use crate::compare::{CompareError, Comparison, Package, PackageListing};
use crate::crate_file::{archive, manifest, Manifest, OriginalManifest, VcsInfo};
use crate::git::{object_id, Git, ObjectFormat, ObjectKind};
use crate::testkit::crates::CrateBuilder;
use crate::testkit::repos::RepoBuilder;

const MAX: usize = 300_000;
const ORIG: &str = "[package]\nname = \"demo\"\nreadme.workspace = true\n";
const LIB: &str = "pub fn f() {}\n";

/// A workspace whose member `crates/demo` takes its README from the root
/// through a link, beside folders the comparison never looks in.
fn repository(dir: &std::path::Path, sha256: bool) -> (String, String) {
    let path = dir.join(if sha256 { "r256.git" } else { "r1.git" });
    let commit = RepoBuilder::new()
        .file(
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\"]\n[workspace.package]\nreadme = \"README.md\"\n",
        )
        .file("README.md", "# demo\n")
        .file("crates/demo/Cargo.toml", ORIG)
        .file("crates/demo/src/lib.rs", LIB)
        .symlink("crates/demo/src/more.rs", "lib.rs")
        .file("crates/other/src/lib.rs", "other\n")
        .file("docs/guide/a.md", "a\n")
        .build(&path, sha256);
    (format!("file://{}", path.display()), commit)
}

/// The package as published, with `lib` as its `src/lib.rs`.
struct Published {
    listing: PackageListing,
    manifest: Manifest,
    original: Option<OriginalManifest>,
    vcs: VcsInfo,
}

impl Published {
    fn new(commit: &str, lib: &str) -> Self {
        let builder = CrateBuilder::new("demo", "1.0.0")
            .vcs_info(commit, false, Some("crates/demo"))
            .file(
                "Cargo.toml",
                "[package]\nname = \"demo\"\nreadme = \"README.md\"\n",
            )
            .file("Cargo.toml.orig", ORIG)
            .file("README.md", "# demo\n")
            .file("src/lib.rs", lib)
            .file("src/more.rs", LIB);
        let archive = archive::read(&builder.build(), builder.stem()).unwrap();
        let vcs = manifest::vcs_info(&archive).unwrap().unwrap();
        let format = ObjectFormat::of_hex(commit).unwrap();
        Self {
            listing: PackageListing::of(&archive, format),
            manifest: manifest::manifest(&archive).unwrap(),
            original: manifest::original_manifest(&archive).unwrap(),
            vcs,
        }
    }

    fn package(&self) -> Package<'_> {
        Package {
            listing: &self.listing,
            manifest: &self.manifest,
            original: self.original.as_ref(),
            vcs: &self.vcs,
        }
    }
}

/// Compare a package that matches with the fetched commit, and the proof.
fn proven(url: &str, commit: &str) -> (Comparison, Proof) {
    let mut fetched = Git::default().fetch(url, commit).unwrap();
    let tree = fetched.tree().unwrap();
    let published = Published::new(commit, LIB);
    let (result, proof) = compare_proving(&published.package(), &tree, &mut fetched, MAX);
    (result.unwrap(), proof.expect("a proof"))
}

#[test]
fn a_proof_computes_the_comparison_again_from_content_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    for sha256 in [false, true] {
        let (url, commit) = repository(dir.path(), sha256);
        let (comparison, proof) = proven(&url, &commit);
        assert!(comparison.differ.is_empty() && comparison.only_in_package.is_empty());
        assert_eq!(comparison.same.len(), 4, "{comparison:?}");
        // The root, crates, crates/demo, crates/demo/src: not docs or
        // crates/other. The blobs: the link's target, and the package's
        // and the root's manifests (looked in for `[workspace]`).
        assert_eq!(proof.trees.len(), 4, "sha256: {sha256}");
        assert_eq!(proof.blobs.len(), 3, "sha256: {sha256}");
        let published = Published::new(&commit, LIB);
        assert_eq!(
            recompute(&proof, &published.package(), MAX),
            Ok(Ok(comparison.clone()))
        );
        // The same proof for a package whose file differs: computed again,
        // it differs (the proof says what the repository holds, not what
        // the result was).
        let changed = Published::new(&commit, "pub fn f() { evil() }\n");
        let again = recompute(&proof, &changed.package(), MAX).unwrap().unwrap();
        assert_eq!(again.differ, ["src/lib.rs"]);
    }
}

#[test]
fn a_proof_with_any_object_not_what_its_parent_names_proves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (url, commit) = repository(dir.path(), false);
    let (_, proof) = proven(&url, &commit);
    let published = Published::new(&commit, LIB);
    let refused = |proof: &Proof| recompute(proof, &published.package(), MAX).unwrap_err();

    // Another commit's objects: the package names this commit.
    let (other_url, other_commit) = {
        let path = dir.path().join("other.git");
        let commit = RepoBuilder::new()
            .file("crates/demo/Cargo.toml", ORIG)
            .file("crates/demo/src/lib.rs", LIB)
            .build(&path, false);
        (format!("file://{}", path.display()), commit)
    };
    let mut fetched = Git::default().fetch(&other_url, &other_commit).unwrap();
    let tree = fetched.tree().unwrap();
    let other = Published::new(&other_commit, LIB);
    let other_proof = compare_proving(&other.package(), &tree, &mut fetched, MAX)
        .1
        .unwrap();
    assert!(refused(&other_proof).contains("is not commit"));

    // A commit object edited to name another root tree.
    let mut edited = proof.clone();
    edited.commit[5] ^= 1;
    assert!(refused(&edited).contains("is not commit"));

    // A tree of the package's folder written to list the package's own
    // blob IDs: it does not hash to the ID its parent names.
    let mut forged = proof.clone();
    let lib_id = published.listing.get("src/lib.rs").unwrap().id;
    let mut src = b"100644 lib.rs\0".to_vec();
    src.extend_from_slice(lib_id.as_bytes());
    forged
        .trees
        .retain(|t| !t.windows(6).any(|w| w == b"lib.rs"));
    forged.trees.push(src);
    assert!(
        refused(&forged).contains("lacks a folder"),
        "{}",
        refused(&forged)
    );

    // A tree left out, a blob left out.
    for index in 0..proof.trees.len() {
        let mut short = proof.clone();
        short.trees.remove(index);
        refused(&short);
    }
    let mut short = proof.clone();
    short.blobs.clear();
    assert!(
        refused(&short).contains("not in what"),
        "{}",
        refused(&short)
    );
}

/// What a cached entry gives for a package.
#[derive(Debug)]
enum Cached {
    Absent,
    Proven(Result<Comparison, CompareError>),
    Refused(String),
}

#[test]
fn the_cache_entry_is_read_only_as_the_comparison_its_proof_gives() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&dir.path().join("cache")).unwrap();
    let (url, commit) = repository(dir.path(), false);
    let (comparison, proof) = proven(&url, &commit);
    let checksum = Sha256Hash::from_hex(&"07".repeat(32)).unwrap();
    let published = Published::new(&commit, LIB);
    let mirror = "https://ci:SECRET1@mirror.example/o/r?token=SECRET2";
    let repository = Some("https://github.com/o/r");
    cached::write(&cache, &checksum, repository, Some((mirror, &proof))).unwrap();
    let file = dir
        .path()
        .join("cache/source-match/v2/07")
        .join(format!("{}.json", "07".repeat(32)));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("SECRET") && !text.contains("ci:"), "{text}");

    assert_eq!(
        cached::repository_hint(&cache, &checksum),
        Some(Some("https://github.com/o/r".into()))
    );
    let read =
        |fetch_url: &str, package: &Package<'_>| match cached::lookup(&cache, &checksum, fetch_url)
        {
            Lookup::Absent => Cached::Absent,
            Lookup::Refused(warning) => Cached::Refused(warning),
            Lookup::Found(stored) => match stored.prove(package, MAX) {
                Ok(result) => Cached::Proven(result),
                Err(warning) => Cached::Refused(warning),
            },
        };
    assert!(matches!(
        read(mirror, &published.package()),
        Cached::Proven(Ok(ref c)) if *c == comparison
    ));
    // Another mirror, or none: another configuration's entry.
    let elsewhere = "https://ci:OTHER@mirror.example/o/r?token=SECRET2";
    assert!(matches!(
        read(elsewhere, &published.package()),
        Cached::Absent
    ));
    // A package of another commit under this checksum's name: refused.
    let other = Published::new(&"ab".repeat(20), LIB);
    match read(mirror, &other.package()) {
        Cached::Refused(warning) => assert!(warning.contains(&file.display().to_string())),
        other => panic!("{other:?}"),
    }
    // A planted file that is no entry at all: refused, naming it.
    std::fs::write(&file, br#"{"result":"matches"}"#).unwrap();
    match read(mirror, &published.package()) {
        Cached::Refused(warning) => assert!(warning.contains(&file.display().to_string())),
        other => panic!("{other:?}"),
    }
    assert_eq!(cached::repository_hint(&cache, &checksum), None);
}

/// Results that are errors are proven too: a package whose file is a
/// submodule in the repository is not checked, from the proof as well.
#[test]
fn a_comparison_that_cannot_be_made_is_proven_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub.git");
    let commit = RepoBuilder::new()
        .file("crates/demo/Cargo.toml", ORIG)
        .entry(
            "crates/demo/src",
            crate::testkit::repos::RepoFile::Submodule("ab".repeat(20)),
        )
        .build(&path, false);
    let url = format!("file://{}", path.display());
    let mut fetched = Git::default().fetch(&url, &commit).unwrap();
    let tree = fetched.tree().unwrap();
    let mut published = Published::new(&commit, LIB);
    published.original = None;
    let (result, proof) = compare_proving(&published.package(), &tree, &mut fetched, MAX);
    assert!(matches!(result, Err(CompareError::Submodule(_))));
    let proof = proof.unwrap();
    assert_eq!(recompute(&proof, &published.package(), MAX), Ok(result));
    let id = object_id(ObjectFormat::Sha1, ObjectKind::Commit, &proof.commit).0;
    assert_eq!(id.to_hex(), commit);
}
