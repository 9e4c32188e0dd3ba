//! Obtaining and reading a published `.crate`: the five real packages of
//! `../shared/fixtures/source` from a cargo home laid out as cargo lays it,
//! and downloads from a loopback registry, checked against the checksum.

use std::path::Path;
use std::sync::Arc;

use cargo_verify_provenance::lockfile::PackageSource;
use cargo_verify_provenance::testkit::internals::cache::Cache;
use cargo_verify_provenance::testkit::internals::crate_file::{
    read_package, CrateOrigin, CrateRef, DownloadTemplate, Locator, ObtainError,
};
use cargo_verify_provenance::testkit::internals::http::{Http, HttpConfig};
use sigstore_types::Sha256Hash;

use crate::fixtures::{source_crates, SourceCrate};
use crate::harness::TestDir;
use crate::server::{Reply, Server};

fn crate_ref(entry: &SourceCrate) -> CrateRef {
    CrateRef {
        name: entry.name.clone(),
        version: entry.version.parse().unwrap(),
        checksum: Sha256Hash::from_hex(&entry.checksum).unwrap(),
        source: PackageSource::CratesIo,
    }
}

/// A cargo home whose download cache holds `files` (name, bytes) under
/// the sparse index's folder, as cargo ≥ 1.85 names it.
fn cargo_home(dir: &TestDir, files: &[(String, Vec<u8>)]) -> Locator {
    let cache = dir.join("cargo/registry/cache/index.crates.io-1949cf8c6b5b557f");
    std::fs::create_dir_all(&cache).unwrap();
    for (name, bytes) in files {
        std::fs::write(cache.join(name), bytes).unwrap();
    }
    Locator {
        cargo_home: Some(dir.join("cargo")),
        ..Locator::default()
    }
}

fn read(root: &Path, entry: &SourceCrate) -> Vec<u8> {
    std::fs::read(root.join(&entry.crate_file)).unwrap()
}

fn http() -> Http {
    Http::new(HttpConfig {
        retries: 0,
        ..HttpConfig::default()
    })
    .unwrap()
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn real_packages_say_what_their_manifest_records() {
    let Some((root, crates)) = source_crates("crate_file::real_packages") else {
        return;
    };
    let dir = TestDir::new();
    let files: Vec<_> = crates
        .iter()
        .map(|c| (format!("{}-{}.crate", c.name, c.version), read(&root, c)))
        .collect();
    let locator = cargo_home(&dir, &files);
    for entry in &crates {
        let krate = block_on(locator.obtain(&crate_ref(entry), None)).unwrap();
        assert!(matches!(krate.origin(), CrateOrigin::CargoCache(_)));
        let (archive, facts) = read_package(&krate).unwrap();
        let vcs = facts.vcs_info.expect("every real package has vcs info");
        assert_eq!(vcs.commit, entry.commit, "{}", entry.name);
        assert_eq!(vcs.dirty, entry.dirty, "{}", entry.name);
        assert_eq!(vcs.path_in_vcs.as_deref(), Some(entry.path_in_vcs.as_str()));
        assert_eq!(facts.manifest.name, entry.name);
        assert_eq!(
            facts.manifest.repository.as_deref(),
            Some(entry.repository.as_str())
        );
        assert!(facts.original.is_some(), "{}", entry.name);
        let generated: Vec<&str> = entry
            .generated_by_cargo
            .iter()
            .map(String::as_str)
            .collect();
        for file in generated {
            assert!(archive.file(file).is_some(), "{}: {file}", entry.name);
        }
        let expected = entry.files_same
            + entry.files_differ.len()
            + entry.files_only_in_package.len()
            + entry.generated_by_cargo.len();
        assert_eq!(archive.len(), expected, "{}", entry.name);
    }
}

#[test]
fn a_copy_in_cargos_cache_with_other_bytes_is_never_used() {
    let Some((root, crates)) = source_crates("crate_file::other_bytes") else {
        return;
    };
    let similar = &crates[0];
    let other = &crates[1];
    let dir = TestDir::new();
    // similar's name, another package's bytes.
    let locator = cargo_home(
        &dir,
        &[(
            format!("{}-{}.crate", similar.name, similar.version),
            read(&root, other),
        )],
    );
    let krate = crate_ref(similar);
    assert_eq!(locator.in_cargo_cache(&krate), None);
    let copy = dir.join(format!(
        "cargo/registry/cache/index.crates.io-1949cf8c6b5b557f/{}-{}.crate",
        similar.name, similar.version
    ));
    assert!(copy.is_file(), "{}", copy.display());
    assert_eq!(
        block_on(locator.obtain(&krate, None)),
        Err(ObtainError::CargoCacheMismatch {
            path: copy.display().to_string(),
            then: Box::new(ObtainError::Offline),
        })
    );

    // Online, the registry's copy is downloaded instead.
    let server = Server::start();
    let path = format!("/crates/{}/{}/download", similar.name, similar.version);
    server.route(&path, vec![Reply::json(read(&root, similar))]);
    let online = Locator {
        crates_io: Some(Arc::new(DownloadTemplate::new(server.url("/crates")))),
        ..locator
    };
    let downloaded = block_on(online.obtain(&krate, Some(&http()))).unwrap();
    assert_eq!(
        downloaded.origin(),
        &CrateOrigin::Downloaded(server.url(&path))
    );
    assert_eq!(downloaded.bytes(), read(&root, similar));
    assert_eq!(server.requests_to(&path), 1);
}

#[test]
fn a_download_is_checked_against_the_checksum_before_it_is_read() {
    let Some((root, crates)) = source_crates("crate_file::download_checked") else {
        return;
    };
    let dir = TestDir::new();
    let server = Server::start();
    let locator = Locator {
        crates_io: Some(Arc::new(DownloadTemplate::new(
            server.url("/dl/{crate}-{version}.crate"),
        ))),
        ..cargo_home(&dir, &[])
    };
    let wanted = crate_ref(&crates[0]);
    server.route(
        &format!("/dl/{}", wanted.stem() + ".crate"),
        vec![Reply::json(read(&root, &crates[1]))],
    );
    let error = block_on(locator.obtain(&wanted, Some(&http()))).unwrap_err();
    assert!(
        matches!(&error, ObtainError::ChecksumMismatch { url } if url.ends_with(".crate")),
        "{error:?}"
    );
    let missing = crate_ref(&crates[2]);
    let error = block_on(locator.obtain(&missing, Some(&http()))).unwrap_err();
    assert!(
        matches!(error, ObtainError::Status { status: 404, .. }),
        "{error:?}"
    );
    // No credential goes with a download.
    for seen in server.seen() {
        assert!(!seen.headers.contains_key("authorization"), "{seen:?}");
    }
    // Another registry's package has no download address unless cargo's
    // cache holds it.
    let other = CrateRef {
        source: PackageSource::Registry {
            url: "https://example.invalid/index".into(),
        },
        ..wanted
    };
    let error = block_on(locator.obtain(&other, Some(&http()))).unwrap_err();
    assert!(
        matches!(error, ObtainError::NoDownloadUrl { .. }),
        "{error:?}"
    );
}

/// A download is kept in this tool's cache folder, named by its checksum,
/// and used when cargo's cache has no copy, offline too. The folder is
/// shared and may be written by others: a copy there with other bytes, or
/// a link to the right bytes elsewhere, is never used (offline the package
/// cannot be had; online it is downloaded again and kept again).
#[cfg(unix)]
#[test]
fn a_download_is_kept_and_only_the_lockfiles_bytes_are_used_from_it() {
    let Some((root, crates)) = source_crates("crate_file::kept") else {
        return;
    };
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join(".cache")).unwrap();
    let entry = &crates[0];
    let krate = crate_ref(entry);
    let server = Server::start();
    let path = format!("/dl/{}-{}.crate", entry.name, entry.version);
    server.route(&path, vec![Reply::json(read(&root, entry))]);
    let online = Locator {
        crates_io: Some(Arc::new(DownloadTemplate::new(
            server.url("/dl/{crate}-{version}.crate"),
        ))),
        kept: Some(cache.clone()),
        ..cargo_home(&dir, &[])
    };
    let offline = Locator {
        crates_io: None,
        ..online.clone()
    };
    let downloaded = block_on(online.obtain(&krate, Some(&http()))).unwrap();
    assert_eq!(
        downloaded.origin(),
        &CrateOrigin::Downloaded(server.url(&path))
    );
    let hex = krate.checksum.to_hex();
    let kept = dir
        .join(".cache/crates")
        .join(&hex[..2])
        .join(format!("{hex}.crate"));
    assert_eq!(std::fs::read(&kept).unwrap(), read(&root, entry));

    let found = block_on(offline.obtain(&krate, None)).unwrap();
    assert_eq!(found.origin(), &CrateOrigin::Kept(kept.clone()));
    assert_eq!(found.bytes(), read(&root, entry));
    assert_eq!(server.requests_to(&path), 1);
    // The download is read again from where it was kept, not held.
    let again_at = downloaded.found_again_at().unwrap();
    assert_eq!(again_at, CrateOrigin::Kept(kept.clone()));
    let again = offline.read_again(&krate, &again_at).unwrap();
    assert_eq!(again.bytes(), read(&root, entry));

    // Other bytes planted under the name, then a link to the right bytes.
    let elsewhere = dir.join("elsewhere.crate");
    std::fs::write(&elsewhere, read(&root, entry)).unwrap();
    for plant in ["other bytes", "link"] {
        std::fs::remove_file(&kept).unwrap();
        if plant == "link" {
            std::os::unix::fs::symlink(&elsewhere, &kept).unwrap();
        } else {
            std::fs::write(&kept, plant).unwrap();
        }
        assert_eq!(offline.in_kept(&krate), None, "{plant}");
        let error = offline.read_again(&krate, &again_at).unwrap_err();
        assert!(error.contains("changed during the run"), "{error}");
        assert_eq!(
            block_on(offline.obtain(&krate, None)),
            Err(ObtainError::NoDownloadUrl {
                registry: krate.source.to_string()
            }),
            "{plant}"
        );
        let again = block_on(online.obtain(&krate, Some(&http()))).unwrap();
        assert_eq!(again.bytes(), read(&root, entry), "{plant}");
    }
    assert_eq!(server.requests_to(&path), 3);
}
