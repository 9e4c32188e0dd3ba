use tar::EntryType;

use super::archive::{read, read_bounded, ArchiveError};
use super::manifest::{manifest, original_manifest, vcs_info, ManifestError, ManifestPath};
use super::*;
use crate::testkit::crates::{gzip_bomb, tar_bomb, CrateBuilder, RawEntry};

const COMMIT: &str = "91377f48bf35011d042aa5abef9e7f2a0a625aaa";

fn krate(bytes: &[u8]) -> CrateRef {
    CrateRef {
        name: "demo".into(),
        version: "1.0.0".parse().unwrap(),
        checksum: sigstore_crypto::sha256(bytes),
        source: PackageSource::CratesIo,
    }
}

fn demo() -> CrateBuilder {
    CrateBuilder::new("demo", "1.0.0")
        .vcs_info(COMMIT, true, Some("crates/demo"))
        .file(
            "Cargo.toml",
            "[package]\nname = \"demo\"\nversion = \"1.0.0\"\nrepository = \"https://github.com/o/r/\"\nreadme = \"README.md\"\nlicense-file = \"LICENSE\"\n",
        )
        .file(
            "Cargo.toml.orig",
            "[package]\nname = \"demo\"\nreadme = \"../../README.md\"\nlicense-file.workspace = true\nworkspace = \"../..\"\n",
        )
        .file("src/lib.rs", "pub fn f() {}\n")
}

#[test]
fn a_package_reads_into_its_files_without_the_top_folder() {
    let archive = read(&demo().build(), "demo-1.0.0").unwrap();
    let paths: Vec<&str> = archive.files().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            ".cargo_vcs_info.json",
            "Cargo.toml",
            "Cargo.toml.orig",
            "src/lib.rs"
        ]
    );
    assert_eq!(archive.file("src/lib.rs"), Some(&b"pub fn f() {}\n"[..]));
    assert_eq!(archive.len(), 4);
}

#[test]
fn the_package_says_where_it_came_from() {
    let archive = read(&demo().build(), "demo-1.0.0").unwrap();
    let info = vcs_info(&archive).unwrap().unwrap();
    assert_eq!(info.commit, COMMIT);
    assert!(info.dirty);
    assert_eq!(info.path_in_vcs.as_deref(), Some("crates/demo"));
    let manifest = manifest(&archive).unwrap();
    assert_eq!(manifest.name, "demo");
    assert_eq!(
        manifest.repository.as_deref(),
        Some("https://github.com/o/r/")
    );
    assert_eq!(manifest.readme.as_deref(), Some("README.md"));
    assert_eq!(manifest.license_file.as_deref(), Some("LICENSE"));
    let original = original_manifest(&archive).unwrap().unwrap();
    assert_eq!(
        original.readme,
        Some(ManifestPath::Given("../../README.md".into()))
    );
    assert_eq!(original.license_file, Some(ManifestPath::Workspace));
    assert_eq!(original.workspace.as_deref(), Some("../.."));
}

#[test]
fn no_vcs_info_is_none_and_a_bad_one_is_an_error() {
    let bare = CrateBuilder::new("demo", "1.0.0").file("Cargo.toml", "[package]\nname='demo'\n");
    let archive = read(&bare.build(), "demo-1.0.0").unwrap();
    assert_eq!(vcs_info(&archive).unwrap(), None);

    let cases = [
        r#"{"git":{"sha1":"abc"}}"#,
        r#"{"git":{"sha1":"zz377f48bf35011d042aa5abef9e7f2a0a625aaa"}}"#,
        r#"{"path_in_vcs":"x"}"#,
        &format!(r#"{{"git":{{"sha1":"{COMMIT}"}},"path_in_vcs":"../x"}}"#),
        &format!(r#"{{"git":{{"sha1":"{COMMIT}"}},"path_in_vcs":"/x"}}"#),
        &format!(r#"{{"git":{{"sha1":"{COMMIT}"}},"path_in_vcs":"a//b"}}"#),
    ];
    for text in cases {
        let bytes = CrateBuilder::new("demo", "1.0.0")
            .file(".cargo_vcs_info.json", text)
            .build();
        let archive = read(&bytes, "demo-1.0.0").unwrap();
        assert!(
            matches!(vcs_info(&archive), Err(ManifestError::Invalid { .. })),
            "{text}"
        );
    }
}

#[test]
fn an_old_vcs_info_has_no_path_and_an_uppercase_commit_is_read_lowercase() {
    let bytes = CrateBuilder::new("demo", "1.0.0")
        .file(
            ".cargo_vcs_info.json",
            format!(r#"{{"git":{{"sha1":"{}"}}}}"#, COMMIT.to_uppercase()),
        )
        .build();
    let info = vcs_info(&read(&bytes, "demo-1.0.0").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(info.commit, COMMIT);
    assert_eq!(info.path_in_vcs, None);
    assert!(!info.dirty);
}

/// Each hostile entry is refused with its own error.
#[test]
fn hostile_entries_are_refused_by_name() {
    let stem = "demo-1.0.0";
    let entry = |path: &str, kind| RawEntry::new(path, kind, b"x".to_vec());
    let link = |path: &str, kind| RawEntry {
        link: Some(b"../../etc/passwd".to_vec()),
        ..RawEntry::new(path, kind, Vec::new())
    };
    type Expected = fn(&ArchiveError) -> bool;
    let cases: Vec<(RawEntry, Expected)> = vec![
        (entry("demo-1.0.0/../evil", EntryType::Regular), |e| {
            matches!(e, ArchiveError::Traversal { .. })
        }),
        (entry("demo-1.0.0/./a", EntryType::Regular), |e| {
            matches!(e, ArchiveError::Traversal { .. })
        }),
        (entry("/etc/evil", EntryType::Regular), |e| {
            matches!(e, ArchiveError::Absolute { .. })
        }),
        (entry("other-1.0.0/src/lib.rs", EntryType::Regular), |e| {
            matches!(e, ArchiveError::OutsidePackage { .. })
        }),
        (entry("demo-1.0.0x/a", EntryType::Regular), |e| {
            matches!(e, ArchiveError::OutsidePackage { .. })
        }),
        (entry("demo-1.0.0/a\\..\\b", EntryType::Regular), |e| {
            matches!(e, ArchiveError::BadName { .. })
        }),
        (entry("demo-1.0.0/a\nb", EntryType::Regular), |e| {
            matches!(e, ArchiveError::BadName { .. })
        }),
        (link("demo-1.0.0/passwd", EntryType::Symlink), |e| {
            matches!(
                e,
                ArchiveError::Link {
                    kind: "symbolic link",
                    ..
                }
            )
        }),
        (link("demo-1.0.0/passwd", EntryType::Link), |e| {
            matches!(
                e,
                ArchiveError::Link {
                    kind: "hard link",
                    ..
                }
            )
        }),
        (entry("demo-1.0.0/tty", EntryType::Char), |e| {
            matches!(
                e,
                ArchiveError::Special {
                    kind: "character device",
                    ..
                }
            )
        }),
        (entry("demo-1.0.0/disk", EntryType::Block), |e| {
            matches!(
                e,
                ArchiveError::Special {
                    kind: "block device",
                    ..
                }
            )
        }),
        (entry("demo-1.0.0/pipe", EntryType::Fifo), |e| {
            matches!(e, ArchiveError::Special { kind: "FIFO", .. })
        }),
    ];
    for (hostile, expected) in cases {
        let shown = String::from_utf8_lossy(&hostile.path).into_owned();
        let bytes = CrateBuilder::new("demo", "1.0.0")
            .file("Cargo.toml", "")
            .raw(hostile)
            .build();
        let error = read(&bytes, stem).unwrap_err();
        assert!(expected(&error), "{shown}: {error:?}");
    }
    let invalid_utf8 = CrateBuilder::new("demo", "1.0.0").raw(RawEntry::new(
        b"demo-1.0.0/\xff".as_slice(),
        EntryType::Regular,
        Vec::new(),
    ));
    assert!(matches!(
        read(&invalid_utf8.build(), stem),
        Err(ArchiveError::BadName { .. })
    ));
}

#[test]
fn a_name_twice_is_refused() {
    let bytes = CrateBuilder::new("demo", "1.0.0")
        .file("src/lib.rs", "a")
        .file("src/lib.rs", "b")
        .build();
    assert_eq!(
        read(&bytes, "demo-1.0.0"),
        Err(ArchiveError::Duplicate {
            path: "src/lib.rs".into()
        })
    );
}

#[test]
fn directory_entries_are_skipped() {
    let bytes = CrateBuilder::new("demo", "1.0.0")
        .raw(RawEntry::new(
            "demo-1.0.0/src/",
            EntryType::Directory,
            Vec::new(),
        ))
        .file("src/lib.rs", "a")
        .build();
    let archive = read(&bytes, "demo-1.0.0").unwrap();
    assert_eq!(archive.len(), 1);
}

#[test]
fn bombs_and_broken_archives_are_refused() {
    let stem = "demo-1.0.0";
    // 4 MiB of zeros, in a few KiB, against a 1 MiB limit.
    let bomb = gzip_bomb(stem, 4 << 20);
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    assert_eq!(
        read_bounded(&bomb, stem, 1 << 20, 100),
        Err(ArchiveError::TooLarge { limit: 1 << 20 })
    );
    // The same shape under the limit reads.
    assert!(read_bounded(&gzip_bomb(stem, 1 << 10), stem, 1 << 20, 100).is_ok());
    assert_eq!(
        read_bounded(&tar_bomb(stem, 200), stem, 1 << 30, 100),
        Err(ArchiveError::TooManyEntries { limit: 100 })
    );
    assert!(read_bounded(&tar_bomb(stem, 100), stem, 1 << 30, 100).is_ok());
    // A header that declares more than the limit is refused before reading.
    let declared = CrateBuilder::new("demo", "1.0.0").raw(RawEntry {
        declared_size: Some(1 << 40),
        ..RawEntry::new("demo-1.0.0/big", EntryType::Regular, b"x".to_vec())
    });
    assert_eq!(
        read(&declared.build(), stem),
        Err(ArchiveError::TooLarge {
            limit: archive::MAX_UNPACKED_BYTES
        })
    );
    assert!(matches!(
        read(b"not gzip at all", stem),
        Err(ArchiveError::Malformed(_))
    ));
    let mut cut = demo().build();
    cut.truncate(cut.len() / 2);
    assert!(read(&cut, stem).is_err());
}

#[test]
fn download_urls_are_made_as_cargo_makes_them() {
    let mut krate = krate(b"");
    krate.name = "serde".into();
    assert_eq!(
        DownloadTemplate::crates_io().url_for(&krate),
        "https://static.crates.io/crates/serde/1.0.0/download"
    );
    let template = DownloadTemplate::new(
        "http://127.0.0.1:1/{prefix}/{lowerprefix}/{crate}-{version}.crate?c={sha256-checksum}",
    );
    krate.name = "SerDe".into();
    assert_eq!(
        template.url_for(&krate),
        format!(
            "http://127.0.0.1:1/Se/rD/se/rd/SerDe-1.0.0.crate?c={}",
            krate.checksum.to_hex()
        )
    );
    for (name, prefix) in [("a", "1"), ("ab", "2"), ("abc", "3/a"), ("abcd", "ab/cd")] {
        krate.name = name.into();
        let url = DownloadTemplate::new("https://x/{prefix}").url_for(&krate);
        assert_eq!(url, format!("https://x/{prefix}"));
    }
}

#[test]
fn cargos_cache_is_used_only_for_the_lockfiles_bytes() {
    let home = tempfile::tempdir().unwrap();
    let bytes = demo().build();
    let wanted = krate(&bytes);
    let folder = home
        .path()
        .join("registry/cache/index.crates.io-1949cf8c6b5b557f");
    std::fs::create_dir_all(&folder).unwrap();
    let locator = Locator {
        cargo_home: Some(home.path().to_path_buf()),
        ..Locator::default()
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let offline = runtime.block_on(locator.obtain(&wanted, None));
    assert_eq!(offline, Err(ObtainError::Offline));
    // Another package's bytes under this name: never used, and named.
    std::fs::write(folder.join("demo-1.0.0.crate"), b"other bytes").unwrap();
    assert_eq!(locator.in_cargo_cache(&wanted), None);
    let offline = runtime.block_on(locator.obtain(&wanted, None)).unwrap_err();
    assert_eq!(
        offline,
        ObtainError::CargoCacheMismatch {
            path: folder.join("demo-1.0.0.crate").display().to_string(),
            then: Box::new(ObtainError::Offline),
        }
    );
    assert!(offline.to_string().contains("not the lockfile's checksum, so it is not used; neither cargo's download cache nor a download kept in this tool's cache has a copy with the lockfile's checksum, and this run is offline"));

    // The right bytes, in the folder of an older cargo: used.
    let older = home
        .path()
        .join("registry/cache/github.com-1ecc6299db9ec823");
    std::fs::create_dir_all(&older).unwrap();
    std::fs::write(older.join("demo-1.0.0.crate"), &bytes).unwrap();
    let found = locator.in_cargo_cache(&wanted).unwrap();
    assert_eq!(found.bytes(), bytes);
    assert_eq!(
        found.origin(),
        &CrateOrigin::CargoCache(older.join("demo-1.0.0.crate"))
    );
    let (archive, facts) = read_package(&found).unwrap();
    assert_eq!(archive.len(), 4);
    assert_eq!(facts.vcs_info.unwrap().commit, COMMIT);
}

#[test]
fn cargo_home_is_the_variable_else_the_home_folder() {
    let set = cargo_home(|name| (name == "CARGO_HOME").then(|| "/x/cargo".into()));
    assert_eq!(set, Some(PathBuf::from("/x/cargo")));
    let unset = cargo_home(|_| None);
    assert!(unset.is_none_or(|p| p.ends_with(".cargo")));
}
