//! The CI recipe of docs/ci.md, run as the docs give it: the `run:` steps
//! of "The main check" that call the tool, taken from the page (command,
//! redirection and `env:`), run in order against servers on 127.0.0.1
//! answering as GitHub, crates.io and Sigstore's TUF repository do. Run
//! twice, as two CI jobs sharing the cache (the first fills it, the
//! second starts from it): every step succeeds, none warns, and the SARIF
//! report it uploads is written. A change to the recipe that stops working
//! is a failing test.

use std::path::Path;

use cargo_verify_provenance::testkit;

use crate::faults::lockfile;
use crate::fetch_then_frozen::{policy, servers};
use crate::harness::TestDir;
use crate::server::Server;

/// A step of the recipe that runs the tool: its arguments, the file its
/// stdout is redirected to, and its `env:` (a GitHub expression stands
/// for a test value).
#[derive(Debug)]
struct Step {
    args: Vec<String>,
    stdout_to: Option<String>,
    env: Vec<(String, String)>,
}

/// The yaml block under "### The main check" in docs/ci.md.
fn recipe_block() -> String {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md")).unwrap();
    let (_, section) = text
        .split_once("### The main check")
        .expect("docs/ci.md has the main check's recipe");
    let (_, block) = section.split_once("```yaml\n").expect("its yaml block");
    block
        .split_once("```")
        .expect("the block's end")
        .0
        .to_string()
}

/// The steps of the recipe that run `cargo verify-provenance`, in order.
/// The installation step (`cargo install`) stands for the binary built
/// here; any other shell feature than `>` is refused, so the test never
/// runs something other than what the page says.
fn steps(block: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_env = false;
    for line in block.lines() {
        let trimmed = line.trim();
        if let Some(command) = trimmed.strip_prefix("- run: ") {
            in_env = false;
            let Some(rest) = command.strip_prefix("cargo verify-provenance") else {
                assert!(
                    command.starts_with("cargo install cargo-verify-provenance"),
                    "a step this test does not know: {command}"
                );
                continue;
            };
            let (command, stdout_to) = match rest.split_once('>') {
                Some((command, file)) => (command, Some(file.trim().to_string())),
                None => (rest, None),
            };
            assert!(
                !command.contains(['|', '&', ';', '$', '"', '\'', '<', '`']),
                "a shell feature in `{command}`"
            );
            steps.push(Step {
                args: command.split_whitespace().map(str::to_string).collect(),
                stdout_to,
                env: Vec::new(),
            });
        } else if trimmed == "env:" {
            in_env = true;
        } else if in_env && !trimmed.starts_with('-') && trimmed.contains(": ") {
            let (key, value) = trimmed.split_once(": ").unwrap();
            let value = value.split(" #").next().unwrap().trim();
            let value = if value.starts_with("${{") {
                "recipe-test-token".to_string()
            } else {
                value.to_string()
            };
            if let Some(step) = steps.last_mut() {
                step.env.push((key.to_string(), value));
            }
        } else {
            in_env = false;
        }
    }
    steps
}

/// A TUF repository on 127.0.0.1 serving a test instance's root, and the
/// environment that points the binary at it instead of Sigstore's.
fn tuf(dir: &TestDir) -> (Server, Vec<(&'static str, String)>) {
    let server = Server::start();
    let target = testkit::Instance::new(73).trusted_root_json();
    let (root, files) = crate::trust_update::repository_with_timestamp_expiry(
        target.as_bytes(),
        "2100-01-01T00:00:00Z",
    );
    crate::trust_update::serve(&server, &files);
    let root_file = dir.write("tuf-root.json", root);
    let env = vec![
        (
            "CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_URL",
            server.base.clone(),
        ),
        (
            "CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_ROOT",
            root_file.display().to_string(),
        ),
    ];
    (server, env)
}

#[test]
fn the_recipe_is_read_from_the_page_as_written() {
    let steps = steps(&recipe_block());
    let commands: Vec<String> = steps.iter().map(|s| s.args.join(" ")).collect();
    assert_eq!(
        commands,
        [
            "trust-root update",
            "fetch",
            "--frozen --message-format sarif"
        ],
        "{steps:#?}"
    );
    assert_eq!(steps[2].stdout_to.as_deref(), Some("provenance.sarif"));
    assert_eq!(steps[1].env[0].0, "GITHUB_TOKEN");
}

#[test]
fn the_ci_recipe_run_as_written_twice_passes_without_a_warning() {
    let steps = steps(&recipe_block());
    let (github, crates_io) = servers();
    let dir = TestDir::new();
    let (tuf_server, tuf_env) = tuf(&dir);
    dir.write("Cargo.lock", lockfile(1..=3));
    dir.write("provenance.toml", policy(&github, &crates_io));
    let mut asked = Vec::new();
    for job in ["first", "second"] {
        let _ = std::fs::remove_file(dir.join("provenance.sarif"));
        for step in &steps {
            let mut command = dir.command().args(&step.args);
            for (key, value) in &tuf_env {
                command = command.env(key, value);
            }
            for (key, value) in &step.env {
                command = command.env(key, value);
            }
            let run = command.run();
            let said = format!(
                "{job} job, `cargo verify-provenance {}`:\n{}",
                step.args.join(" "),
                run.stderr
            );
            assert_eq!(run.code, 0, "{said}");
            assert!(!run.stderr.contains("warning"), "{said}");
            if let Some(file) = &step.stdout_to {
                dir.write(file, &run.stdout);
            }
        }
        let sarif: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("provenance.sarif")).unwrap())
                .unwrap();
        assert_eq!(sarif["version"], "2.1.0");
        // Nothing failed and nothing was left unchecked: no alert to upload.
        assert_eq!(
            sarif["runs"][0]["results"].as_array().unwrap().len(),
            0,
            "{sarif:#}"
        );
        asked.push(github.seen().len() + crates_io.seen().len());
    }
    // The trust root came from the TUF repository served here; GitHub was
    // asked by the first job's fetch, and the second found every answer in
    // the cache.
    assert!(!tuf_server.seen().is_empty());
    assert!(asked[0] > 0, "{asked:?}");
    assert_eq!(asked[0], asked[1], "the second job asked again");
}
