use super::*;
use crate::testkit::repos::{RepoBuilder, RepoFile};

fn repo(dir: &std::path::Path, sha256: bool) -> (String, String) {
    let path = dir.join("repo.git");
    let commit = RepoBuilder::new()
        .file("Cargo.toml", "[workspace]\n")
        .file("crates/a/src/lib.rs", "pub fn a() {}\n")
        .entry(
            "crates/a/run.sh",
            RepoFile::Executable(b"#!/bin/sh\n".to_vec()),
        )
        .symlink("crates/a/LICENSE", "../../LICENSE")
        .file("LICENSE", "MIT\n")
        .entry(
            "vendor/sub",
            RepoFile::Submodule(if sha256 {
                "ab".repeat(32)
            } else {
                "ab".repeat(20)
            }),
        )
        .build(&path, sha256);
    (format!("file://{}", path.display()), commit)
}

/// A `git` program that reads `config` as the user's global configuration.
#[cfg(unix)]
fn git_with_global_config(dir: &std::path::Path, config: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let file = dir.join("gitconfig");
    std::fs::write(&file, config).unwrap();
    let wrapper = dir.join("git");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nGIT_CONFIG_GLOBAL='{}' exec git \"$@\"\n",
            file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    wrapper
}

#[test]
fn a_commit_is_fetched_with_its_trees_and_blobs_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (url, commit) = repo(dir.path(), false);
    let fetched = Git::default().fetch(&url, &commit).unwrap();
    assert_eq!(fetched.format(), ObjectFormat::Sha1);
    let tree = fetched.tree().unwrap();
    let paths: Vec<&str> = tree.iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "Cargo.toml",
            "LICENSE",
            "crates/a/LICENSE",
            "crates/a/run.sh",
            "crates/a/src/lib.rs",
            "vendor/sub"
        ]
    );
    assert_eq!(
        tree.get("crates/a/LICENSE").unwrap().kind,
        EntryKind::Symlink
    );
    assert_eq!(
        tree.get("crates/a/run.sh").unwrap().kind,
        EntryKind::Executable
    );
    assert_eq!(tree.get("vendor/sub").unwrap().kind, EntryKind::Submodule);
    assert!(tree.is_dir("crates/a") && tree.is_dir("crates") && !tree.is_dir("crate"));
    // No blob came with the trees.
    let link = tree.get("crates/a/LICENSE").unwrap().id;
    let lib = tree.get("crates/a/src/lib.rs").unwrap().id;
    assert_eq!(fetched.sizes(&[link]).unwrap(), [(link, None)]);
    let blobs = fetched.blobs(&[link, lib]).unwrap();
    assert_eq!(blobs[&link], b"../../LICENSE");
    assert_eq!(blobs[&lib], b"pub fn a() {}\n");
}

#[test]
fn a_sha256_repository_is_read_in_its_own_hash() {
    let dir = tempfile::tempdir().unwrap();
    let (url, commit) = repo(dir.path(), true);
    assert_eq!(commit.len(), 64);
    let fetched = Git::default().fetch(&url, &commit).unwrap();
    assert_eq!(fetched.format(), ObjectFormat::Sha256);
    let tree = fetched.tree().unwrap();
    assert_eq!(tree.get("LICENSE").unwrap().id.as_bytes().len(), 32);
}

#[test]
fn what_cannot_be_fetched_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let (url, commit) = repo(dir.path(), false);
    let git = Git::default();
    let other = "1".repeat(40);
    assert!(
        matches!(git.fetch(&url, &other), Err(GitError::CommitNotFound { commit, .. }) if commit == other)
    );
    let missing = format!("file://{}/nothing.git", dir.path().display());
    assert!(
        matches!(
            git.fetch(&missing, &commit),
            Err(GitError::RepositoryNotFound(_))
        ),
        "{:?}",
        git.fetch(&missing, &commit)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = git.fetch(&format!("https://127.0.0.1:{port}/o/r"), &commit);
    assert!(
        matches!(refused, Err(GitError::Unreachable(_))),
        "{refused:?}"
    );
    assert!(matches!(
        git.fetch(&url, "not-a-commit"),
        Err(GitError::Malformed(_))
    ));
    let absent = Git::new(GitOptions {
        program: "/nonexistent/git".into(),
        ..GitOptions::default()
    });
    assert_eq!(
        absent.fetch(&url, &commit).unwrap_err(),
        GitError::NotInstalled
    );
}

#[test]
fn bounds_stop_a_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let (url, commit) = repo(dir.path(), false);
    let small = Git::new(GitOptions {
        max_fetch_bytes: 16,
        ..GitOptions::default()
    });
    assert_eq!(
        small.fetch(&url, &commit).unwrap_err(),
        GitError::TooLarge { limit: 16 }
    );
    let few = Git::new(GitOptions {
        max_tree_entries: 3,
        ..GitOptions::default()
    });
    assert_eq!(
        few.fetch(&url, &commit).unwrap().tree().unwrap_err(),
        GitError::TreeTooLarge { limit: 3 }
    );
    let tiny_blobs = Git::new(GitOptions {
        max_blob_bytes: 4,
        ..GitOptions::default()
    });
    let fetched = tiny_blobs.fetch(&url, &commit).unwrap();
    let lib = fetched
        .tree()
        .unwrap()
        .get("crates/a/src/lib.rs")
        .unwrap()
        .id;
    assert!(matches!(
        fetched.blobs(&[lib]),
        Err(GitError::BlobTooLarge { limit: 4, .. })
    ));
}

#[cfg(unix)]
#[test]
fn a_command_past_its_deadline_is_killed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("slow-git");
    std::fs::write(&script, "#!/bin/sh\nsleep 30\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let started = std::time::Instant::now();
    let finished = run(
        command(script.as_os_str(), None),
        Bounds {
            deadline: Duration::from_millis(200),
            max_stdout: 10,
            folder: None,
            stdin: None,
        },
    );
    assert!(matches!(finished, Err(GitError::Timeout { .. })));
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn git_messages_are_classified() {
    let commit = "c".repeat(40);
    assert!(matches!(
        classify(
            "fatal: remote error: upload-pack: not our ref cccc\n",
            &commit
        ),
        GitError::CommitNotFound { .. }
    ));
    assert!(matches!(
        classify(
            "fatal: unable to access 'https://x/': Could not resolve host: x\n",
            &commit
        ),
        GitError::Unreachable(_)
    ));
    assert!(matches!(
        classify(
            "fatal: could not read Username for 'https://github.com': terminal prompts disabled\n",
            &commit
        ),
        GitError::RepositoryNotFound(_)
    ));
    assert!(
        matches!(classify("fatal: odd\n", &commit), GitError::FetchFailed(d) if d == "fatal: odd")
    );
}

/// A pinned host is connected to at the pinned address only: a name that
/// resolves nowhere reaches the listener the pin names, and the same name
/// unpinned is not resolved at all.
#[test]
fn a_pinned_fetch_connects_to_the_pinned_address_only() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let url = format!("https://pinned.invalid:{port}/o/r");
    let git = Git::new(GitOptions {
        fetch_timeout: Duration::from_secs(3),
        ..GitOptions::default()
    });
    let commit = "1".repeat(40);
    let unpinned = git.fetch(&url, &commit);
    assert!(unpinned.is_err());
    assert!(listener.accept().is_err(), "{unpinned:?}");
    let pin = Pin {
        host: "pinned.invalid".into(),
        port,
        addresses: vec!["127.0.0.1".parse().unwrap()],
    };
    // The listener never answers: the fetch fails once it has connected.
    let pinned = git.fetch_pinned(&url, &commit, Some(&pin));
    assert!(pinned.is_err());
    assert!(listener.accept().is_ok(), "{pinned:?}");
}

#[test]
fn a_pin_is_written_as_curl_reads_it() {
    let pin = Pin {
        host: "github.com".into(),
        port: 443,
        addresses: vec![
            "140.82.112.3".parse().unwrap(),
            "2001:db8::1".parse().unwrap(),
        ],
    };
    assert_eq!(
        pin.curl_resolve(),
        "github.com:443:140.82.112.3,[2001:db8::1]"
    );
}

#[cfg(unix)]
#[test]
fn no_header_the_users_configuration_scopes_to_the_url_is_sent() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    // The user's global configuration, as CI setups write it: a header
    // for the host (where a token is kept) and one for every URL.
    let wrapper = git_with_global_config(
        dir.path(),
        &format!(
            "[http \"http://127.0.0.1:{port}/\"]\n\textraHeader = X-Scoped: SCOPED-SECRET\n\
             [http]\n\textraHeader = X-Every: EVERY-SECRET\n"
        ),
    );
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buffer[..n]);
        }
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        String::from_utf8_lossy(&request).into_owned()
    });
    let git = Git::new(GitOptions {
        program: wrapper.into(),
        fetch_timeout: Duration::from_secs(20),
        ..GitOptions::default()
    });
    let fetched = git.fetch(&format!("http://127.0.0.1:{port}/o/r"), &"1".repeat(40));
    assert!(fetched.is_err());
    let request = server.join().unwrap();
    assert!(request.contains("/o/r/info/refs"), "{request}");
    assert!(
        !request.contains("SCOPED-SECRET") && !request.contains("EVERY-SECRET"),
        "{request}"
    );
}

#[test]
fn git_gets_what_it_needs_and_none_of_the_jobs_secrets_whatever_the_spelling() {
    let kept = |name: &str| process::is_kept(std::ffi::OsStr::new(name));
    for name in [
        "PATH",
        "Path",
        "HOME",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_KEY_0",
        "git_ssh_command",
        "HTTPS_PROXY",
        "https_proxy",
        "SystemRoot",
        "SSL_CERT_FILE",
    ] {
        assert!(kept(name), "{name} is kept");
    }
    for name in [
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "CARGO_REGISTRY_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "GIT_ASKPASS",
        "Git_Dir",
        "SSH_ASKPASS",
        "GITHUB",
        "GIT",
    ] {
        assert!(!kept(name), "{name} is left out");
    }
}

/// The fetch's repository is written directly: git takes it for a bare
/// repository of the object format asked for, and reads each value back
/// as written, whatever characters a URL holds; a control character is
/// refused.
#[test]
fn settings_are_written_as_git_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let tricky = "https://h/a\"b\\c;d#e\tf ]\n[core]\tbare = false";
    let quoted_url = "https://h/a\"b\\c]";
    let section = subsection("http", quoted_url).unwrap();
    init_bare(
        dir.path(),
        &[
            ("core", "repositoryformatversion", "1".into()),
            ("core", "bare", "true".into()),
            ("extensions", "objectformat", "sha256".into()),
            ("remote \"origin\"", "url", tricky.to_string()),
            (section.as_str(), "extraHeader", String::new()),
        ],
    )
    .unwrap();
    let git = |args: &[&str]| {
        let mut cmd = command(std::ffi::OsStr::new("git"), Some(dir.path()));
        let out = cmd.args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let get = |key: &str| git(&["config", "--get", key]);
    assert_eq!(get("remote.origin.url"), format!("{tricky}\n"));
    assert_eq!(get("core.repositoryformatversion"), "1\n");
    assert_eq!(get("core.bare"), "true\n");
    assert_eq!(get(&format!("http.{quoted_url}.extraHeader")), "\n");
    assert_eq!(git(&["rev-parse", "--is-bare-repository"]), "true\n");
    assert_eq!(git(&["rev-parse", "--show-object-format"]), "sha256\n");
    assert!(subsection("http", "https://h/\nx").is_err());
    let other = tempfile::tempdir().unwrap();
    assert!(matches!(
        init_bare(other.path(), &[("http", "x", "a\u{7}b".into())]),
        Err(GitError::Malformed(_))
    ));
}

/// One `git cat-file --batch` answers every read of a fetch: a missing
/// object is left out, one of another kind is refused, the budget of bytes
/// and the deadline hold.
#[cfg(unix)]
#[test]
fn the_objects_of_a_fetch_are_read_through_one_bounded_process() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (url, commit) = repo(dir.path(), false);
    let fetched = Git::default().fetch(&url, &commit).unwrap();
    let commit_id = ObjectId::from_hex(&commit).unwrap();
    let absent = ObjectId::from_hex(&"ab".repeat(20)).unwrap();
    let git = std::ffi::OsStr::new("git");
    let mut batch = batch::Batch::start(git, fetched.dir.path(), LOCAL_TIMEOUT, 1 << 20).unwrap();
    let read = batch
        .objects(ObjectKind::Commit, &[absent, commit_id])
        .unwrap();
    assert_eq!(read.keys().collect::<Vec<_>>(), [&commit_id]);
    assert!(matches!(
        batch.objects(ObjectKind::Tree, &[commit_id]),
        Err(GitError::Malformed(_))
    ));
    let mut small = batch::Batch::start(git, fetched.dir.path(), LOCAL_TIMEOUT, 8).unwrap();
    assert!(matches!(
        small.objects(ObjectKind::Commit, &[commit_id]),
        Err(GitError::OutputTooLarge { .. })
    ));
    let script = dir.path().join("silent-git");
    std::fs::write(&script, "#!/bin/sh\nsleep 30\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let started = std::time::Instant::now();
    let mut silent = batch::Batch::start(
        script.as_os_str(),
        fetched.dir.path(),
        Duration::from_millis(200),
        1 << 20,
    )
    .unwrap();
    assert!(matches!(
        silent.objects(ObjectKind::Commit, &[commit_id]),
        Err(GitError::Timeout { .. })
    ));
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[cfg(unix)]
#[test]
fn a_fetch_runs_no_hook_from_the_users_template_folder() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (url, commit) = repo(dir.path(), false);
    // The user's configuration names a template folder whose hook runs on
    // every ref update, as a fetch makes.
    let marker = dir.path().join("hook-ran");
    let hooks = dir.path().join("template/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let hook = hooks.join("reference-transaction");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\necho ran >> '{}'\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let wrapper = git_with_global_config(
        dir.path(),
        &format!(
            "[init]\n\ttemplateDir = {}\n",
            dir.path().join("template").display()
        ),
    );
    let git = Git::new(GitOptions {
        program: wrapper.into(),
        ..GitOptions::default()
    });
    let fetched = git.fetch(&url, &commit).unwrap();
    assert!(fetched.tree().is_ok());
    assert!(!marker.exists(), "a template hook ran");
}
