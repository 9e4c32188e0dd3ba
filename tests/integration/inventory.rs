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

#[test]
fn a_bare_lockfiles_own_package_passes_without_a_path_entry() {
    let dir = TestDir::new();
    // app → helper (a path dependency outside the workspace) and itoa.
    dir.write(
        "Cargo.lock",
        format!(
            "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"helper\", \"itoa\"]\n\n\
             [[package]]\nname = \"helper\"\nversion = \"0.1.0\"\n\n\
             [[package]]\nname = \"itoa\"\nversion = \"1.0.11\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{CHECKSUM}\"\n"
        ),
    );
    dir.write("provenance.toml", "[path]\nallow = []\n");
    dir.write("bundles/.keep", "");
    let run = dir
        .command()
        .args([
            "--lockfile",
            "Cargo.lock",
            "--offline",
            "--source",
            "dir:bundles",
            "--message-format",
            "json",
        ])
        .run()
        .expect_code(1);
    let outcomes: std::collections::BTreeMap<String, (String, String)> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["reason"] == "package")
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_string(),
                (
                    v["outcome"].as_str().unwrap().to_string(),
                    v["rule"]["kind"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect();
    assert_eq!(outcomes["app"], ("pass".into(), "workspace-member".into()));
    // A path dependency something depends on still needs `[path] allow`.
    assert_eq!(outcomes["helper"], ("violation".into(), "path".into()));
}

#[test]
fn a_workspace_inventory_marks_build_time_code_from_cargo_metadata() {
    let dir = TestDir::new();
    dir.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"macros\", \"sys\"]\nresolver = \"2\"\n",
    );
    dir.write(
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nmacros = { path = \"../macros\" }\nsys = { path = \"../sys\" }\n",
    );
    dir.write("app/src/lib.rs", "");
    dir.write(
        "macros/Cargo.toml",
        "[package]\nname = \"macros\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\nproc-macro = true\n",
    );
    dir.write("macros/src/lib.rs", "");
    dir.write(
        "sys/Cargo.toml",
        "[package]\nname = \"sys\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    dir.write("sys/src/lib.rs", "");
    dir.write("sys/build.rs", "fn main() {}\n");
    dir.write(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"macros\", \"sys\"]\n\n[[package]]\nname = \"macros\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"sys\"\nversion = \"0.1.0\"\n",
    );
    let run = dir
        .command()
        .args(["inventory", "--format", "json", "--offline"])
        .run()
        .expect_code(0);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value["graph"]["origin"], "metadata", "{value}");
    let package = |name: &str| {
        value["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        package("macros")["build_time"],
        serde_json::json!({"proc_macro": true, "build_script": false})
    );
    assert_eq!(
        package("sys")["build_time"],
        serde_json::json!({"proc_macro": false, "build_script": true})
    );
    assert_eq!(
        package("app")["build_time"],
        serde_json::json!({"proc_macro": false, "build_script": false})
    );
}

#[test]
fn the_table_has_a_header_row_and_the_json_its_own_format_version() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo/Cargo.lock");
    let dir = TestDir::new();
    let run = dir
        .command()
        .args(["inventory", "--lockfile"])
        .arg(&demo)
        .run()
        .expect_code(0);
    let mut lines = run.stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "PACKAGE",
            "SOURCE",
            "CHECKSUM",
            "USE",
            "BUILD-TIME",
            "REPOSITORY"
        ]
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 47, "{}", run.stdout);
    assert!(rows[0].starts_with("anstream@1.0.0 "), "{}", rows[0]);
    for line in run.stdout.lines() {
        assert_eq!(line, line.trim_end(), "trailing spaces");
    }

    let run = dir
        .command()
        .args(["inventory", "--message-format", "json", "--lockfile"])
        .arg(&demo)
        .run()
        .expect_code(0);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value["format_version"], 1);
    assert_eq!(value["lockfile_version"], 4);
    assert_eq!(value["packages"].as_array().unwrap().len(), 47);
}
