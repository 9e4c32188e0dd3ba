//! The GitHub Action's steps (`scripts/action/*.sh`) and the release
//! packaging they rely on, run here with a fake `GITHUB_*` environment
//! against a release served from 127.0.0.1 and a local git repository.

use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};

use crate::harness::TestDir;
use crate::server::{Reply, Server};

const VERSION: &str = "0.1.0";
const TARGET: &str = "x86_64-unknown-linux-gnu";
const ARCHIVE: &str = "cargo-verify-provenance-x86_64-unknown-linux-gnu.tar.gz";
const REPOSITORY: &str = "cargo-verify-provenance/cargo-verify-provenance";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_cargo-verify-provenance")
}

/// A folder holding the test binary as `cargo-verify-provenance`, for PATH.
fn bin_dir(dir: &TestDir) -> PathBuf {
    let bin = dir.join("tool-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let link = bin.join("cargo-verify-provenance");
    if !link.exists() {
        std::os::unix::fs::symlink(binary(), &link).unwrap();
    }
    bin
}

/// A script of the repository run in `cwd` with `env` (and a PATH without
/// any installed copy of the tool), returning its exit code and output.
fn script(path: &str, cwd: &Path, args: &[&str], env: &[(&str, String)]) -> (i32, String, String) {
    let mut command = Command::new("bash");
    command.arg(root().join(path)).args(args).current_dir(cwd);
    command.env_clear();
    command.env("PATH", "/usr/local/bin:/usr/bin:/bin");
    command.env("HOME", std::env::var_os("HOME").unwrap_or_default());
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("run bash");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// A release as the release workflow publishes it: the archive made by
/// `scripts/release/package.sh`, SHA256SUMS, and the archive's attestation
/// minted by the test instance for `claims`.
struct Release {
    archive: Vec<u8>,
    sums: String,
    bundle: String,
    root: PathBuf,
}

fn release(dir: &TestDir, claims: Claims) -> Release {
    let out = dir.join("dist");
    let (code, stdout, stderr) = script(
        "scripts/release/package.sh",
        dir.path(),
        &[TARGET, binary(), out.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout.trim(), out.join(ARCHIVE).to_str().unwrap());
    let archive = std::fs::read(out.join(ARCHIVE)).unwrap();
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    let instance = Instance::new(26);
    let minted = instance.mint(&MintRequest::new(
        "cargo-verify-provenance",
        VERSION,
        sha256(&archive),
        claims,
    ));
    let root = dir.write("trusted_root.json", instance.trusted_root_json());
    Release {
        archive,
        sums,
        bundle: minted.to_json(),
        root,
    }
}

fn serve(server: &Server, release: &Release) {
    let at = |file: &str| format!("/v{VERSION}/{file}");
    let bytes = |body: Vec<u8>| Reply {
        body,
        ..Reply::status(200)
    };
    server.route(&at(ARCHIVE), vec![bytes(release.archive.clone())]);
    server.route(
        &at("SHA256SUMS"),
        vec![bytes(release.sums.clone().into_bytes())],
    );
    server.route(
        &at(&format!("{ARCHIVE}.sigstore.json")),
        vec![bytes(release.bundle.clone().into_bytes())],
    );
}

/// The environment of the install step on a Linux x64 runner.
fn runner_env(dir: &TestDir, server: &Server, release: &Release) -> Vec<(&'static str, String)> {
    std::fs::create_dir_all(dir.join("runner-temp")).unwrap();
    vec![
        ("RUNNER_OS", "Linux".into()),
        ("RUNNER_ARCH", "X64".into()),
        ("RUNNER_TEMP", dir.join("runner-temp").display().to_string()),
        ("GITHUB_PATH", dir.join("github-path").display().to_string()),
        (
            "GITHUB_OUTPUT",
            dir.join("github-output").display().to_string(),
        ),
        ("GITHUB_ACTION_PATH", root().display().to_string()),
        ("GITHUB_TOKEN", "secret-token-never-sent".into()),
        ("CVP_RELEASE_BASE_URL", server.url("")),
        ("CVP_TRUSTED_ROOT", release.root.display().to_string()),
    ]
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn release_claims() -> Claims {
    Claims::github(REPOSITORY, VERSION)
}

#[test]
fn install_puts_the_verified_release_binary_on_the_path() {
    let dir = TestDir::new();
    let release = release(&dir, release_claims());
    let server = Server::start();
    serve(&server, &release);
    let (code, stdout, stderr) = script(
        "scripts/action/install.sh",
        dir.path(),
        &[],
        &runner_env(&dir, &server, &release),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let bin = read(dir.join("github-path"));
    let installed = Path::new(bin.trim()).join("cargo-verify-provenance");
    let output = Command::new(&installed).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains(VERSION));
    let outputs = read(dir.join("github-output"));
    assert!(
        outputs.contains(&format!("version={VERSION}\n")),
        "{outputs}"
    );
    assert!(outputs.contains("installed-from=release\n"), "{outputs}");
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    // The version is the action's own (Cargo.toml), and the token stays home.
    assert!(seen
        .iter()
        .all(|s| s.path_and_query.starts_with("/v0.1.0/")));
    assert!(seen
        .iter()
        .all(|s| !s.headers.contains_key("authorization")));
}

#[test]
fn install_refuses_an_archive_that_is_not_the_release_s_or_not_attested_by_its_workflow() {
    type Tamper = fn(&mut Release);
    let cases: [(&str, Tamper, Claims); 3] = [
        ("SHA256SUMS", |r| r.archive.push(0), release_claims()),
        (
            "SHA256SUMS",
            |r| r.sums = r.sums.replace(ARCHIVE, "other.tar.gz"),
            release_claims(),
        ),
        (
            "attestation",
            |_| {},
            release_claims().with_workflow(".github/workflows/ci.yml"),
        ),
    ];
    for (expected, tamper, claims) in cases {
        let dir = TestDir::new();
        let mut release = release(&dir, claims);
        tamper(&mut release);
        let server = Server::start();
        serve(&server, &release);
        let mut env = runner_env(&dir, &server, &release);
        // Building instead is for a missing binary only, never for a bad one.
        env.push(("CVP_CARGO", "/bin/false".into()));
        let (code, stdout, stderr) = script("scripts/action/install.sh", dir.path(), &[], &env);
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
        assert_eq!(read(dir.join("github-path")), "", "nothing installed");
    }
}

#[test]
fn install_builds_the_same_version_when_the_release_has_no_binary_for_the_runner() {
    let dir = TestDir::new();
    let release = release(&dir, release_claims());
    let server = Server::start();
    let cargo = dir.write(
        "fake-cargo",
        "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/cargo-args\"\n",
    );
    std::fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    for (os, served) in [("Linux", false), ("FreeBSD", true)] {
        if served {
            serve(&server, &release);
        }
        let mut env = runner_env(&dir, &server, &release);
        env.push(("CVP_CARGO", cargo.display().to_string()));
        env.retain(|(key, _)| *key != "RUNNER_OS");
        env.push(("RUNNER_OS", os.into()));
        let (code, stdout, stderr) = script("scripts/action/install.sh", dir.path(), &[], &env);
        assert_eq!(code, 0, "{os}: {stdout}{stderr}");
        let args = read(dir.join("cargo-args"));
        assert!(
            args.starts_with("install cargo-verify-provenance --locked --version =0.1.0 --root "),
            "{os}: {args}"
        );
        assert!(read(dir.join("github-output")).contains("installed-from=cargo-install\n"));
    }
}

fn git(cwd: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

const BASE_POLICY: &str = "[defaults]\nrequire = \"attested\"\nrunner = \"github-hosted\"\n";

/// An origin with the base commit, and a shallow clone of the pull
/// request's head (as actions/checkout leaves it): the base commit is not
/// in the clone. Returns the clone and the base commit.
fn pull_request(dir: &TestDir, head_policy: Option<&str>) -> (PathBuf, String) {
    let origin = dir.join("origin");
    std::fs::create_dir_all(&origin).unwrap();
    git(&origin, &["init", "-q", "-b", "main"]);
    git(
        &origin,
        &["config", "uploadpack.allowAnySHA1InWant", "true"],
    );
    std::fs::write(origin.join("provenance.toml"), BASE_POLICY).unwrap();
    std::fs::write(origin.join("README.md"), "base\n").unwrap();
    git(&origin, &["add", "-A"]);
    git(&origin, &["commit", "-qm", "base"]);
    let base = git(&origin, &["rev-parse", "HEAD"]);
    git(&origin, &["checkout", "-qb", "pr"]);
    match head_policy {
        Some(text) => std::fs::write(origin.join("provenance.toml"), text).unwrap(),
        None => std::fs::remove_file(origin.join("provenance.toml")).unwrap(),
    }
    std::fs::write(origin.join("README.md"), "head\n").unwrap();
    git(&origin, &["add", "-A"]);
    git(&origin, &["commit", "-qm", "head"]);
    let url = format!("file://{}", origin.display());
    git(
        dir.path(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "pr", &url, "checkout",
        ],
    );
    (dir.join("checkout"), base)
}

fn policy_step(
    dir: &TestDir,
    checkout: &Path,
    base: &str,
    extra: &[(&'static str, String)],
) -> (i32, String, String) {
    let mut env = vec![
        ("GITHUB_EVENT_NAME", "pull_request".to_string()),
        ("CVP_BASE_SHA", base.to_string()),
        (
            "GITHUB_OUTPUT",
            dir.join("github-output").display().to_string(),
        ),
        (
            "GITHUB_STEP_SUMMARY",
            dir.join("summary.md").display().to_string(),
        ),
    ];
    env.extend(extra.iter().cloned());
    env.retain(|(key, _)| *key != "PATH");
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir(dir).display());
    env.push(("PATH", path));
    script("scripts/action/policy.sh", checkout, &[], &env)
}

#[test]
fn a_pull_request_is_judged_by_the_base_commit_s_policy_and_its_weakening_is_summarised() {
    let dir = TestDir::new();
    let weakened = BASE_POLICY.replace("\"attested\"", "\"none\"");
    let (checkout, base) = pull_request(&dir, Some(&weakened));
    let (code, stdout, stderr) = policy_step(&dir, &checkout, &base, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let outputs = read(dir.join("github-output"));
    assert_eq!(outputs, "policy=./.provenance-base.toml\n");
    assert_eq!(read(checkout.join(".provenance-base.toml")), BASE_POLICY);
    assert_eq!(
        read(checkout.join("provenance.toml")),
        weakened,
        "the checkout is left as it is"
    );
    let summary = read(dir.join("summary.md"));
    assert!(
        summary.contains(&format!(
            "Judged with `provenance.toml` as in the base commit ({})",
            &base[..12]
        )),
        "{summary}"
    );
    assert!(
        summary.contains("This pull request changes `provenance.toml`"),
        "{summary}"
    );
    assert!(
        summary.contains("| 2 | `[defaults]` | `require` | `attested` | `none` | loosened |"),
        "{summary}"
    );

    // Opting out: the pull request's own policy, and the list all the same.
    std::fs::remove_file(dir.join("github-output")).unwrap();
    std::fs::remove_file(dir.join("summary.md")).unwrap();
    let opt_out = [("CVP_POLICY_FROM_BASE", "false".to_string())];
    let (code, _, stderr) = policy_step(&dir, &checkout, &base, &opt_out);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(read(dir.join("github-output")), "policy=provenance.toml\n");
    assert!(read(dir.join("summary.md")).contains("loosened"));
}

#[test]
fn a_pull_request_that_removes_the_policy_is_judged_by_the_base_commit_s() {
    let dir = TestDir::new();
    let (checkout, base) = pull_request(&dir, None);
    let (code, stdout, stderr) = policy_step(&dir, &checkout, &base, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        read(dir.join("github-output")),
        "policy=./.provenance-base.toml\n"
    );
    assert!(read(dir.join("summary.md")).contains("This pull request removes `provenance.toml`"));
}

#[test]
fn outside_pull_requests_the_policy_is_the_checkout_s() {
    let dir = TestDir::new();
    let (checkout, base) = pull_request(&dir, Some(BASE_POLICY));
    let push = [("GITHUB_EVENT_NAME", "push".to_string())];
    let (code, _, stderr) = policy_step(&dir, &checkout, &base, &push);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(read(dir.join("github-output")), "policy=\n");
    assert!(!checkout.join(".provenance-base.toml").exists());
    let hostile = [("CVP_BASE_SHA", "HEAD; touch owned".to_string())];
    let (code, _, _) = policy_step(&dir, &checkout, &base, &hostile);
    assert_eq!(code, 2, "a base that is not a commit ID is refused");
}

fn check_step(
    dir: &TestDir,
    policy: &str,
    extra: &[(&'static str, String)],
) -> (i32, String, String) {
    let demo = root().join("examples/demo");
    let mut env = vec![
        (
            "PATH",
            format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir(dir).display()),
        ),
        (
            "GITHUB_OUTPUT",
            dir.join("github-output").display().to_string(),
        ),
        (
            "GITHUB_STEP_SUMMARY",
            dir.join("summary.md").display().to_string(),
        ),
        (
            "CARGO_VERIFY_PROVENANCE_CACHE",
            dir.join("cache").display().to_string(),
        ),
        (
            "CVP_ARGS",
            format!(
                "--lockfile {} --offline --color never",
                demo.join("Cargo.lock").display()
            ),
        ),
        ("CVP_POLICY", demo.join(policy).display().to_string()),
        ("CVP_UPDATE_TRUST_ROOT", "false".into()),
        (
            "CVP_SARIF_FILE",
            dir.join("report.sarif").display().to_string(),
        ),
    ];
    env.extend(extra.iter().cloned());
    script("scripts/action/check.sh", dir.path(), &[], &env)
}

#[test]
fn the_check_step_ends_with_the_tool_s_exit_code_and_writes_sarif_once_summarised() {
    let dir = TestDir::new();
    let sarif = [("CVP_UPLOAD_SARIF", "true".to_string())];
    let (code, stdout, stderr) = check_step(&dir, "provenance-strict.toml", &sarif);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("violation"),
        "the human report in the log: {stdout}"
    );
    let outputs = read(dir.join("github-output"));
    assert!(outputs.contains("exit-code=1\n"), "{outputs}");
    assert!(outputs.contains(&format!(
        "sarif-file={}\n",
        dir.join("report.sarif").display()
    )));
    let report: serde_json::Value =
        serde_json::from_str(&read(dir.join("report.sarif"))).expect("SARIF");
    assert_eq!(report["version"], "2.1.0");
    assert!(!report["runs"][0]["results"].as_array().unwrap().is_empty());
    // One job summary: the SARIF run from the cache adds none.
    let summary = read(dir.join("summary.md"));
    assert_eq!(
        summary.matches("## Dependency provenance: failed").count(),
        1,
        "{summary}"
    );
    assert_eq!(
        summary.matches("## Dependency provenance").count(),
        1,
        "{summary}"
    );
    let (code, _, _) = check_step(&dir, "provenance.toml", &[]);
    assert_eq!(code, 0);
    assert!(read(dir.join("summary.md")).contains("## Dependency provenance: passed"));
    assert!(read(dir.join("github-output")).ends_with("exit-code=0\nsarif-file=\n"));
}

#[test]
fn the_action_passes_the_token_only_as_github_token_and_no_input_into_a_script() {
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    assert!(action.contains("using: composite"));
    let token_lines: Vec<&str> = action
        .lines()
        .filter(|l| l.contains("inputs.token"))
        .collect();
    assert_eq!(token_lines, ["        GITHUB_TOKEN: ${{ inputs.token }}"]);
    for line in action
        .lines()
        .filter(|l| l.trim_start().starts_with("run:"))
    {
        assert!(
            !line.contains("${{"),
            "an expression inside a script: {line}"
        );
        let script = line
            .split("scripts/")
            .nth(1)
            .expect("runs a script of scripts/");
        let script = script.trim_end_matches(['"', '\'']);
        assert!(root().join("scripts").join(script).is_file(), "{script}");
    }
    for step in ["install.sh", "policy.sh", "check.sh"] {
        assert!(action.contains(&format!("scripts/action/{step}")), "{step}");
    }
}

#[test]
fn crate_path_finds_the_crate_cargo_uploads_and_refuses_two_that_differ() {
    let file = format!("cargo-verify-provenance-{VERSION}.crate");
    let run = |dir: &TestDir| {
        script(
            "scripts/release/crate-path.sh",
            dir.path(),
            &["cargo-verify-provenance", VERSION, "target"],
            &[],
        )
    };
    // Nothing packaged: an error naming where it looked.
    let dir = TestDir::new();
    let (code, _, stderr) = run(&dir);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("target/package/tmp-crate/"), "{stderr}");
    // cargo before 1.93: target/package/ only.
    dir.write(format!("target/package/{file}"), "crate");
    let (code, stdout, stderr) = run(&dir);
    assert_eq!(
        (code, stdout.trim()),
        (0, format!("target/package/{file}").as_str()),
        "{stderr}"
    );
    // cargo since 1.93: tmp-crate/ is what `cargo publish` uploads.
    dir.write(format!("target/package/tmp-crate/{file}"), "crate");
    let (code, stdout, stderr) = run(&dir);
    assert_eq!(
        (code, stdout.trim()),
        (0, format!("target/package/tmp-crate/{file}").as_str()),
        "{stderr}"
    );
    // Two different files: which one was uploaded is unclear.
    dir.write(format!("target/package/{file}"), "other bytes");
    let (code, stdout, stderr) = run(&dir);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert!(stderr.contains("differ"), "{stderr}");
}

/// The release workflow's last job, `scripts/release/verify-release.sh`,
/// against a release served from 127.0.0.1: its archives against their
/// attestations, and the `.crate` the index lists against
/// docs/release-policy.toml (its sources pointed at the server).
fn verify_release(crate_claims: Claims) -> (i32, String, String) {
    let dir = TestDir::new();
    let release = release(&dir, release_claims());
    std::fs::write(
        dir.join("dist").join(format!("{ARCHIVE}.sigstore.json")),
        &release.bundle,
    )
    .unwrap();
    let name = "cargo-verify-provenance";
    let repository_url = format!("https://github.com/{REPOSITORY}");
    let package = cargo_verify_provenance::testkit::crates::CrateBuilder::new(name, VERSION)
        .file(
            "Cargo.toml",
            format!("[package]\nname = \"{name}\"\nversion = \"{VERSION}\"\nrepository = \"{repository_url}\"\n"),
        )
        .build();
    let digest = sha256(&package);
    let repository_id = crate_claims.repository_id.clone();
    let minted = Instance::new(26).mint(&MintRequest::new(name, VERSION, digest, crate_claims));

    let server = Server::start();
    let json = |body: String| Reply::json(body.into_bytes());
    server.route(
        &format!("/index/ca/rg/{name}"),
        vec![json(format!(
            "{{\"name\":\"{name}\",\"vers\":\"{VERSION}\",\"deps\":[],\"cksum\":\"{}\",\"features\":{{}},\"yanked\":false,\"pubtime\":\"2026-12-01T10:00:00Z\"}}\n",
            hex::encode(digest)
        ))],
    );
    server.route(
        "/index/config.json",
        vec![json(format!(
            "{{\"dl\":\"{}/dl\",\"api\":\"{}\"}}",
            server.base, server.base
        ))],
    );
    server.route(
        &format!("/dl/{name}/{VERSION}/download"),
        vec![Reply {
            body: package,
            ..Reply::status(200)
        }],
    );
    server.route(
        &format!(
            "/repos/{REPOSITORY}/attestations/sha256:{}",
            hex::encode(digest)
        ),
        vec![json(format!(
            "{{\"attestations\":[{{\"bundle\":{},\"repository_id\":{repository_id}}}]}}",
            minted.to_json()
        ))],
    );
    let policy = std::fs::read_to_string(root().join("docs/release-policy.toml"))
        .unwrap()
        .replace(
            "kind = \"github\"",
            &format!("kind = \"github\"\napi-url = \"{}\"", server.base),
        )
        .replace(
            "kind = \"crates-io\"",
            &format!(
                "kind = \"crates-io\"\napi-url = \"{0}\"\nindex-url = \"sparse+{0}/index/\"\ndownload-url = \"{0}/dl/{{crate}}/{{version}}/download\"",
                server.base
            ),
        );
    let policy = dir.write("release-policy.toml", policy);
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir(&dir).display());
    let env = [
        ("PATH", path),
        ("CVP_INDEX_URL", server.url("/index")),
        ("CVP_TRUSTED_ROOT", release.root.display().to_string()),
        ("CVP_POLICY", policy.display().to_string()),
        ("CARGO_HOME", dir.join("cargo-home").display().to_string()),
        (
            "CARGO_VERIFY_PROVENANCE_CACHE",
            dir.join("cache").display().to_string(),
        ),
    ];
    let outcome = script(
        "scripts/release/verify-release.sh",
        dir.path(),
        &[dir.join("dist").to_str().unwrap(), &format!("v{VERSION}")],
        &env,
    );
    // The crate's attestations were asked of the test's server.
    let seen = server.seen();
    assert!(
        seen.iter()
            .any(|s| s.path_and_query.contains("/attestations/")),
        "{outcome:?} {seen:?}"
    );
    outcome
}

#[test]
fn verify_release_passes_a_release_built_by_the_release_workflow() {
    let (code, stdout, stderr) = verify_release(release_claims());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("1 archives verified"), "{stdout}");
}

#[test]
fn verify_release_fails_a_crate_not_built_by_the_release_workflow() {
    let claims = release_claims().with_workflow(".github/workflows/ci.yml");
    let (code, stdout, stderr) = verify_release(claims);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("release.yml"), "{stderr}");
}
