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
///
/// Read in stages: the TOML, the format version and package count, each
/// package (its name, version, source and checksum), then the
/// `dependencies` lists resolved into the graph.
pub fn parse_lockfile(path: &Path, text: String) -> Result<Inventory, LockfileError> {
    let lockfile = LockText::new(path, &text);
    let raw: RawLockfile = toml::from_str(&text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        lockfile.malformed(span, e.message().to_string(), REGENERATE)
    })?;
    let format_version = lockfile.format_version(&raw)?;
    // Even a workspace without dependencies lists its own packages: a
    // lockfile with none would pass any policy without checking anything.
    if raw.package.is_empty() {
        return Err(LockfileError::Empty {
            path: path.to_path_buf(),
        });
    }
    if raw.package.len() > MAX_PACKAGES {
        return Err(lockfile.malformed(
            0..0,
            format!(
                "{} packages, over the limit of {MAX_PACKAGES}",
                raw.package.len()
            ),
            REGENERATE,
        ));
    }
    let checksums = Checksums {
        format_version,
        v1: v1_checksums(raw.metadata),
    };
    let mut entries = Vec::with_capacity(raw.package.len());
    let mut seen = std::collections::HashSet::new();
    for entry in raw.package {
        let header = entry.span();
        let (package, dependencies) = lockfile.package(entry, &checksums)?;
        if !seen.insert((
            package.name.clone(),
            package.version.clone(),
            package.source.clone(),
        )) {
            return Err(lockfile.malformed(
                header,
                format!(
                    "package `{}@{}` ({}) is listed twice",
                    package.name, package.version, package.source
                ),
                REGENERATE,
            ));
        }
        entries.push((package, dependencies));
    }
    entries.sort_by(|(a, _), (b, _)| {
        (&a.name, &a.version, &a.source).cmp(&(&b.name, &b.version, &b.source))
    });
    let (packages, dependency_lists): (Vec<Package>, Vec<_>) = entries.into_iter().unzip();
    let dependencies = lockfile.resolve_graph(&packages, dependency_lists)?;
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

const REGENERATE: &str =
    "this is not a lockfile cargo wrote; restore it from version control or regenerate it with `cargo generate-lockfile`";

/// The lockfile's text, with what its errors need: its path and its lines.
struct LockText<'a> {
    path: &'a Path,
    text: &'a str,
    /// Where each line starts: line numbers by binary search, since
    /// counting newlines from the top for every package would be quadratic
    /// in the file size.
    line_starts: Vec<usize>,
}

/// Where a package's checksum is: its own `checksum`, or (v1) the
/// `[metadata]` table.
struct Checksums {
    format_version: u32,
    /// v1: `"checksum NAME VERSION (SOURCE)" = "HEX"` in [metadata], by
    /// `NAME VERSION (SOURCE)`.
    v1: HashMap<String, toml::Spanned<toml::Value>>,
}

impl<'a> LockText<'a> {
    fn new(path: &'a Path, text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            path,
            text,
            line_starts,
        }
    }

    /// The 1-based line `offset` is on.
    fn line_of(&self, offset: usize) -> u32 {
        let line = self.line_starts.partition_point(|&start| start <= offset);
        u32::try_from(line).unwrap_or(u32::MAX)
    }

    fn malformed(
        &self,
        span: std::ops::Range<usize>,
        message: String,
        help: &str,
    ) -> LockfileError {
        LockfileError::Malformed(Box::new(MalformedLockfile {
            path: self.path.to_path_buf(),
            line: self.line_of(span.start.min(self.text.len())) as usize,
            message,
            help: help.to_string(),
            src: NamedSource::new(self.path.display().to_string(), self.text.to_string()),
            span: span.into(),
        }))
    }

    /// The format version: 3 and 4 say so; v1 and v2 carry no version
    /// key, and v1 keeps checksums in `[metadata]`.
    fn format_version(&self, raw: &RawLockfile) -> Result<u32, LockfileError> {
        match &raw.version {
            None if raw.metadata.keys().any(|k| k.starts_with("checksum ")) => Ok(1),
            None => Ok(2),
            Some(v) if (3..=4).contains(v.get_ref()) => Ok(*v.get_ref() as u32),
            Some(v) => Err(self.malformed(
                v.span(),
                format!("unsupported lockfile version {}", v.get_ref()),
                "this tool reads Cargo.lock versions 1 to 4; a newer cargo may have written it",
            )),
        }
    }

    /// One `[[package]]`: its name, version, source and checksum checked,
    /// and its `dependencies` list as written.
    fn package(
        &self,
        entry: toml::Spanned<RawPackage>,
        checksums: &Checksums,
    ) -> Result<(Package, Vec<toml::Spanned<String>>), LockfileError> {
        let header = entry.span();
        let raw = entry.into_inner();
        let name = raw.name.get_ref();
        if !is_valid_package_name(name) {
            return Err(self.malformed(
                raw.name.span(),
                format!("`{name}` is not a valid package name"),
                REGENERATE,
            ));
        }
        let version = semver::Version::parse(raw.version.get_ref()).map_err(|e| {
            self.malformed(
                raw.version.span(),
                format!("`{}` is not a semver version: {e}", raw.version.get_ref()),
                REGENERATE,
            )
        })?;
        let source = PackageSource::parse(raw.source.as_ref().map(|s| s.get_ref().as_str()))
            .map_err(|message| {
                let span = raw.source.as_ref().map_or(header.clone(), |s| s.span());
                self.malformed(span, message.to_string(), REGENERATE)
            })?;
        let checksum = self.checksum(&raw, checksums)?;
        if checksum.is_some() && !source.is_registry() {
            return Err(self.malformed(
                raw.checksum.as_ref().map_or(header.clone(), |c| c.span()),
                format!(
                    "{} package `{name}` has a checksum; only registry packages have one",
                    source.kind()
                ),
                REGENERATE,
            ));
        }
        let package = Package {
            name: name.clone(),
            version,
            source,
            checksum,
            workspace_member: false,
            repository: None,
            line: self.line_of(header.start),
            build_time: None,
            direct: false,
            out_of_scope: None,
            dev_only: false,
        };
        Ok((package, raw.dependencies))
    }

    /// A package's checksum: its own, or (v1) the one `[metadata]` holds
    /// for it; v1's `<none>` is none.
    fn checksum(
        &self,
        raw: &RawPackage,
        checksums: &Checksums,
    ) -> Result<Option<Sha256Hash>, LockfileError> {
        let written = match (&raw.checksum, &raw.source) {
            (Some(checksum), _) => Some((checksum.get_ref().clone(), checksum.span())),
            (None, Some(source)) if checksums.format_version == 1 => {
                let id = format!(
                    "{} {} ({})",
                    raw.name.get_ref(),
                    raw.version.get_ref(),
                    source.get_ref()
                );
                match checksums.v1.get(&id) {
                    Some(value) => match value.get_ref() {
                        toml::Value::String(s) => Some((s.clone(), value.span())),
                        _ => {
                            return Err(self.malformed(
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
        match written {
            // v1 writes "<none>" for packages it has no checksum for.
            Some((text, _)) if text == "<none>" => Ok(None),
            Some((text, span)) => parse_checksum(&text)
                .map(Some)
                .map_err(|message| self.malformed(span, message, REGENERATE)),
            None => Ok(None),
        }
    }

    /// The graph's edges: each package's `dependencies` entries, resolved
    /// to the one package each names.
    fn resolve_graph(
        &self,
        packages: &[Package],
        dependency_lists: Vec<Vec<toml::Spanned<String>>>,
    ) -> Result<Vec<Vec<Edge>>, LockfileError> {
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
                    resolve_dependency(entry.get_ref(), packages, &by_name).map_err(|message| {
                        self.malformed(
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
        Ok(dependencies)
    }
}

/// v1's checksums in `[metadata]`, by `NAME VERSION (SOURCE)`.
fn v1_checksums(
    metadata: BTreeMap<String, toml::Spanned<toml::Value>>,
) -> HashMap<String, toml::Spanned<toml::Value>> {
    metadata
        .into_iter()
        .filter_map(|(key, value)| Some((key.strip_prefix("checksum ")?.to_string(), value)))
        .collect()
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
            Some(PackageSource::parse(Some(inner)).map_err(|e| e.to_string())?)
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
/// (`names::is_package_name`: ASCII letters, digits, `-` and `_`,
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
