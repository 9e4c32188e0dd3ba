//! Every link resolves. Between the project's Markdown files: to a file
//! that exists and, with a `#fragment`, to one of its headings. Printed by
//! the tool (help texts, the policy `init` writes, diagnostics, the
//! embedded policy reference): into this repository (a file and heading
//! that exist), to a file of the repository named by its path, or to a
//! command the tool has.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use crate::harness::TestDir;

const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Markdown files a reader meets: the top-level ones and `docs/`.
fn markdown_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "CONTRIBUTING.md", "BENCHMARKS.md"]
        .iter()
        .map(|name| root().join(name))
        .collect();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("read docs/")
        .map(|entry| entry.expect("docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The lines of a Markdown text outside fenced code blocks.
fn prose_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut fenced = false;
    text.lines().filter(move |line| {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            return false;
        }
        !fenced
    })
}

/// The targets of the inline links `[text](target)` outside code blocks.
fn markdown_links(text: &str) -> Vec<String> {
    let mut links = Vec::new();
    for line in prose_lines(text) {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            links.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    links
}

/// GitHub's anchor for a heading: lower case, letters, digits, `-` and `_`
/// kept, spaces turned into `-`, everything else dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Every anchor of a Markdown text; a repeated heading gets `-1`, `-2`, …
fn anchors(text: &str) -> HashSet<String> {
    let mut anchors = HashSet::new();
    for line in prose_lines(text) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let base = slug(heading.trim_start_matches('#'));
        let mut anchor = base.clone();
        let mut n = 0;
        while !anchors.insert(anchor.clone()) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
    }
    anchors
}

/// Check one relative link written in a file of `from_dir`.
fn check_relative(from_dir: &Path, from_file: &Path, link: &str) -> Result<(), String> {
    let (path, fragment) = match link.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (link, None),
    };
    let target = if path.is_empty() {
        from_file.to_path_buf()
    } else {
        from_dir.join(path)
    };
    if !target.exists() {
        return Err(format!("{link}: {} does not exist", target.display()));
    }
    let (Some(fragment), true) = (fragment, target.extension().is_some_and(|e| e == "md")) else {
        return Ok(());
    };
    let text = std::fs::read_to_string(&target).map_err(|e| format!("{link}: {e}"))?;
    if anchors(&text).contains(fragment) {
        Ok(())
    } else {
        Err(format!(
            "{link}: {} has no heading #{fragment}",
            target.display()
        ))
    }
}

/// Check a link of a Markdown file: web links are not followed; the
/// repository's own are checked as files of this checkout.
fn check_markdown_link(file: &Path, link: &str) -> Result<(), String> {
    if link.starts_with(REPOSITORY) {
        return check_repository_url(link);
    }
    if link.starts_with("http://") || link.starts_with("https://") || link.starts_with("mailto:") {
        return Ok(());
    }
    check_relative(file.parent().expect("a folder"), file, link)
}

/// A URL into this repository names a file of this checkout (and a heading
/// of it), or the repository itself.
fn check_repository_url(url: &str) -> Result<(), String> {
    let rest = &url[REPOSITORY.len()..];
    if rest.is_empty() || rest == "/" {
        return Ok(());
    }
    match rest.strip_prefix("/blob/main/") {
        Some(path) => check_relative(root(), &root().join("README.md"), path)
            .map_err(|problem| format!("{url}: {problem}")),
        None => Err(format!("{url}: not a file of the main branch")),
    }
}

#[test]
fn every_link_between_the_markdown_files_resolves() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).expect("read a Markdown file");
        for link in markdown_links(&text) {
            checked += 1;
            if let Err(problem) = check_markdown_link(&file, &link) {
                problems.push(format!("{}: {problem}", file.display()));
            }
        }
    }
    assert!(checked > 30, "only {checked} links found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_link_checker_finds_missing_files_and_headings() {
    let readme = root().join("README.md");
    assert!(check_markdown_link(&readme, "docs/policy.md#diagnostic-codes").is_ok());
    assert!(check_markdown_link(&readme, "docs/nowhere.md").is_err());
    assert!(check_markdown_link(&readme, "docs/policy.md#no-such-heading").is_err());
    assert!(check_repository_url(&format!("{REPOSITORY}/blob/main/docs/policy.md")).is_ok());
    assert!(check_repository_url(&format!("{REPOSITORY}/blob/main/docs/gone.md")).is_err());
    assert!(check_repository_url(&format!("{REPOSITORY}/wiki/Policy")).is_err());
    assert_eq!(slug(" Which rule decides"), "which-rule-decides");
    assert_eq!(
        slug("`inventory --message-format json`"),
        "inventory---message-format-json"
    );
    let twice = anchors("# A\n```\n# not a heading\n```\n## A\n");
    assert_eq!(twice, HashSet::from(["a".to_string(), "a-1".to_string()]));
}

/// Every command path of the tool (`""` for the main check, `policy
/// check`, …), read from its own help.
fn command_paths() -> BTreeSet<String> {
    let mut paths = BTreeSet::from([String::new()]);
    let mut queue = vec![String::new()];
    while let Some(path) = queue.pop() {
        for name in subcommands(&help(&path)) {
            let child = format!("{path} {name}").trim().to_string();
            if paths.insert(child.clone()) {
                queue.push(child);
            }
        }
    }
    paths
}

fn help(path: &str) -> String {
    let run = TestDir::new()
        .command()
        .args(path.split_whitespace())
        .arg("--help")
        .run()
        .expect_code(0);
    run.stdout
}

/// The names listed under `Commands:` in a help text.
pub fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        // A wrapped description goes on further indented.
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The problems with the links in a text the tool printed: URLs into this
/// repository, `docs/….md` paths and `cargo verify-provenance …` commands.
fn printed_link_problems(text: &str, commands: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    for url in words_after(text, REPOSITORY) {
        if let Err(problem) = check_repository_url(&format!("{REPOSITORY}{url}")) {
            problems.push(problem);
        }
    }
    for path in words_after(text, "docs/") {
        if !root().join("docs").join(&path).exists() {
            problems.push(format!("docs/{path} does not exist"));
        }
    }
    for words in words_after(text, "cargo verify-provenance ") {
        if let Some(problem) = unknown_command(&words, commands) {
            problems.push(problem);
        }
    }
    problems
}

/// What follows each occurrence of `prefix`, up to a space, quote or
/// closing bracket (for commands: up to the closing backquote).
fn words_after(text: &str, prefix: &str) -> Vec<String> {
    let command = prefix.ends_with(' ');
    let stop = |c: char| {
        if command {
            matches!(c, '`' | '\n' | ')' | '"')
        } else {
            c.is_whitespace() || matches!(c, '`' | ')' | '"' | '\'' | '>' | ',' | ';')
        }
    };
    text.match_indices(prefix)
        .map(|(at, _)| {
            let rest = &text[at + prefix.len()..];
            let end = rest.find(stop).unwrap_or(rest.len());
            rest[..end].trim_end_matches(['.', ':']).to_string()
        })
        .collect()
}

/// `cargo verify-provenance WORDS` names a command of the tool: while the
/// command found so far has subcommands, the next lower-case word must
/// name one (an option or a placeholder ends the command).
fn unknown_command(words: &str, commands: &BTreeSet<String>) -> Option<String> {
    let mut known = String::new();
    for word in words.split_whitespace() {
        let is_command_word =
            !word.starts_with('-') && word.chars().all(|c| c.is_ascii_lowercase() || c == '-');
        let prefix = format!("{known} ");
        let has_subcommands = commands
            .iter()
            .any(|c| !c.is_empty() && (known.is_empty() || c.starts_with(&prefix)));
        if !is_command_word || !has_subcommands {
            break;
        }
        let longer = format!("{known} {word}").trim().to_string();
        if !commands.contains(&longer) {
            return Some(format!(
                "`cargo verify-provenance {words}`: no command `{longer}`"
            ));
        }
        known = longer;
    }
    None
}

#[test]
fn a_printed_command_must_exist() {
    let commands = BTreeSet::from(["", "init", "policy", "policy check"].map(str::to_string));
    assert!(unknown_command("init --force", &commands).is_none());
    assert!(unknown_command("policy check", &commands).is_none());
    assert!(unknown_command("COMMAND --help", &commands).is_none());
    assert!(unknown_command("policy reference", &commands).is_some());
    assert!(unknown_command("setup", &commands).is_some());
}

fn demo() -> PathBuf {
    root().join("examples/demo")
}

/// What the tool prints that may hold links: every help text, the policy
/// `init` writes, the policy reference, and diagnostics of a bad policy
/// and of a run without one.
fn printed_texts(commands: &BTreeSet<String>) -> Vec<(String, String)> {
    let mut texts: Vec<(String, String)> = commands
        .iter()
        .map(|path| (format!("{path} --help"), help(path)))
        .collect();
    let dir = TestDir::new();
    let mut run = |label: &str, args: &[&str]| {
        let run = dir.command().args(args).args(["--color", "never"]).run();
        texts.push((label.to_string(), format!("{}{}", run.stdout, run.stderr)));
    };
    let lockfile = demo().join("Cargo.lock");
    let lockfile = lockfile.to_str().expect("a UTF-8 path");
    let bundles = format!("dir:{}", demo().join("bundles").display());
    let root_file = demo().join("trusted_root.json");
    let root_file = root_file.to_str().expect("a UTF-8 path");
    run(
        "init --stdout",
        &[
            "init",
            "--stdout",
            "--offline",
            "--lockfile",
            lockfile,
            "--source",
            &bundles,
            "--trusted-root",
            root_file,
        ],
    );
    run("policy reference", &["policy", "reference"]);
    let lockfile_text = std::fs::read(demo().join("Cargo.lock")).expect("read the demo lockfile");
    dir.write("alone/Cargo.lock", lockfile_text);
    run(
        "no policy",
        &["--offline", "--lockfile", "alone/Cargo.lock"],
    );
    for (name, policy) in [
        ("syntax", "[defaults\n"),
        ("invalid value", "[defaults]\nrequire = \"everything\"\n"),
        ("source without key", "[[source]]\nkind = \"url\"\n"),
    ] {
        dir.write("bad.toml", policy);
        run(name, &["policy", "check", "--policy", "bad.toml"]);
    }
    texts
}

#[test]
fn every_link_the_tool_prints_resolves() {
    let commands = command_paths();
    assert!(commands.contains("policy reference"), "{commands:?}");
    let mut problems = Vec::new();
    let mut links = 0;
    for (label, text) in printed_texts(&commands) {
        links += text.matches(REPOSITORY).count();
        problems.extend(
            printed_link_problems(&text, &commands)
                .into_iter()
                .map(|problem| format!("{label}: {problem}")),
        );
    }
    assert!(links >= 4, "only {links} links into the repository printed");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn policy_reference_prints_the_reference_as_written_and_its_links_resolve() {
    let run = TestDir::new()
        .command()
        .args(["policy", "reference"])
        .run()
        .expect_code(0);
    let docs = std::fs::read_to_string(root().join("docs/policy.md")).expect("read docs/policy.md");
    assert_eq!(run.stdout, docs);
    let file = root().join("docs/policy.md");
    let problems: Vec<String> = markdown_links(&run.stdout)
        .iter()
        .filter_map(|link| check_markdown_link(&file, link).err())
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
