//! Reading a `Cargo.lock`: its packages, checksums and `dependencies` lists.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use miette::NamedSource;
use serde::Deserialize;
use sigstore_types::Sha256Hash;

use super::graph::{Edge, Graph, GraphOrigin};
use super::{
    Inventory, LockfileError, MalformedLockfile, Package, PackageSource, MAX_LOCKFILE_BYTES,
    MAX_PACKAGES,
};

/// Read a file of at most [`MAX_LOCKFILE_BYTES`] as UTF-8.
pub(super) fn read_bounded(path: &Path) -> Result<String, LockfileError> {
    let io = |source| LockfileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = crate::bounded_read::read_at_most(path, MAX_LOCKFILE_BYTES)
        .map_err(io)?
        .map_err(|size| LockfileError::TooLarge {
            path: path.to_path_buf(),
            size,
            max: MAX_LOCKFILE_BYTES,
        })?;
    String::from_utf8(bytes).map_err(|e| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            e.utf8_error(),
        ))
    })
}

#[derive(Deserialize)]
struct RawLockfile {
    version: Option<toml::Spanned<i64>>,
    #[serde(default)]
    package: Vec<toml::Spanned<RawPackage>>,
    #[serde(default)]
    metadata: BTreeMap<String, toml::Spanned<toml::Value>>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: toml::Spanned<String>,
    version: toml::Spanned<String>,
    source: Option<toml::Spanned<String>>,
    checksum: Option<toml::Spanned<String>>,
    #[serde(default)]
    dependencies: Vec<toml::Spanned<String>>,
}

/// Parse lockfile text. `path` is only used in errors.
///
/// The graph is made of the `dependencies` lists: every entry must name
/// exactly one package of the lockfile (`name`, `name version` or
/// `name version (source)`, as cargo writes them). Nothing is a workspace
/// member yet.
pub fn parse_lockfile(path: &Path, text: String) -> Result<Inventory, LockfileError> {
    let malformed = |span: std::ops::Range<usize>, message: String, help: &str| {
        let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
        LockfileError::Malformed(Box::new(MalformedLockfile {
            path: path.to_path_buf(),
            line,
            message,
            help: help.to_string(),
            src: NamedSource::new(path.display().to_string(), text.clone()),
            span: span.into(),
        }))
    };
    const REGENERATE: &str =
        "this is not a lockfile cargo wrote; restore it from version control or regenerate it with `cargo generate-lockfile`";

    // Line numbers by binary search over the line starts: counting newlines
    // from the top for every package would be quadratic in the file size.
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| -> u32 {
        let line = line_starts.partition_point(|&start| start <= offset);
        u32::try_from(line).unwrap_or(u32::MAX)
    };

    let raw: RawLockfile = toml::from_str(&text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        malformed(span, e.message().to_string(), REGENERATE)
    })?;

    let format_version = match &raw.version {
        None => {
            // v1 and v2 carry no version key: v1 keeps checksums in [metadata].
            if raw.metadata.keys().any(|k| k.starts_with("checksum ")) {
                1
            } else {
                2
            }
        }
        Some(v) if (3..=4).contains(v.get_ref()) => *v.get_ref() as u32,
        Some(v) => {
            return Err(malformed(
                v.span(),
                format!("unsupported lockfile version {}", v.get_ref()),
                "this tool reads Cargo.lock versions 1 to 4; a newer cargo may have written it",
            ))
        }
    };
    // Even a workspace without dependencies lists its own packages: a
    // lockfile with none would pass any policy without checking anything.
    if raw.package.is_empty() {
        return Err(LockfileError::Empty {
            path: path.to_path_buf(),
        });
    }
    if raw.package.len() > MAX_PACKAGES {
        return Err(malformed(
            0..0,
            format!(
                "{} packages, over the limit of {MAX_PACKAGES}",
                raw.package.len()
            ),
            REGENERATE,
        ));
    }

    // v1: `"checksum NAME VERSION (SOURCE)" = "HEX"` in [metadata].
    let mut v1_checksums: HashMap<String, toml::Spanned<toml::Value>> = HashMap::new();
    for (key, value) in raw.metadata {
        if let Some(id) = key.strip_prefix("checksum ") {
            v1_checksums.insert(id.to_string(), value);
        }
    }

    let mut packages = Vec::with_capacity(raw.package.len());
    let mut dependency_lists = Vec::with_capacity(raw.package.len());
    let mut seen = std::collections::HashSet::new();
    for entry in raw.package {
        let header = entry.span();
        let raw_package = entry.into_inner();
        let name = raw_package.name.get_ref();
        if !is_valid_package_name(name) {
            return Err(malformed(
                raw_package.name.span(),
                format!("`{name}` is not a valid package name"),
                REGENERATE,
            ));
        }
        let version = semver::Version::parse(raw_package.version.get_ref()).map_err(|e| {
            malformed(
                raw_package.version.span(),
                format!(
                    "`{}` is not a semver version: {e}",
                    raw_package.version.get_ref()
                ),
                REGENERATE,
            )
        })?;
        let source =
            PackageSource::parse(raw_package.source.as_ref().map(|s| s.get_ref().as_str()))
                .map_err(|message| {
                    malformed(
                        raw_package
                            .source
                            .as_ref()
                            .map(|s| s.span())
                            .unwrap_or(header.clone()),
                        message,
                        REGENERATE,
                    )
                })?;
        let checksum_value = match (&raw_package.checksum, &raw_package.source) {
            (Some(checksum), _) => Some((checksum.get_ref().clone(), checksum.span())),
            (None, Some(src)) if format_version == 1 => {
                let id = format!(
                    "{name} {} ({})",
                    raw_package.version.get_ref(),
                    src.get_ref()
                );
                match v1_checksums.get(&id) {
                    Some(value) => match value.get_ref() {
                        toml::Value::String(s) => Some((s.clone(), value.span())),
                        _ => {
                            return Err(malformed(
                                value.span(),
                                "checksum is not a string".into(),
                                REGENERATE,
                            ))
                        }
                    },
                    None => None,
                }
            }
            _ => None,
        };
        let checksum = match checksum_value {
            // v1 writes "<none>" for packages it has no checksum for.
            Some((text, _)) if text == "<none>" => None,
            Some((text, span)) => Some(
                parse_checksum(&text).map_err(|message| malformed(span, message, REGENERATE))?,
            ),
            None => None,
        };
        if checksum.is_some() && !source.is_registry() {
            return Err(malformed(
                raw_package
                    .checksum
                    .as_ref()
                    .map(|c| c.span())
                    .unwrap_or(header.clone()),
                format!(
                    "{} package `{name}` has a checksum; only registry packages have one",
                    source.kind()
                ),
                REGENERATE,
            ));
        }
        if !seen.insert((name.clone(), version.clone(), source.clone())) {
            return Err(malformed(
                header,
                format!("package `{name}@{version}` ({source}) is listed twice"),
                REGENERATE,
            ));
        }
        let line = line_of(header.start);
        dependency_lists.push(raw_package.dependencies);
        packages.push(Package {
            name: name.clone(),
            version,
            source,
            checksum,
            workspace_member: false,
            repository: None,
            line,
            build_time: None,
            direct: false,
            out_of_scope: None,
            dev_only: false,
        });
    }
    let mut entries: Vec<(Package, Vec<toml::Spanned<String>>)> =
        packages.into_iter().zip(dependency_lists).collect();
    entries.sort_by(|(a, _), (b, _)| {
        (&a.name, &a.version, &a.source).cmp(&(&b.name, &b.version, &b.source))
    });
    let (packages, dependency_lists): (Vec<Package>, Vec<_>) = entries.into_iter().unzip();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, package) in packages.iter().enumerate() {
        by_name
            .entry(package.name.as_str())
            .or_default()
            .push(index);
    }
    let mut dependencies: Vec<Vec<Edge>> = vec![Vec::new(); packages.len()];
    for (from, list) in dependency_lists.into_iter().enumerate() {
        for entry in list {
            let to =
                resolve_dependency(entry.get_ref(), &packages, &by_name).map_err(|message| {
                    malformed(
                        entry.span(),
                        format!("dependency of `{}`: {message}", packages[from].id()),
                        REGENERATE,
                    )
                })?;
            dependencies[from].push(Edge {
                to,
                uses: Vec::new(),
                in_scope: true,
            });
        }
    }
    Ok(Inventory {
        lockfile: path.to_path_buf(),
        lockfile_version: format_version,
        packages,
        workspace_root: None,
        graph: Graph::new(GraphOrigin::Lockfile, dependencies),
        scope: super::Scope::default(),
        metadata: None,
        package_ids: HashMap::new(),
    })
}

/// The package a `dependencies` entry names: `name`, `name version` or
/// `name version (source)`; it must name exactly one.
fn resolve_dependency(
    entry: &str,
    packages: &[Package],
    by_name: &HashMap<&str, Vec<usize>>,
) -> Result<usize, String> {
    let (name, rest) = entry.split_once(' ').unwrap_or((entry, ""));
    let (version, source) = match rest.split_once(' ') {
        Some((version, source)) => (version, Some(source)),
        None => (rest, None),
    };
    let version = match version {
        "" => None,
        text => Some(
            semver::Version::parse(text)
                .map_err(|e| format!("`{entry}` has no valid version: {e}"))?,
        ),
    };
    let source = match source {
        None => None,
        Some(text) => {
            let inner = text
                .strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
                .ok_or_else(|| format!("`{entry}` is not `name version (source)`"))?;
            Some(PackageSource::parse(Some(inner))?)
        }
    };
    let candidates: Vec<usize> = by_name
        .get(name)
        .into_iter()
        .flatten()
        .copied()
        .filter(|&i| version.as_ref().is_none_or(|v| &packages[i].version == v))
        .filter(|&i| source.as_ref().is_none_or(|s| &packages[i].source == s))
        .collect();
    match candidates[..] {
        [one] => Ok(one),
        [] => Err(format!("`{entry}` names no package of the lockfile")),
        _ => Err(format!(
            "`{entry}` names {} packages of the lockfile; cargo writes the version (and source) when a name is not enough",
            candidates.len()
        )),
    }
}

/// A checksum as cargo writes it: 64 lowercase hex digits.
fn parse_checksum(text: &str) -> Result<Sha256Hash, String> {
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "checksum `{}` is not 64 hex digits (the SHA-256 of the .crate file)",
            truncate(text, 80)
        ));
    }
    Sha256Hash::from_hex(&text.to_ascii_lowercase()).map_err(|e| e.to_string())
}

/// Package names as cargo and crates.io accept them
/// ([`crate::names::is_package_name`]: ASCII letters, digits, `-` and `_`,
/// at most 64 characters). Anything else (a `/`, `..`, a NUL) could not
/// have come from cargo and must never reach a file path.
pub fn is_valid_package_name(name: &str) -> bool {
    crate::names::is_package_name(name)
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max).collect();
        s.push('…');
        s
    }
}
