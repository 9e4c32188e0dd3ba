//! The one way into the real public Sigstore fixtures in `../shared/fixtures/real`
//! (see its README and MANIFEST.json). They are read in place, never copied.
//!
//! `CVP_REAL_FIXTURES` overrides the location. When the folder is absent,
//! [`real_fixtures`] says so on standard error (past libtest's capture, so
//! the skip shows in every run) and returns `None`, and each caller skips;
//! with `CVP_REQUIRE_FIXTURES` set (as CI sets it), an absent folder fails
//! the test instead.

#![allow(dead_code)]

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The folder of the real fixtures, when not found by looking for it.
pub const LOCATION_VAR: &str = "CVP_REAL_FIXTURES";
/// Set to anything but empty or `0` to make absent fixtures a failure.
pub const REQUIRE_VAR: &str = "CVP_REQUIRE_FIXTURES";

/// The fixtures folder, or `None` (with a message saying the test skips).
///
/// Looked for in `CVP_REAL_FIXTURES`, else in `shared/fixtures/real` beside
/// the project or beside one of its parent folders (a checkout nested one
/// level deeper still finds it).
///
/// # Panics
///
/// When the folder is absent and `CVP_REQUIRE_FIXTURES` is set.
pub fn real_fixtures(test: &str) -> Option<PathBuf> {
    let required = std::env::var_os(REQUIRE_VAR).is_some_and(|v| !v.is_empty() && v != "0");
    match locate(std::env::var_os(LOCATION_VAR)) {
        Ok(found) => Some(found),
        Err(missing) if required => panic!("{test}: {missing} ({REQUIRE_VAR} is set)"),
        Err(missing) => {
            // Straight to the file descriptor: libtest captures `eprintln!`
            // of passing tests, and a skip must not look like a pass.
            let _ = writeln!(
                std::io::stderr(),
                "skipping {test}: {missing} (set {LOCATION_VAR} to their folder)"
            );
            None
        }
    }
}

/// Where the fixtures are, or where they were looked for.
fn locate(configured: Option<OsString>) -> Result<PathBuf, String> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = configured
        .map(PathBuf::from)
        .or_else(|| {
            manifest_dir
                .ancestors()
                .skip(1)
                .map(|dir| dir.join("shared/fixtures/real"))
                .find(|candidate| candidate.join("MANIFEST.json").is_file())
        })
        .unwrap_or_else(|| manifest_dir.join("../shared/fixtures/real"));
    if path.join("MANIFEST.json").is_file() {
        Ok(path)
    } else {
        Err(format!(
            "the real Sigstore fixtures are not at {}",
            path.display()
        ))
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
