//! One diagnostic style: package violations, policy errors, failures of a
//! command and warnings all start with `error[code]: message` or
//! `warning[code]: message`, drawn by the same renderer, in colour only
//! when asked.

use std::path::{Path, PathBuf};

use crate::harness::{Cmd, Run, TestDir};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

/// The demo's lockfile, offline, under the demo policy `policy`, run in
/// `dir`.
fn demo_run(dir: &TestDir, policy: &str) -> Cmd {
    let demo = demo();
    dir.command()
        .arg("--lockfile")
        .arg(demo.join("Cargo.lock"))
        .arg("--policy")
        .arg(demo.join(policy))
        .arg("--offline")
}

/// Every line of stderr that is not part of a diagnostic's body (indented)
/// or blank: each must be a header in the one style.
fn headers(run: &Run) -> Vec<String> {
    let mut headers = Vec::new();
    for line in run.stderr.lines() {
        if line.is_empty() || line.starts_with(' ') {
            continue;
        }
        let (word, rest) = line.split_once('[').unwrap_or_else(|| {
            panic!(
                "a line that is not a diagnostic header: {line:?}\n{}",
                run.stderr
            )
        });
        assert!(
            matches!(word, "error" | "warning"),
            "{line:?}\n{}",
            run.stderr
        );
        let (code, message) = rest
            .split_once("]: ")
            .unwrap_or_else(|| panic!("no `]: ` in {line:?}\n{}", run.stderr));
        assert!(
            !code.is_empty()
                && code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "code {code:?} is not kebab-case: {line:?}"
        );
        assert!(!message.is_empty(), "{line:?}");
        headers.push(format!("{word}[{code}]"));
    }
    assert!(
        !run.stderr.contains('×') && !run.stderr.contains("Error: "),
        "another renderer's marks:\n{}",
        run.stderr
    );
    headers
}

#[test]
fn violations_and_warnings_share_the_header_style() {
    let run = demo_run(&TestDir::new(), "provenance-strict.toml")
        .args(["--color", "never"])
        .run()
        .expect_code(1);
    let headers = headers(&run);
    assert!(
        headers.iter().any(|h| h == "error[provenance-violation]"),
        "{headers:?}"
    );
}

#[test]
fn policy_errors_and_policy_warnings_share_the_header_style() {
    let dir = TestDir::new();
    let demo = demo();
    dir.write("bad.toml", "[[require]]\npackages = \"*\"\n[bogus]\n");
    let run = dir
        .command()
        .arg("--lockfile")
        .arg(demo.join("Cargo.lock"))
        .args(["--policy", "bad.toml", "--offline", "--color", "never"])
        .run()
        .expect_code(2);
    assert_eq!(
        headers(&run),
        [
            "error[policy-invalid]",
            "error[policy-unknown-key]",
            "error[policy-unknown-key]"
        ]
    );

    // A valid policy with an unknown trigger and an expired exemption:
    // warnings, same style.
    dir.write(
        "unused.toml",
        "[defaults]\ntriggers = [\"pushh\"]\n[[exempt]]\nname = \"hex\"\nreason = \"old\"\nuntil = \"2020-01-01\"\n",
    );
    let run = dir
        .command()
        .args([
            "policy",
            "check",
            "--policy",
            "unused.toml",
            "--color",
            "never",
        ])
        .arg("--lockfile")
        .arg(demo.join("Cargo.lock"))
        .run();
    let run = run.expect_code(0);
    assert_eq!(
        headers(&run),
        [
            "warning[policy-unknown-trigger]",
            "warning[policy-exemption-expired]"
        ],
        "{}",
        run.stderr
    );
}

#[test]
fn a_failing_command_and_a_rejected_bundle_share_the_header_style() {
    let run = TestDir::new()
        .command()
        .args(["--lockfile", "nope.lock", "--color", "never"])
        .run()
        .expect_code(2);
    assert_eq!(headers(&run), ["error[lockfile-unreadable]"]);
    run.assert_stderr("  │ caused by: No such file or directory");

    let dir = TestDir::new();
    let demo = demo();
    let artifact = dir.write("artifact.crate", "not the attested file");
    let run = dir
        .command()
        .args(["verify-bundle", "--color", "never", "--bundle"])
        .arg(demo.join("bundles/anstyle-1.0.14.sigstore.json"))
        .arg("--trusted-root")
        .arg(demo.join("trusted_root.json"))
        .arg(artifact)
        .run()
        .expect_code(1);
    assert_eq!(headers(&run), ["error[bundle-rejected]"]);
}

#[test]
fn colour_only_when_asked() {
    let strict = |color: &str| {
        demo_run(&TestDir::new(), "provenance-strict.toml")
            .args(["--color", color])
            .run()
            .expect_code(1)
    };
    let plain = strict("never");
    assert!(!plain.stderr.contains('\u{1b}'), "{}", plain.stderr);
    assert!(!plain.stdout.contains('\u{1b}'), "{}", plain.stdout);
    let colored = strict("always");
    colored.assert_stderr("\u{1b}[1;31merror[provenance-violation]\u{1b}[0m");
    // The summary line last, red for a failing run.
    let last = colored.stdout.lines().last().unwrap();
    assert!(
        last.starts_with("\u{1b}[31m")
            && last.contains(" violation, ")
            && last.ends_with("\u{1b}[0m"),
        "{last:?}"
    );
    let passing = demo_run(&TestDir::new(), "provenance.toml")
        .args(["--color", "always"])
        .run()
        .expect_code(0);
    let last = passing.stdout.lines().last().unwrap();
    assert!(last.starts_with("\u{1b}[32m42 pass, "), "{last:?}");
}

#[test]
fn on_a_terminal_the_headers_and_the_summary_line_are_coloured() {
    let shown = demo_run(&TestDir::new(), "provenance-strict.toml")
        .run_in_terminal()
        .expect_code(1);
    let text = &shown.stdout;
    assert!(
        text.contains("\u{1b}[1;31merror[provenance-violation]\u{1b}[0m"),
        "{text:?}"
    );
    // The summary line last, in red: the run fails.
    let last = text.trim_end().lines().last().unwrap();
    assert!(
        last.starts_with("\u{1b}[31m") && last.contains(" violation, "),
        "{last:?}"
    );
    // `exempt` and `no provenance` rows in colours of their own.
    assert!(text.contains("\u{1b}[36mexempt"), "{text:?}");

    // Off a terminal (or with --color never on one), no colour at all.
    let plain = demo_run(&TestDir::new(), "provenance-strict.toml")
        .args(["--color", "never"])
        .run_in_terminal()
        .expect_code(1);
    // (The progress bar still redraws its line; no colour is set.)
    assert!(
        !plain.stdout.contains("\u{1b}[0m") && !plain.stdout.contains("\u{1b}[31m"),
        "{:?}",
        plain.stdout
    );
}
