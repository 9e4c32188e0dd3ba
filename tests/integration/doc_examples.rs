//! The command examples of the README and docs/ are run: every
//! `cargo verify-provenance …` line of a shell or YAML block is one the
//! binary accepts (each subcommand, option and value exists), the demo
//! commands (`cargo run --release -- …`) end as their comments say, the
//! report shown in docs/commands.md is the one the demo prints, and every
//! JSON example in docs/message-format.md has exactly the fields its
//! schema lists.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::TestDir;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every Markdown file of docs/.
fn markdown_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    files.sort();
    files.insert(0, root().join("README.md"));
    files
}

/// The fenced code blocks of a Markdown text: (language, body).
fn code_blocks(text: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in text.lines() {
        let fence = line.trim_start().strip_prefix("```");
        match (fence, open.take()) {
            (Some(language), None) => open = Some((language.trim().to_string(), String::new())),
            (Some(_), Some(block)) => blocks.push(block),
            (None, Some((language, mut body))) => {
                body.push_str(line.trim_start());
                body.push('\n');
                open = Some((language, body));
            }
            (None, None) => {}
        }
    }
    blocks
}

/// A command line of an example, as the binary receives it.
#[derive(Debug)]
struct Example {
    file: String,
    /// `cargo run --release -- …`: the demo, run for real.
    demo: bool,
    args: Vec<String>,
    comment: String,
}

/// The command lines of the shell and YAML blocks: those that run the tool
/// (continued lines joined; the shell's redirections and comments cut).
/// Lines with a placeholder (`…`, `[OPTIONAL]`) are synopses, not examples.
fn examples() -> Vec<Example> {
    let mut found = Vec::new();
    for path in markdown_files() {
        let file = path.strip_prefix(root()).unwrap().display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        for (language, body) in code_blocks(&text) {
            if !["sh", "bash", "yaml", "console"].contains(&language.as_str()) {
                continue;
            }
            for line in body.replace("\\\n", " ").lines() {
                let (demo, rest) = if let Some((_, rest)) =
                    line.split_once("cargo run --release --")
                {
                    (true, rest)
                } else if let Some((before, rest)) = line.split_once("cargo verify-provenance") {
                    if !(before.is_empty() || before.ends_with(' ')) {
                        continue;
                    }
                    (false, rest)
                } else {
                    continue;
                };
                let (command, comment) = rest.split_once(" #").unwrap_or((rest, ""));
                let command = command.split(['>', '|']).next().unwrap();
                if command.contains('…') || command.contains('[') {
                    continue;
                }
                let args = command
                    .split_whitespace()
                    .map(|word| word.trim_matches('"').to_string())
                    .collect();
                found.push(Example {
                    file: file.clone(),
                    demo,
                    args,
                    comment: comment.trim().to_string(),
                });
            }
        }
    }
    found
}

#[test]
fn every_documented_command_line_is_one_the_binary_accepts() {
    let examples: Vec<Example> = examples().into_iter().filter(|e| !e.demo).collect();
    assert!(examples.len() >= 30, "{examples:#?}");
    let dir = TestDir::new();
    for example in &examples {
        // Parsed as a run would be, up to `--help`: an unknown subcommand,
        // option or value is refused before it.
        let run = dir.command().args(&example.args).arg("--help").run();
        assert_eq!(
            run.code,
            0,
            "{}: `cargo verify-provenance {}` is refused:\n{}",
            example.file,
            example.args.join(" "),
            run.stderr
        );
    }
}

#[test]
fn the_demo_commands_end_as_documented() {
    let demos: Vec<Example> = examples().into_iter().filter(|e| e.demo).collect();
    // The README's first line, and the demo page's.
    assert!(demos.iter().any(|e| e.file == "README.md"), "{demos:#?}");
    assert!(demos.len() >= 3, "{demos:#?}");
    let dir = TestDir::new();
    for example in &demos {
        let expected = match example.comment.as_str() {
            "" | "the demo" | "passes" => 0,
            "violations" => 1,
            other => panic!("{}: what does `# {other}` promise?", example.file),
        };
        let is_explain = example.args.first().is_some_and(|a| a == "explain");
        let run = dir.command().current_dir(root()).args(&example.args).run();
        // `explain` ends with its package's own outcome: a violation.
        let expected = if is_explain { 1 } else { expected };
        assert_eq!(
            run.code,
            expected,
            "{}: {}\n{}{}",
            example.file,
            example.args.join(" "),
            run.stdout,
            run.stderr
        );
    }
}

/// The report docs/commands.md shows, run in examples/demo with
/// `--offline`: its lines up to `…` open the output, the line after it
/// ends it.
#[test]
fn the_report_shown_in_the_docs_is_the_demos() {
    let text = std::fs::read_to_string(root().join("docs/commands.md")).unwrap();
    let (_, after) = text
        .split_once("The first screen of the report, run in `examples/demo`")
        .expect("the example's introduction");
    let shown = code_blocks(after)
        .into_iter()
        .find(|(language, _)| language == "text")
        .expect("the example report")
        .1;
    let (head, tail) = shown.split_once("…\n").expect("the elision");
    let demo = root().join("examples/demo");
    let run = TestDir::new()
        .command()
        .current_dir(&demo)
        .args(["--offline", "--color", "never"])
        .run()
        .expect_code(0);
    let printed = run.stdout.replace(
        &root().display().to_string(),
        "/home/you/cargo-verify-provenance",
    );
    assert!(
        printed.starts_with(head),
        "docs/commands.md shows:\n{head}\nthe demo prints:\n{printed}"
    );
    assert!(
        printed.ends_with(tail),
        "docs/commands.md shows:\n{tail}\nthe demo prints:\n{printed}"
    );
}

/// The definition of `docs/message-format.schema.json` (`reason`) or
/// docs/documents.schema.json (the `inventory` document) an example is.
fn definition_of(example: &Value) -> Value {
    let (file, name) = match example["reason"].as_str() {
        Some(reason) if reason.starts_with("diff-") => {
            let name = match reason {
                "diff-added" | "diff-removed" => "diffListed",
                "diff-downgrade" | "diff-upgrade" => "diffLevel",
                "diff-summary" => "diffSummary",
                other => panic!("no example expected of {other}"),
            };
            ("docs/message-format.schema.json", name)
        }
        Some(reason) => ("docs/message-format.schema.json", reason),
        None => ("docs/documents.schema.json", "inventory"),
    };
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(file)).unwrap()).unwrap();
    schema["definitions"][name].clone()
}

/// The property names a definition lists and requires, through `allOf`.
fn listed(definition: &Value, schema_file: &Value) -> (Vec<String>, Vec<String>) {
    let mut properties: Vec<String> = definition["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let mut required: Vec<String> = definition["required"]
        .as_array()
        .map(|r| r.iter().map(|k| k.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    for part in definition["allOf"].as_array().into_iter().flatten() {
        let part = match part["$ref"].as_str() {
            Some(pointer) => &schema_file["definitions"][pointer.rsplit('/').next().unwrap()],
            None => part,
        };
        let (more, more_required) = listed(part, schema_file);
        properties.extend(more);
        required.extend(more_required);
    }
    (properties, required)
}

#[test]
fn the_json_examples_have_the_fields_their_schema_lists() {
    let text = std::fs::read_to_string(root().join("docs/message-format.md")).unwrap();
    let messages = std::fs::read_to_string(root().join("docs/message-format.schema.json")).unwrap();
    let messages: Value = serde_json::from_str(&messages).unwrap();
    let mut checked = 0;
    for (_, body) in code_blocks(&text).into_iter().filter(|(l, _)| l == "json") {
        // `{…}` stands for an object the example leaves out.
        let body = body.replace("{…}", "{}");
        for example in serde_json::Deserializer::from_str(&body).into_iter::<Value>() {
            let example = example.unwrap_or_else(|e| panic!("{e}:\n{body}"));
            let definition = definition_of(&example);
            let (properties, required) = listed(&definition, &messages);
            let shown: Vec<&String> = example.as_object().unwrap().keys().collect();
            for key in &shown {
                assert!(
                    properties.contains(key),
                    "`{key}` is not in the schema: {example}"
                );
            }
            for key in &required {
                assert!(
                    shown.contains(&key),
                    "the example leaves out `{key}`: {example}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked} examples");
}
