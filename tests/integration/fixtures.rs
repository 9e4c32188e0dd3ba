//! The one way into the shared fixtures beside the project, read in place,
//! never copied:
//! - `../shared/fixtures/real`: public Sigstore bundles and trust roots (see
//!   its README and MANIFEST.json), [`real_fixtures`]; `CVP_REAL_FIXTURES`
//!   overrides the location;
//! - `../shared/fixtures/api`: what GitHub, crates.io and npm answer today
//!   (see its README), [`api_fixtures`] and [`api_file`]; `CVP_API_FIXTURES`
//!   overrides the location;
//! - `../shared/fixtures/source`: real `.crate` files and their repositories
//!   at the recorded commit (see its README and MANIFEST.json),
//!   [`source_fixtures`] and [`source_crates`]; `CVP_SOURCE_FIXTURES`
//!   overrides the location.
//!
//! When a folder is absent, these say so on standard error (past libtest's
//! capture, so the skip shows in every run) and return `None`, and each
//! caller skips; with `CVP_REQUIRE_FIXTURES` set (as CI sets it), an absent
//! folder fails the test instead.

#![allow(dead_code)]

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The folder of the real fixtures, when not found by looking for it.
pub const LOCATION_VAR: &str = "CVP_REAL_FIXTURES";
/// The folder of the recorded service answers, when not found by looking for it.
pub const API_LOCATION_VAR: &str = "CVP_API_FIXTURES";
/// The folder of the real packages and their repositories.
pub const SOURCE_LOCATION_VAR: &str = "CVP_SOURCE_FIXTURES";
/// Set to anything but empty or `0` to make absent fixtures a failure.
pub const REQUIRE_VAR: &str = "CVP_REQUIRE_FIXTURES";

/// One folder of the shared fixtures.
struct Folder {
    /// Under `shared/fixtures/`.
    name: &'static str,
    /// A file that is always in it.
    marker: &'static str,
    location_var: &'static str,
    /// What it holds, for messages.
    what: &'static str,
}

const REAL: Folder = Folder {
    name: "real",
    marker: "MANIFEST.json",
    location_var: LOCATION_VAR,
    what: "the real Sigstore fixtures",
};

const API: Folder = Folder {
    name: "api",
    marker: "README.md",
    location_var: API_LOCATION_VAR,
    what: "the recorded service answers",
};

const SOURCE: Folder = Folder {
    name: "source",
    marker: "MANIFEST.json",
    location_var: SOURCE_LOCATION_VAR,
    what: "the real packages and their repositories",
};

/// The real fixtures folder, or `None` (with a message saying the test skips).
///
/// Looked for in `CVP_REAL_FIXTURES`, else in `shared/fixtures/real` beside
/// the project or beside one of its parent folders (a checkout nested one
/// level deeper still finds it).
///
/// # Panics
///
/// When the folder is absent and `CVP_REQUIRE_FIXTURES` is set.
pub fn real_fixtures(test: &str) -> Option<PathBuf> {
    find(&REAL, test)
}

/// The recorded service answers folder, found like [`real_fixtures`]
/// (through `CVP_API_FIXTURES`, else `shared/fixtures/api`).
pub fn api_fixtures(test: &str) -> Option<PathBuf> {
    find(&API, test)
}

/// One file of the recorded service answers, read whole; `None` when the
/// folder is absent (as [`api_fixtures`]).
pub fn api_file(test: &str, relative: &str) -> Option<Vec<u8>> {
    let path = api_fixtures(test)?.join(relative);
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
}

/// The real packages and repositories folder, found like [`real_fixtures`]
/// (through `CVP_SOURCE_FIXTURES`, else `shared/fixtures/source`).
pub fn source_fixtures(test: &str) -> Option<PathBuf> {
    find(&SOURCE, test)
}

/// One real package of `source/MANIFEST.json`: what a reference comparison
/// with its repository found.
#[derive(Debug, Clone, Deserialize)]
pub struct SourceCrate {
    pub name: String,
    pub version: String,
    /// Relative to the folder.
    pub crate_file: String,
    pub checksum: String,
    /// As the package's manifest writes it.
    pub repository: String,
    /// `repos/OWNER+REPO.git.tar.gz`, relative to the folder.
    pub repository_archive: String,
    pub commit: String,
    pub path_in_vcs: String,
    pub dirty: bool,
    pub files_same: usize,
    pub files_differ: Vec<String>,
    pub files_only_in_package: Vec<String>,
    pub generated_by_cargo: Vec<String>,
}

/// The real packages of `source/MANIFEST.json`, or `None` (with a message
/// saying the test skips), as [`source_fixtures`].
pub fn source_crates(test: &str) -> Option<(PathBuf, Vec<SourceCrate>)> {
    let root = source_fixtures(test)?;
    let text = std::fs::read_to_string(root.join("MANIFEST.json")).expect("read MANIFEST.json");
    let crates = serde_json::from_str(&text).expect("source/MANIFEST.json parses");
    Some((root, crates))
}

fn find(folder: &Folder, test: &str) -> Option<PathBuf> {
    let required = std::env::var_os(REQUIRE_VAR).is_some_and(|v| !v.is_empty() && v != "0");
    match locate(folder, std::env::var_os(folder.location_var)) {
        Ok(found) => Some(found),
        Err(missing) if required => panic!("{test}: {missing} ({REQUIRE_VAR} is set)"),
        Err(missing) => {
            // Straight to the file descriptor: libtest captures `eprintln!`
            // of passing tests, and a skip must not look like a pass.
            let _ = writeln!(
                std::io::stderr(),
                "skipping {test}: {missing} (set {} to their folder)",
                folder.location_var
            );
            None
        }
    }
}

/// Where a fixtures folder is, or where it was looked for.
fn locate(folder: &Folder, configured: Option<OsString>) -> Result<PathBuf, String> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let relative = Path::new("shared/fixtures").join(folder.name);
    let path = configured
        .map(PathBuf::from)
        .or_else(|| {
            manifest_dir
                .ancestors()
                .skip(1)
                .map(|dir| dir.join(&relative))
                .find(|candidate| candidate.join(folder.marker).is_file())
        })
        .unwrap_or_else(|| manifest_dir.join("..").join(&relative));
    if path.join(folder.marker).is_file() {
        Ok(path)
    } else {
        Err(format!("{} are not at {}", folder.what, path.display()))
    }
}

/// One entry of MANIFEST.json (the fields these tests use).
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestEntry {
    pub bundle: String,
    pub format: String,
    pub jsonl_line: Option<usize>,
    pub trusted_root: String,
    pub artifact: Option<String>,
    pub artifact_sha256: Option<String>,
    pub artifact_sha512: Option<String>,
    pub key: Option<String>,
    pub expected: String,
    pub identity: Option<String>,
    pub issuer: Option<String>,
    pub notes: Option<String>,
    pub why_fail: Option<String>,
    /// For conformance cases: what kind of check the case is about.
    pub fail_category: Option<String>,
}

impl ManifestEntry {
    /// A name for messages: the bundle path, with the JSONL line when there is one.
    pub fn name(&self) -> String {
        match self.jsonl_line {
            Some(line) => format!("{}#{line}", self.bundle),
            None => self.bundle.clone(),
        }
    }
}

/// Every entry of MANIFEST.json.
pub fn manifest(root: &Path) -> Vec<ManifestEntry> {
    let text = std::fs::read_to_string(root.join("MANIFEST.json")).expect("read MANIFEST.json");
    serde_json::from_str(&text).expect("MANIFEST.json parses")
}

/// A conformance case folder of `conformance/bundle-verify/`.
#[derive(Debug, Clone)]
pub struct ConformanceCase {
    pub name: String,
    pub dir: PathBuf,
    pub bundle: PathBuf,
    pub artifact: PathBuf,
    pub identity: String,
    pub issuer: String,
    pub key: Option<PathBuf>,
    /// The case's own root, else the production root (the harness default).
    pub trusted_root: PathBuf,
    pub must_fail: bool,
}

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// Every conformance case, with the harness defaults filled in.
pub fn conformance_cases(root: &Path) -> Vec<ConformanceCase> {
    let base = root.join("conformance/bundle-verify");
    let mut cases: Vec<_> = std::fs::read_dir(&base)
        .expect("read conformance/bundle-verify")
        .map(|entry| entry.expect("read a directory entry").path())
        .filter(|path| path.join("bundle.sigstore.json").is_file())
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let optional = |file: &str| Some(dir.join(file)).filter(|p| p.is_file());
            let text = |file: &str, default: &str| {
                optional(file)
                    .map(|p| std::fs::read_to_string(p).unwrap().trim().to_string())
                    .unwrap_or_else(|| default.to_string())
            };
            ConformanceCase {
                bundle: dir.join("bundle.sigstore.json"),
                artifact: optional("artifact").unwrap_or_else(|| base.join("a.txt")),
                identity: text("identity", DEFAULT_IDENTITY),
                issuer: text("issuer", DEFAULT_ISSUER),
                key: optional("key.pub"),
                trusted_root: optional("trusted_root.json")
                    .unwrap_or_else(|| root.join("trust-roots/public-good.trusted_root.json")),
                must_fail: name.ends_with("_fail"),
                name,
                dir,
            }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// `sha256:<hex>` of a file.
pub fn sha256_of(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("read artifact");
    format!(
        "sha256:{}",
        sigstore_verify::crypto::sha256(&bytes).to_hex()
    )
}

/// The switch, through libtest as CI runs it: this test binary runs one
/// fixtures test with the fixtures folder pointing at an empty folder.
#[test]
fn absent_fixtures_skip_visibly_or_fail_when_required() {
    const TEST: &str = "real_bundles::client_dependent_list_names_only_flagged_cases";
    let empty = tempfile::tempdir().expect("create a temporary directory");
    let run = |require: Option<&str>| {
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args([TEST, "--exact"])
            .env(LOCATION_VAR, empty.path())
            .env_remove(REQUIRE_VAR);
        if let Some(value) = require {
            command.env(REQUIRE_VAR, value);
        }
        let output = command.output().expect("run the test binary");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.success(), stdout, stderr)
    };
    let missing = format!(
        "the real Sigstore fixtures are not at {}",
        empty.path().display()
    );

    // A developer without the fixtures: the test passes, and says it skipped.
    for require in [None, Some(""), Some("0")] {
        let (passed, stdout, stderr) = run(require);
        assert!(passed, "{require:?}: {stdout}{stderr}");
        assert!(stdout.contains("1 passed"), "{require:?}: {stdout}");
        assert!(
            stderr.contains(&format!(
                "skipping {}: {missing}",
                TEST.rsplit("::").next().unwrap()
            )),
            "{require:?}: the skip is not shown: {stderr}"
        );
    }
    // CI: the same test fails, saying why.
    let (passed, stdout, stderr) = run(Some("1"));
    assert!(!passed, "{stdout}{stderr}");
    assert!(stdout.contains("1 failed"), "{stdout}");
    assert!(
        format!("{stdout}{stderr}").contains(&format!("{missing} ({REQUIRE_VAR} is set)")),
        "{stdout}{stderr}"
    );
}
