//! The lockfile inventory through the binary: bare lockfiles and workspaces.

use crate::harness::TestDir;

const CHECKSUM: &str = "1111111111111111111111111111111111111111111111111111111111111111";

#[test]
fn bare_lockfile_lists_every_package_with_its_kind() {
    let dir = TestDir::new();
    dir.write(
        "audit/Cargo.lock",
        format!(
            "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n\
             [[package]]\nname = \"itoa\"\nversion = \"1.0.11\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{CHECKSUM}\"\n\n\
             [[package]]\nname = \"g\"\nversion = \"0.1.0\"\nsource = \"git+https://example.com/g#abc\"\n"
        ),
    );
    let run = dir
        .command()
        .args([
            "inventory",
            "--format",
            "json",
            "--lockfile",
            "audit/Cargo.lock",
        ])
        .run()
        .expect_code(0);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let packages = value["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 3);
    let itoa = packages.iter().find(|p| p["name"] == "itoa").unwrap();
    assert_eq!(itoa["checksum"], CHECKSUM);
    assert_eq!(itoa["source"]["kind"], "crates-io");
    let git = packages.iter().find(|p| p["name"] == "g").unwrap();
    assert_eq!(git["source"]["kind"], "git");
    assert!(git["checksum"].is_null());
}

#[test]
fn cargo_subcommand_form_and_direct_form_agree() {
    let dir = TestDir::new();
    dir.write(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n",
    );
    let direct = dir
        .command()
        .args(["inventory", "--lockfile", "Cargo.lock"])
        .run()
        .expect_code(0);
    let via_cargo = dir
        .command()
        .args(["verify-provenance", "inventory", "--lockfile", "Cargo.lock"])
        .run()
        .expect_code(0);
    assert_eq!(direct.stdout, via_cargo.stdout);
    assert!(direct.stdout.contains("a@1.0.0"));
}

#[test]
fn malformed_lockfile_is_exit_2_naming_file_and_line() {
    let dir = TestDir::new();
    dir.write(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"x\"\n",
    );
    let run = dir
        .command()
        .args(["inventory", "--lockfile", "Cargo.lock", "--color", "never"])
        .run()
        .expect_code(2);
    run.assert_stderr("Cargo.lock");
    run.assert_stderr("line 5");
    run.assert_stderr("lockfile-malformed");
}

#[test]
fn workspace_through_cargo_metadata_marks_members() {
    let dir = TestDir::new();
    dir.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n",
    );
    dir.write(
        "a/Cargo.toml",
        "[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nb = { path = \"../b\" }\n",
    );
    dir.write("a/src/lib.rs", "");
    dir.write(
        "b/Cargo.toml",
        "[package]\nname = \"b\"\nversion = \"0.2.0\"\nedition = \"2021\"\nrepository = \"https://github.com/example/b\"\n",
    );
    dir.write("b/src/lib.rs", "");
    dir.write(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"0.1.0\"\ndependencies = [\"b\"]\n\n[[package]]\nname = \"b\"\nversion = \"0.2.0\"\n",
    );
    let before = std::fs::read(dir.join("Cargo.lock")).unwrap();
    let run = dir
        .command()
        .args(["inventory", "--format", "json", "--offline"])
        .run()
        .expect_code(0);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for package in value["packages"].as_array().unwrap() {
        assert_eq!(package["workspace_member"], true, "{package}");
    }
    let b = value["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "b")
        .unwrap();
    assert_eq!(b["repository"], "https://github.com/example/b");
    assert_eq!(
        std::fs::read(dir.join("Cargo.lock")).unwrap(),
        before,
        "the lockfile must not change"
    );
}

#[test]
fn stale_lockfile_is_an_error_and_left_alone() {
    let dir = TestDir::new();
    dir.write(
        "Cargo.toml",
        "[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    dir.write("src/lib.rs", "");
    // The lockfile names another version than the manifest: --locked refuses to fix it.
    let stale = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"0.0.9\"\n";
    dir.write("Cargo.lock", stale);
    let run = dir
        .command()
        .args(["inventory", "--offline", "--color", "never"])
        .run()
        .expect_code(2);
    run.assert_stderr("cargo-metadata-failed");
    assert_eq!(
        std::fs::read_to_string(dir.join("Cargo.lock")).unwrap(),
        stale
    );
}
