//! A source comparison kept in the cache folder (shared between CI jobs,
//! writable by others) is computed again from the git objects its entry
//! holds and the package's own `.crate`: what a writer of that folder
//! plants for a package whose published files differ from its commit
//! never makes it match. Planted: a result written as "matches" (the old
//! form and the new), and the proof of another commit whose files are the
//! package's. Through the binary, offline, the repository served from a
//! local mirror (compared again: differs) or not at all (not checked).

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use cargo_verify_provenance::testkit::repos::RepoBuilder;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::harness::Run;
use crate::source_match::packages;
use crate::source_outputs::{Tampered, MANIFEST, TAMPERED_FILES};

/// `git -C repo ARGS`'s output.
fn git(repo: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The commit object and every tree object of `commit`, as git stores them.
fn objects(repo: &Path, commit: &str) -> (Vec<u8>, Vec<Vec<u8>>) {
    let object = git(repo, &["cat-file", "commit", commit]);
    let root = String::from_utf8(git(repo, &["rev-parse", &format!("{commit}^{{tree}}")])).unwrap();
    let listing = String::from_utf8(git(repo, &["ls-tree", "-r", "-t", commit])).unwrap();
    let mut trees = vec![git(repo, &["cat-file", "tree", root.trim()])];
    for line in listing.lines().filter(|l| l.contains(" tree ")) {
        let id = line.split_whitespace().nth(2).unwrap();
        trees.push(git(repo, &["cat-file", "tree", id]));
    }
    (object, trees)
}

struct Planted {
    project: Tampered,
    checksum: String,
    mirror: String,
}

impl Planted {
    fn new() -> Self {
        let project = Tampered::new();
        project.policy("[defaults]\nsource-matches = true\n");
        let krate = project.dir.join(
            "cargo-home/registry/cache/index.crates.io-1949cf8c6b5b557f/tampered-1.0.0.crate",
        );
        let checksum = hex::encode(Sha256::digest(std::fs::read(krate).unwrap()));
        let mirror = format!(
            "file://{}",
            project.dir.join("mirrors/tampered.git").display()
        );
        Self {
            project,
            checksum,
            mirror,
        }
    }

    fn entry_path(&self, format: u32) -> PathBuf {
        self.project
            .dir
            .join(".cache/source-match")
            .join(format!("v{format}"))
            .join(&self.checksum[..2])
            .join(format!("{}.json", self.checksum))
    }

    fn plant(&self, format: u32, entry: &Value) {
        let path = self.entry_path(format);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_vec(entry).unwrap()).unwrap();
    }

    /// Offline, JSON messages; with the mirror or without.
    fn run(&self, mirror: bool) -> Run {
        let command = if mirror {
            self.project.command()
        } else {
            self.project
                .dir
                .command()
                .env("CARGO_HOME", self.project.dir.join("cargo-home"))
        };
        command
            .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
            .args(["--offline", "--message-format", "json"])
            .run()
    }
}

fn source_match(run: &Run) -> Value {
    let found = packages(&run.stdout);
    let Some(package) = found.get("tampered") else {
        panic!("no package in {}\n{}", run.stdout, run.stderr);
    };
    package["source_match"].clone()
}

/// Whatever was planted: compared again with the mirror (differs, the run
/// fails), not checked without it (the run does not pass); a planted
/// entry for the run's configuration (fetched from the mirror or not, as
/// `for_mirror` says) is named in a warning.
fn assert_not_believed(planted: &Planted, entries: &[(u32, Value)], what: &str, for_mirror: bool) {
    for mirror in [true, false] {
        // Planted again each time: a run that compares keeps its own.
        for (format, entry) in entries {
            planted.plant(*format, entry);
        }
        let run = planted.run(mirror);
        let found = source_match(&run);
        let expected = if mirror { "differs" } else { "not-checked" };
        assert_eq!(
            found["result"], expected,
            "{what}, mirror {mirror}: {found}"
        );
        assert_ne!(run.code, 0, "{what}, mirror {mirror}\n{}", run.stderr);
        if mirror == for_mirror {
            // A warning among the JSON messages, naming the file.
            let file = planted.entry_path(2).display().to_string();
            let warned = run
                .stdout
                .lines()
                .any(|line| line.contains(&file) && line.contains("is ignored"));
            assert!(warned, "{what}\n{}", run.stdout);
        }
    }
}

#[test]
fn a_result_planted_as_matches_does_not_pass_a_package_that_differs() {
    let planted = Planted::new();
    let claims = json!({
        "result": "matches", "commit": planted.project.commit, "path_in_vcs": "",
        "dirty": false, "repository": "https://github.com/example/tampered",
        "differ": [], "only_in_package": [], "binaries": [], "line_endings_only": []
    });
    for (fetched_from, for_mirror) in [
        (planted.mirror.clone(), true),
        ("https://github.com/example/tampered".into(), false),
    ] {
        // The earlier form, a bare result: never read; and the current
        // form's fields with a result instead of a proof.
        let entries = [
            (
                1,
                json!({
                    "format": 1, "checksum": planted.checksum,
                    "fetched_from": fetched_from, "result": claims,
                }),
            ),
            (
                2,
                json!({
                    "format": 2, "checksum": planted.checksum,
                    "repository": "https://github.com/example/tampered",
                    "proof": {
                        "fetched_from": fetched_from, "commit": "", "trees": [], "blobs": [],
                    },
                    "result": claims,
                }),
            ),
        ];
        assert_not_believed(&planted, &entries, "a result", for_mirror);
    }
}

#[test]
fn the_proof_of_another_commit_does_not_pass_a_package_that_differs() {
    let planted = Planted::new();
    // A commit whose files are exactly the package's: its proof is sound,
    // but for a commit the package does not name.
    let forged = planted.project.dir.join("forged.git");
    let repository = TAMPERED_FILES
        .iter()
        .fold(RepoBuilder::new(), |repo, (path, bytes)| {
            repo.file(path, *bytes)
        })
        .file("Cargo.toml", MANIFEST)
        .file("README.md", "# tampered\n");
    let commit = repository.build(&forged, false);
    let (object, trees) = objects(&forged, &commit);
    for (fetched_from, for_mirror) in [
        (planted.mirror.clone(), true),
        ("https://github.com/example/tampered".into(), false),
    ] {
        let entry = json!({
            "format": 2, "checksum": planted.checksum,
            "repository": "https://github.com/example/tampered",
            "proof": {
                "fetched_from": fetched_from,
                "commit": BASE64.encode(&object),
                "trees": trees.iter().map(|t| BASE64.encode(t)).collect::<Vec<_>>(),
                "blobs": [],
            },
        });
        assert_not_believed(
            &planted,
            &[(2, entry)],
            "another commit's proof",
            for_mirror,
        );
    }
    // The package's own commit object with the forged commit's trees.
    let (honest, _) = objects(
        &planted.project.dir.join("mirrors/tampered.git"),
        &planted.project.commit,
    );
    let entry = json!({
        "format": 2, "checksum": planted.checksum,
        "repository": "https://github.com/example/tampered",
        "proof": {
            "fetched_from": "https://github.com/example/tampered",
            "commit": BASE64.encode(&honest),
            "trees": trees.iter().map(|t| BASE64.encode(t)).collect::<Vec<_>>(),
            "blobs": [],
        },
    });
    assert_not_believed(&planted, &[(2, entry)], "another commit's trees", false);
}

/// The entry a run writes is read back by the next, without the mirror:
/// the comparison computed again from it differs, as the fetch found.
#[test]
fn a_comparison_kept_by_one_run_is_computed_again_by_the_next() {
    let planted = Planted::new();
    let first = planted.run(true);
    assert_eq!(
        source_match(&first)["result"],
        "differs",
        "{}",
        first.stderr
    );
    assert!(planted.entry_path(2).exists());
    // Offline without the mirror, the kept entry needs the rules that
    // made it: none here, so not checked; with them, it is read, and no
    // fetch happens (the mirror is gone).
    std::fs::rename(
        planted.project.dir.join("mirrors"),
        planted.project.dir.join("mirrors.gone"),
    )
    .unwrap();
    let again = planted.run(true);
    let found = source_match(&again);
    assert_eq!(found["result"], "differs", "{found}\n{}", again.stderr);
    assert_eq!(found["differ"], json!(["src/lib.rs"]), "{found}");
    assert!(!again.stderr.contains("is ignored"), "{}", again.stderr);
}

/// A rerun computes the comparison again from the entry without the IDs
/// of files in other line endings while nothing differs, and with them as
/// soon as something does: a file published with CRLF line endings is
/// listed apart (`line_endings_only`) by the run that fetched and by the
/// one that read the entry alike, beside a file that really differs.
#[test]
fn a_file_differing_in_line_endings_only_is_listed_apart_by_the_rerun_too() {
    let dir = crate::harness::TestDir::new();
    let bare = dir.join("mirrors/endings.git");
    let manifest = "[package]\nname = \"endings\"\nversion = \"1.0.0\"\nrepository = \"https://github.com/example/endings\"\n";
    let commit = RepoBuilder::new()
        .file("Cargo.toml", manifest)
        .file("README.md", "# endings\n")
        .file("src/lib.rs", "pub fn f() {}\npub fn g() {}\n")
        .build(&bare, false);
    let package = cargo_verify_provenance::testkit::crates::CrateBuilder::new("endings", "1.0.0")
        .vcs_info(&commit, false, Some(""))
        .file("Cargo.toml", format!("# normalized by cargo\n{manifest}"))
        .file("Cargo.toml.orig", manifest)
        .file("README.md", "# endings, changed\n")
        .file("src/lib.rs", "pub fn f() {}\r\npub fn g() {}\r\n")
        .build();
    dir.write(
        "cargo-home/registry/cache/index.crates.io-1949cf8c6b5b557f/endings-1.0.0.crate",
        &package,
    );
    let locked = cargo_verify_provenance::testkit::files::LockedPackage {
        name: "endings".into(),
        version: "1.0.0".into(),
        checksum: Sha256::digest(&package).into(),
    };
    dir.write(
        "Cargo.lock",
        cargo_verify_provenance::testkit::files::cargo_lock("app", &[locked]),
    );
    dir.write(
        "provenance.toml",
        "[defaults]\n[[source]]\nkind = \"dir\"\npath = \"bundles\"\n",
    );
    std::fs::create_dir_all(dir.join("bundles")).unwrap();
    let base = format!("file://{}", bare.display());
    let rules = cargo_verify_provenance::testkit::repos::insteadof_env(&[(
        "https://github.com/example/endings",
        base.as_str(),
    )]);
    let run = || {
        let mut command = dir.command().env("CARGO_HOME", dir.join("cargo-home"));
        for (key, value) in &rules {
            command = command.env(key, value);
        }
        command
            .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
            .args(["--offline", "--message-format", "json"])
            .run()
    };
    for pass in ["fetched", "from the cache"] {
        let run = run();
        let found = packages(&run.stdout)["endings"]["source_match"].clone();
        assert_eq!(
            found["result"], "differs",
            "{pass}: {found}\n{}",
            run.stderr
        );
        assert_eq!(found["differ"], json!(["README.md"]), "{pass}: {found}");
        assert_eq!(
            found["line_endings_only"],
            json!(["src/lib.rs"]),
            "{pass}: {found}"
        );
        // The rerun fetches nothing: the mirror is gone.
        if pass == "fetched" {
            std::fs::rename(dir.join("mirrors"), dir.join("mirrors.gone")).unwrap();
        }
    }
}

/// `fetch` makes every package's source comparison and caches it, so a
/// later offline check needs no git fetch: here the mirror git fetched
/// from is gone by then, and the package is still compared (it differs),
/// not left unchecked.
#[test]
fn fetch_makes_the_comparisons_an_offline_check_needs() {
    let project = Tampered::new();
    project.policy("[defaults]\nsource-matches = true\n");
    let fetched = project
        .command()
        .args([
            "fetch",
            "--lockfile",
            "Cargo.lock",
            "--policy",
            "provenance.toml",
        ])
        .run();
    assert_eq!(fetched.code, 0, "{}", fetched.stderr);
    let mirror = project.dir.join("mirrors/tampered.git");
    std::fs::rename(&mirror, project.dir.join("gone.git")).unwrap();
    let run = project.run(&["--message-format", "json"]);
    let found = packages(&run.stdout);
    let source_match = &found["tampered"]["source_match"];
    assert_eq!(
        source_match["result"], "differs",
        "{source_match}\n{}",
        run.stderr
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
}
