//! One interface across commands: the output option has one spelling and
//! the same value names everywhere, each command offers only the options
//! it uses (anything else is an error), and `-q` with `-v` is an error.

use std::collections::BTreeSet;

use crate::harness::{Run, TestDir};

const NOW: &str = "2026-06-01T00:00:00Z";

/// A lockfile of one path package: every command runs on it offline, with
/// nothing to fetch.
fn workspace() -> TestDir {
    let dir = TestDir::new();
    dir.write(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n",
    );
    dir
}

fn run(dir: &TestDir, args: &[&str]) -> Run {
    dir.command().args(args).run()
}

/// The long options a `--help` lists (`--bundle <FILE>` gives `bundle`).
fn options_in_help(dir: &TestDir, command: &[&str]) -> BTreeSet<String> {
    let mut args = command.to_vec();
    args.push("--help");
    let help = run(dir, &args).expect_code(0).stdout;
    help.lines()
        // An option's line is indented a little; a wrapped description
        // (which may begin with an alias, `--exclude-dev]`) much more.
        .filter(|line| line.len() - line.trim_start().len() < 10)
        .filter_map(|line| {
            let line = line.trim_start();
            let line = match line.strip_prefix('-') {
                Some(short) if !short.starts_with('-') => short.get(3..)?,
                _ => line,
            };
            let name = line.strip_prefix("--")?;
            Some(
                name.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                    .next()?
                    .to_string(),
            )
        })
        .collect()
}

/// Cargo's options, which every command takes.
const GLOBAL: &[&str] = &[
    "locked",
    "offline",
    "frozen",
    "color",
    "verbose",
    "quiet",
    "help",
    "cache-dir",
    "now",
];

const WORKSPACE: &[&str] = &["manifest-path", "lockfile"];
const SCOPE: &[&str] = &["target", "no-dev"];
const POLICY: &[&str] = &["policy"];
const ROOTS: &[&str] = &["trusted-root", "staging", "github"];
const SOURCES: &[&str] = &[
    "source",
    "jobs",
    "github-api-url",
    "github-bundle-host",
    "all-records",
];
const ACCEPT: &[&str] = &[
    "allow-downgrade",
    "allow-repository-change",
    "allow-workflow-change",
];
const FORMAT: &[&str] = &["message-format"];

#[test]
fn each_command_offers_only_the_options_it_uses() {
    let dir = workspace();
    let cases: &[(&[&str], &[&[&str]])] = &[
        (
            &[],
            &[
                FORMAT,
                &["baseline", "version", "vsa-out"],
                ACCEPT,
                WORKSPACE,
                SCOPE,
                POLICY,
                ROOTS,
                SOURCES,
            ],
        ),
        (
            &["check"],
            &[
                FORMAT,
                &["baseline", "vsa-out"],
                ACCEPT,
                WORKSPACE,
                SCOPE,
                POLICY,
                ROOTS,
                SOURCES,
            ],
        ),
        (
            &["verify-bundle"],
            &[
                &[
                    "bundle",
                    "certificate-identity",
                    "certificate-oidc-issuer",
                    "key",
                ],
                FORMAT,
                ROOTS,
            ],
        ),
        (&["inventory"], &[FORMAT, WORKSPACE, SCOPE]),
        (&["policy", "check"], &[WORKSPACE, POLICY]),
        (
            &["fetch"],
            &[
                FORMAT,
                &["no-attestation-ttl"],
                WORKSPACE,
                SCOPE,
                POLICY,
                SOURCES,
            ],
        ),
        (&["trust-root", "update"], &[]),
        (
            &["explain"],
            &[FORMAT, WORKSPACE, SCOPE, POLICY, ROOTS, SOURCES],
        ),
        (&["diff"], &[ACCEPT, FORMAT, POLICY, ROOTS, SOURCES]),
        (
            &["init"],
            &[
                &[
                    "force",
                    "stdout",
                    "update",
                    "allow-unchecked",
                    "exemption-days",
                ],
                WORKSPACE,
                SCOPE,
                POLICY,
                ROOTS,
                SOURCES,
            ],
        ),
    ];
    for (command, groups) in cases {
        let expected: BTreeSet<String> = groups
            .iter()
            .flat_map(|group| group.iter())
            .chain(GLOBAL)
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            options_in_help(&dir, command),
            expected,
            "the options of `{}`",
            command.join(" ")
        );
    }
}

#[test]
fn an_option_a_command_would_not_use_is_an_error() {
    let dir = workspace();
    let bundle = dir.write("b.sigstore.json", "{}");
    let digest = format!("sha256:{}", "0".repeat(64));
    let bundle = bundle.to_str().unwrap();
    for args in [
        vec![
            "verify-bundle",
            "--lockfile",
            "Cargo.lock",
            "--bundle",
            bundle,
            &digest,
        ],
        vec![
            "verify-bundle",
            "--source",
            "github",
            "--bundle",
            bundle,
            &digest,
        ],
        vec!["verify-bundle", "-j", "4", "--bundle", bundle, &digest],
        vec![
            "inventory",
            "--lockfile",
            "Cargo.lock",
            "--policy",
            "p.toml",
        ],
        vec![
            "policy",
            "check",
            "--lockfile",
            "Cargo.lock",
            "--source",
            "github",
        ],
        vec![
            "fetch",
            "--lockfile",
            "Cargo.lock",
            "--staging",
            "--offline",
        ],
        vec![
            "trust-root",
            "update",
            "--lockfile",
            "Cargo.lock",
            "--offline",
        ],
        vec![
            "diff",
            "Cargo.lock",
            "Cargo.lock",
            "--lockfile",
            "Cargo.lock",
        ],
    ] {
        let result = run(&dir, &args).expect_code(2);
        result.assert_stderr("unexpected argument");
        assert!(result.stdout.is_empty(), "{args:?}: {}", result.stdout);
    }
    // The same options are taken where they are used.
    dir.write("provenance.toml", "");
    run(
        &dir,
        &["inventory", "--lockfile", "Cargo.lock", "--offline"],
    )
    .expect_code(0);
    run(
        &dir,
        &["policy", "check", "--lockfile", "Cargo.lock", "--now", NOW],
    )
    .expect_code(0);
}

#[test]
fn an_option_of_the_default_action_before_a_subcommand_is_an_error() {
    let dir = workspace();
    // `explain` takes --lockfile, but after its name; given before it, the
    // option would belong to the default action, which does not run.
    let result = run(
        &dir,
        &["--lockfile", "Cargo.lock", "explain", "app", "--offline"],
    )
    .expect_code(2);
    result.assert_stderr("`--lockfile` goes after the subcommand");
    result.assert_stderr("cargo verify-provenance explain --lockfile");
    let result = run(&dir, &["-j", "4", "inventory", "--lockfile", "Cargo.lock"]).expect_code(2);
    result.assert_stderr("`--jobs` does not apply to `inventory`");
    let result = run(&dir, &["--message-format", "json", "inventory"]).expect_code(2);
    result.assert_stderr("`--message-format` goes after the subcommand");
    // Cargo's options go anywhere.
    run(
        &dir,
        &["--offline", "-q", "inventory", "--lockfile", "Cargo.lock"],
    )
    .expect_code(0);
    run(
        &dir,
        &[
            "inventory",
            "--lockfile",
            "Cargo.lock",
            "--color",
            "never",
            "-v",
        ],
    )
    .expect_code(0);
}

#[test]
fn quiet_with_verbose_is_an_error() {
    let dir = workspace();
    for args in [
        vec!["--lockfile", "Cargo.lock", "--offline", "-q", "-v"],
        vec!["-q", "-v", "inventory", "--lockfile", "Cargo.lock"],
        vec!["inventory", "--lockfile", "Cargo.lock", "-vv", "--quiet"],
        vec!["-v", "fetch", "--lockfile", "Cargo.lock", "--offline", "-q"],
    ] {
        let result = run(&dir, &args).expect_code(2);
        result
            .assert_stderr("cannot be used with")
            .assert_stderr("'--quiet'")
            .assert_stderr("'--verbose");
        assert!(result.stdout.is_empty(), "{args:?}: {}", result.stdout);
    }
    run(&dir, &["-q", "inventory", "--lockfile", "Cargo.lock"]).expect_code(0);
    run(&dir, &["-vv", "inventory", "--lockfile", "Cargo.lock"]).expect_code(0);
}

#[test]
fn every_output_option_is_spelled_message_format_with_the_same_values() {
    let dir = workspace();
    let values = |command: &[&str]| -> String {
        let mut args = command.to_vec();
        args.push("--help");
        let help = run(&dir, &args).expect_code(0).stdout;
        // Undo the wrapping of long descriptions.
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let at = help
            .find("--message-format <FORMAT>")
            .unwrap_or_else(|| panic!("`{}` has no --message-format:\n{help}", command.join(" ")));
        let option = &help[at..];
        let option = &option[..option.find(" -").unwrap_or(option.len())];
        let start = option.find("[possible values: ").expect("its values") + 18;
        let end = start + option[start..].find(']').unwrap();
        option[start..end].to_string()
    };
    assert_eq!(values(&[]), "human, json, sarif");
    for command in [
        &["verify-bundle"][..],
        &["inventory"],
        &["fetch"],
        &["explain"],
        &["diff"],
    ] {
        assert_eq!(values(command), "human, json", "{}", command.join(" "));
    }
    for command in [
        &[][..],
        &["verify-bundle"],
        &["inventory"],
        &["fetch"],
        &["explain"],
        &["diff"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = run(&dir, &args).stdout;
        assert!(!help.contains("--format"), "{help}");
    }
}

#[test]
fn format_is_a_hidden_alias_of_message_format() {
    let dir = workspace();
    let lockfile = ["--lockfile", "Cargo.lock"];
    let clock = ["--now", NOW];
    let commands: [(&[&str], &[&str]); 5] = [
        (&[], &[&lockfile[..], &clock].concat()),
        (&["inventory"], &lockfile),
        (&["fetch"], &[&lockfile[..], &clock].concat()),
        (&["explain", "app"], &[&lockfile[..], &clock].concat()),
        (&["diff", "Cargo.lock", "Cargo.lock"], &clock),
    ];
    for (command, options) in commands {
        let with = |option: &str, value: &str| {
            let mut args = command.to_vec();
            args.extend(options);
            args.extend(["--offline", option, value]);
            run(&dir, &args)
        };
        let json = with("--message-format", "json").expect_code(0);
        let first = json.stdout.trim_start().chars().next();
        assert!(matches!(first, Some('{')), "{command:?}: {}", json.stdout);
        assert_eq!(with("--format", "json").expect_code(0).stdout, json.stdout);
        let human = with("--message-format", "human").expect_code(0);
        assert_ne!(human.stdout, json.stdout);
        // `text`, the old name of the text output, still means it.
        assert_eq!(with("--format", "text").expect_code(0).stdout, human.stdout);
    }
}
