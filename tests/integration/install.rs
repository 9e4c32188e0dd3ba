//! What installing the tool brings: shell completions and manual pages that
//! match the command line, and `cargo binstall` metadata that names the
//! archives the release packaging makes.

use std::path::Path;

use crate::harness::TestDir;

/// The top-level commands, from the binary's own help.
fn commands() -> Vec<String> {
    let run = TestDir::new().command().arg("--help").run().expect_code(0);
    crate::links::subcommands(&run.stdout)
}

#[test]
fn bash_completion_completes_the_commands_and_their_options() {
    let dir = TestDir::new();
    let script = dir
        .command()
        .args(["completions", "bash"])
        .run()
        .expect_code(0)
        .stdout;
    dir.write("completion.bash", &script);
    // Ask bash itself, as a user's shell would.
    let complete = |words: &str| {
        let program = format!(
            "source completion.bash\n\
             function=$(complete -p cargo-verify-provenance | sed 's/.*-F \\([^ ]*\\) .*/\\1/')\n\
             COMP_WORDS=({words})\n\
             COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
             COMP_LINE=\"{words}\"\n\
             COMP_POINT=${{#COMP_LINE}}\n\
             \"$function\" cargo-verify-provenance \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let output = std::process::Command::new("bash")
            .arg("-c")
            .arg(program)
            .current_dir(dir.path())
            .output()
            .expect("run bash");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert_eq!(complete("cargo-verify-provenance pol").trim(), "policy");
    let policy = complete("cargo-verify-provenance policy ''");
    for sub in ["check", "reference", "diff"] {
        assert!(policy.lines().any(|l| l == sub), "{sub}: {policy}");
    }
    let update = complete("cargo-verify-provenance trust-root u");
    assert_eq!(update.trim(), "update");
    let options = complete("cargo-verify-provenance diff --message-f");
    assert_eq!(options.trim(), "--message-format");
    let all = complete("cargo-verify-provenance ''");
    for command in commands() {
        assert!(all.lines().any(|l| l == command), "{command}: {all}");
    }
}

#[test]
fn every_shell_gets_a_completion_script_naming_every_command() {
    let commands = commands();
    assert!(
        commands.contains(&"completions".to_string()),
        "{commands:?}"
    );
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = TestDir::new()
            .command()
            .args(["completions", shell])
            .run()
            .expect_code(0);
        assert!(run.stdout.contains("cargo-verify-provenance"), "{shell}");
        for command in &commands {
            assert!(run.stdout.contains(command.as_str()), "{shell}: {command}");
        }
    }
    TestDir::new()
        .command()
        .args(["completions", "tcsh"])
        .run()
        .expect_code(2);
}

#[test]
fn man_prints_the_main_page_and_writes_one_per_command() {
    let dir = TestDir::new();
    let run = dir.command().arg("man").run().expect_code(0);
    assert!(
        run.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &run.stdout[..80]
    );
    assert!(run.stdout.contains(".TH cargo-verify-provenance 1"));
    assert!(run.stdout.contains(env!("CARGO_PKG_VERSION")));
    dir.command()
        .args(["man", "--out-dir", "pages"])
        .run()
        .expect_code(0);
    for command in commands() {
        let page = dir.join(format!("pages/cargo-verify-provenance-{command}.1"));
        let text = std::fs::read_to_string(&page).unwrap_or_else(|_| panic!("{}", page.display()));
        assert!(text.contains(".TH"), "{command}");
    }
    assert!(dir.join("pages/cargo-verify-provenance.1").is_file());
    assert!(dir
        .join("pages/cargo-verify-provenance-policy-diff.1")
        .is_file());
}

/// The binstall metadata names the archive `scripts/release/package.sh`
/// makes, and the binary's place in it.
#[test]
fn binstall_metadata_matches_the_release_archives() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap()).unwrap();
    let binstall = &manifest["package"]["metadata"]["binstall"];
    let expand = |template: &str, target: &str, suffix: &str, ext: &str| {
        template
            .replace("{ repo }", env!("CARGO_PKG_REPOSITORY"))
            .replace("{ version }", env!("CARGO_PKG_VERSION"))
            .replace("{ name }", env!("CARGO_PKG_NAME"))
            .replace("{ target }", target)
            .replace("{ archive-suffix }", suffix)
            .replace("{ bin }", "cargo-verify-provenance")
            .replace("{ binary-ext }", ext)
    };
    let url = binstall["pkg-url"].as_str().unwrap();
    let bin_dir = binstall["bin-dir"].as_str().unwrap();
    assert_eq!(binstall["pkg-fmt"].as_str(), Some("tgz"));
    let windows = &binstall["overrides"]["x86_64-pc-windows-msvc"];
    assert_eq!(windows["pkg-fmt"].as_str(), Some("zip"));
    assert_eq!(
        expand(url, "x86_64-unknown-linux-gnu", ".tar.gz", ""),
        format!(
            "{}/releases/download/v{}/cargo-verify-provenance-x86_64-unknown-linux-gnu.tar.gz",
            env!("CARGO_PKG_REPOSITORY"),
            env!("CARGO_PKG_VERSION")
        )
    );
    // What package.sh writes, and where the binary is inside.
    let package = std::fs::read_to_string(root.join("scripts/release/package.sh")).unwrap();
    assert!(package.contains("archive=\"$name-$target$suffix\""));
    assert!(package.contains("folder=\"$stage/$name-$target\""));
    assert!(package.contains("cp \"$binary\" \"$folder/$name$exe\""));
    assert_eq!(
        expand(bin_dir, "x86_64-pc-windows-msvc", ".zip", ".exe"),
        "cargo-verify-provenance-x86_64-pc-windows-msvc/cargo-verify-provenance.exe"
    );
    // Every target the release workflow builds is one binstall can fetch.
    let workflow = std::fs::read_to_string(root.join(".github/workflows/release.yml")).unwrap();
    for target in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(workflow.contains(&format!("target: {target},")), "{target}");
    }
    assert!(workflow.contains("actions/attest-build-provenance@"));
}
