use std::collections::BTreeMap;

use super::*;
use crate::crate_file::{archive, manifest};
use crate::git::{EntryKind, ObjectFormat, TreeEntry};
use crate::testkit::crates::CrateBuilder;

const COMMIT: &str = "91377f48bf35011d042aa5abef9e7f2a0a625aaa";
const ORIG: &str = "[package]\nname = \"demo\"\nversion = \"1.0.0\"\n";
const LIB: &str = "pub fn f() {}\n";

/// A repository: (path, kind, bytes) → its tree and every blob.
fn repo(files: &[(&str, EntryKind, &str)]) -> (Tree, BTreeMap<ObjectId, Vec<u8>>) {
    let mut blobs = BTreeMap::new();
    let entries = files
        .iter()
        .map(|(path, kind, bytes)| {
            let id = blob_id(ObjectFormat::Sha1, bytes.as_bytes()).0;
            blobs.insert(id, bytes.as_bytes().to_vec());
            let entry = TreeEntry { kind: *kind, id };
            (Box::<str>::from(*path), entry)
        })
        .collect();
    (Tree::new(entries), blobs)
}

const F: EntryKind = EntryKind::File;
const L: EntryKind = EntryKind::Symlink;

/// A package `demo-1.0.0` with these files beside its manifests.
fn package(path_in_vcs: Option<&str>, files: &[(&str, &[u8])]) -> CrateBuilder {
    let mut builder = CrateBuilder::new("demo", "1.0.0")
        .vcs_info(COMMIT, false, path_in_vcs)
        .file(
            "Cargo.toml",
            "[package]\nname = \"demo\"\nreadme = \"README.md\"\n",
        )
        .file("Cargo.lock", "# generated\n");
    for (path, bytes) in files {
        builder = builder.file(path, bytes.to_vec());
    }
    builder
}

fn compare_with(
    builder: &CrateBuilder,
    tree: &Tree,
    blobs: &mut BTreeMap<ObjectId, Vec<u8>>,
) -> Result<Comparison, CompareError> {
    let archive = archive::read(&builder.build(), builder.stem()).unwrap();
    let listing = PackageListing::of(&archive, ObjectFormat::Sha1);
    let vcs = manifest::vcs_info(&archive).unwrap().unwrap();
    let manifest = manifest::manifest(&archive).unwrap();
    let original = manifest::original_manifest(&archive).unwrap();
    compare(
        &Package {
            listing: &listing,
            manifest: &manifest,
            original: original.as_ref(),
            vcs: &vcs,
        },
        tree,
        blobs,
    )
}

#[test]
fn the_same_files_match_and_cargos_own_files_are_not_compared() {
    let (tree, mut blobs) = repo(&[
        ("crates/demo/Cargo.toml", F, ORIG),
        ("crates/demo/src/lib.rs", F, LIB),
        ("crates/other/src/lib.rs", F, "other"),
        ("crates/demo/tests/t.rs", F, "not packaged: no difference"),
    ]);
    let builder = package(
        Some("crates/demo"),
        &[
            ("Cargo.toml.orig", ORIG.as_bytes()),
            ("src/lib.rs", LIB.as_bytes()),
        ],
    );
    let result = compare_with(&builder, &tree, &mut blobs).unwrap();
    assert_eq!(result.same, ["Cargo.toml.orig", "src/lib.rs"]);
    assert!(result.differ.is_empty() && result.only_in_package.is_empty());
    assert_eq!(result.folder, "crates/demo");
}

#[test]
fn injected_changed_and_compiled_files_are_listed() {
    let (tree, mut blobs) = repo(&[("Cargo.toml", F, ORIG), ("src/lib.rs", F, LIB)]);
    let builder = package(
        Some(""),
        &[
            (
                "Cargo.toml.orig",
                b"[package]\nname = \"demo\"\nkeywords = [\"x\"]\n",
            ),
            ("src/lib.rs", LIB.as_bytes()),
            ("src/injected.rs", b"evil"),
            ("lib/libfoo.a", b"!<arch>\nobj"),
            ("src/blob.o", b"\x7fELF\x02\x01"),
        ],
    );
    let result = compare_with(&builder, &tree, &mut blobs).unwrap();
    assert_eq!(result.differ, ["Cargo.toml.orig"]);
    assert_eq!(
        result.only_in_package,
        ["lib/libfoo.a", "src/blob.o", "src/injected.rs"]
    );
    assert_eq!(result.binaries, ["lib/libfoo.a", "src/blob.o"]);
    let vcs = VcsInfo {
        commit: COMMIT.into(),
        dirty: false,
        path_in_vcs: Some(String::new()),
    };
    let reported = result.into_source_match(&vcs, "https://github.com/o/r");
    assert_eq!(reported.result, SourceResult::Differs);
    assert_eq!(reported.difference_count(), 4);
}

#[test]
fn links_are_followed_inside_the_repository_only() {
    let (tree, mut blobs) = repo(&[
        ("LICENSE-MIT", F, "MIT\n"),
        ("shared/src/util.rs", F, "util"),
        ("pkg/Cargo.toml", F, ORIG),
        ("pkg/LICENSE-MIT", L, "../LICENSE-MIT"),
        ("pkg/src", L, "../shared/src"),
        ("pkg/escape", L, "../../../etc/passwd"),
        ("pkg/absolute", L, "/etc/passwd"),
        ("pkg/loop", L, "loop"),
    ]);
    let builder = package(
        Some("pkg"),
        &[
            ("LICENSE-MIT", b"MIT\n"),
            ("src/util.rs", b"util"),
            ("escape", b"root:x:0:0"),
            ("absolute", b"root:x:0:0"),
            ("loop", b"x"),
        ],
    );
    let result = compare_with(&builder, &tree, &mut blobs).unwrap();
    assert_eq!(result.same, ["LICENSE-MIT", "src/util.rs"]);
    assert_eq!(result.differ, ["absolute", "escape", "loop"]);
}

#[test]
fn a_readme_from_outside_the_folder_is_compared_with_its_source() {
    let (tree, mut blobs) = repo(&[
        ("README.md", F, "the workspace's readme"),
        ("pkg/Cargo.toml", F, ORIG),
    ]);
    let orig = "[package]\nname = \"demo\"\nreadme = \"./../README.md\"\n";
    let builder = package(
        Some("pkg"),
        &[
            ("Cargo.toml.orig", orig.as_bytes()),
            ("README.md", b"the workspace's readme"),
        ],
    );
    let result = compare_with(&builder, &tree, &mut blobs).unwrap();
    assert_eq!(result.same, ["README.md"]);
    assert_eq!(result.differ, ["Cargo.toml.orig"]);

    // A README.md inside the folder is what cargo packages: compared with it.
    let (tree, mut blobs) = repo(&[
        ("README.md", F, "the workspace's readme"),
        ("pkg/README.md", F, "the package's own"),
        ("pkg/Cargo.toml", F, orig),
    ]);
    let builder = package(
        Some("pkg"),
        &[
            ("Cargo.toml.orig", orig.as_bytes()),
            ("README.md", b"the workspace's readme"),
        ],
    );
    let result = compare_with(&builder, &tree, &mut blobs).unwrap();
    assert_eq!(result.differ, ["README.md"]);
}

#[test]
fn a_readme_inherited_from_the_workspace_resolves_against_its_root() {
    let root = "[workspace]\nmembers = [\"crates/*\"]\n[workspace.package]\nreadme = \"docs/README.md\"\nlicense-file = \"LICENSE.txt\"\n";
    let orig = "[package]\nname = \"demo\"\nreadme.workspace = true\nlicense-file = { workspace = true }\n";
    let (tree, mut blobs) = repo(&[
        ("Cargo.toml", F, root),
        ("docs/README.md", F, "readme"),
        ("LICENSE.txt", F, "license"),
        ("crates/demo/Cargo.toml", F, orig),
    ]);
    let builder = CrateBuilder::new("demo", "1.0.0")
        .vcs_info(COMMIT, false, Some("crates/demo"))
        .file(
            "Cargo.toml",
            "[package]\nname = \"demo\"\nreadme = \"README.md\"\nlicense-file = \"LICENSE.txt\"\n",
        )
        .file("Cargo.toml.orig", orig)
        .file("README.md", "readme")
        .file("LICENSE.txt", "license");
    let result = compare_with(&builder, &tree, &mut blobs).unwrap();
    assert_eq!(result.same, ["Cargo.toml.orig", "LICENSE.txt", "README.md"]);
    assert!(result.differ.is_empty() && result.only_in_package.is_empty());
}

#[test]
fn without_path_in_vcs_the_folder_is_found_never_assumed() {
    let other = "[package]\nname = \"other\"\n";
    let (tree, mut blobs) = repo(&[
        ("Cargo.toml", F, "[workspace]\n"),
        ("a/Cargo.toml", F, other),
        ("b/Cargo.toml", F, ORIG),
        ("b/src/lib.rs", F, LIB),
    ]);
    let files: [(&str, &[u8]); 2] = [
        ("Cargo.toml.orig", ORIG.as_bytes()),
        ("src/lib.rs", LIB.as_bytes()),
    ];
    let result = compare_with(&package(None, &files), &tree, &mut blobs).unwrap();
    assert_eq!(result.folder, "b");
    assert_eq!(result.same.len(), 2);

    // Published from a changed manifest: found by the package's name.
    let changed: [(&str, &[u8]); 1] =
        [("Cargo.toml.orig", b"[package]\nname = \"demo\"\n# edited\n")];
    let result = compare_with(&package(None, &changed), &tree, &mut blobs).unwrap();
    assert_eq!(result.folder, "b");
    assert_eq!(result.differ, ["Cargo.toml.orig"]);

    // Two manifests name it: ambiguous, not checked.
    let (tree, mut blobs) = repo(&[
        ("x/Cargo.toml", F, "[package]\nname = \"demo\"\n"),
        ("y/Cargo.toml", F, "[package]\nname = \"demo\"\n\n"),
    ]);
    assert!(matches!(
        compare_with(&package(None, &changed), &tree, &mut blobs),
        Err(CompareError::AmbiguousFolder(_))
    ));
    // None names it: not checked either, never the root.
    let (tree, mut blobs) = repo(&[("Cargo.toml", F, other)]);
    assert!(matches!(
        compare_with(&package(None, &changed), &tree, &mut blobs),
        Err(CompareError::AmbiguousFolder(_))
    ));
}

#[test]
fn line_endings_alone_are_listed_apart() {
    let (tree, mut blobs) = repo(&[
        ("Cargo.toml", F, ORIG),
        ("src/lib.rs", F, "a\nb\n"),
        ("src/win.rs", F, "a\r\nb\r\n"),
    ]);
    let builder = package(
        Some(""),
        &[("src/lib.rs", b"a\r\nb\r\n"), ("src/win.rs", b"a\nb\n")],
    );
    let result = compare_with(&builder, &tree, &mut blobs).unwrap();
    assert_eq!(result.line_endings_only, ["src/lib.rs", "src/win.rs"]);
    assert!(result.differ.is_empty());
}

#[test]
fn what_the_host_did_not_send_is_an_error_never_a_result() {
    let (tree, mut blobs) = repo(&[("LICENSE", F, "x"), ("pkg/LICENSE", L, "../LICENSE")]);
    blobs.clear();
    let builder = package(Some("pkg"), &[("LICENSE", b"x")]);
    assert!(matches!(
        compare_with(&builder, &tree, &mut blobs),
        Err(CompareError::Git(GitError::MissingObject(_)))
    ));
    let (tree, mut blobs) = repo(&[("vendor/zlib", EntryKind::Submodule, "")]);
    let builder = package(Some(""), &[("vendor/zlib/zlib.h", b"x")]);
    assert_eq!(
        compare_with(&builder, &tree, &mut blobs),
        Err(CompareError::Submodule("vendor/zlib".into()))
    );
}
