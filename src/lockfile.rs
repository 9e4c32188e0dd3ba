//! The lockfile inventory: every package of a `Cargo.lock`, with the facts
//! provenance is checked against (name, version, source and the SHA-256 of
//! the `.crate` file).
//!
//! Two ways in:
//! - [`Inventory::from_lockfile`] reads a bare lockfile, with no manifest and
//!   no cargo call (audits of existing lockfiles);
//! - [`Inventory::from_workspace`] asks cargo (through `$CARGO`, with
//!   `--locked`, so the lockfile is never changed) where the workspace and its
//!   lockfile are, which packages are workspace members and what repository
//!   each dependency declares.
//!
//! Cargo.lock formats v1 to v4 are read. v1 keeps checksums in a `[metadata]`
//! table; v2 and later keep them on each package.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::{Deserialize, Serialize};
use sigstore_types::Sha256Hash;

/// The crates.io index as cargo writes it into lockfiles.
pub const CRATES_IO_INDEX: &str = "https://github.com/rust-lang/crates.io-index";
/// The crates.io sparse index.
pub const CRATES_IO_SPARSE_INDEX: &str = "https://index.crates.io/";

/// Lockfiles larger than this are refused rather than read into memory: a
/// real lockfile takes about 250 bytes per package (10,000 packages: 2.5
/// MiB), while parsing TOML made of tiny tables takes up to 35 times its
/// size in memory, so this keeps the worst case near half a GiB.
pub const MAX_LOCKFILE_BYTES: u64 = 16 * 1024 * 1024;
/// More packages than this in one lockfile is not a real dependency graph
/// (and would not fit in [`MAX_LOCKFILE_BYTES`] as cargo writes them).
pub const MAX_PACKAGES: usize = 50_000;

/// Where a package comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PackageSource {
    /// The crates.io registry.
    CratesIo,
    /// Another registry (`registry+URL` or `sparse+URL`).
    Registry { url: String },
    /// A git repository; `rev` is the locked commit.
    Git { url: String, rev: Option<String> },
    /// A local path (no source in the lockfile): a workspace member or a path
    /// dependency.
    Path,
}

impl PackageSource {
    /// Parse the `source` string of a lockfile package (`None`: a path package).
    pub fn parse(source: Option<&str>) -> Result<Self, String> {
        let Some(source) = source else {
            return Ok(Self::Path);
        };
        if let Some(url) = source.strip_prefix("registry+") {
            return Ok(if url == CRATES_IO_INDEX {
                Self::CratesIo
            } else {
                Self::Registry { url: url.into() }
            });
        }
        if let Some(url) = source.strip_prefix("sparse+") {
            return Ok(if url == CRATES_IO_SPARSE_INDEX {
                Self::CratesIo
            } else {
                Self::Registry { url: url.into() }
            });
        }
        if let Some(rest) = source.strip_prefix("git+") {
            let (url, rev) = match rest.split_once('#') {
                Some((url, rev)) => (url, Some(rev.to_string())),
                None => (rest, None),
            };
            return Ok(Self::Git {
                url: url.into(),
                rev,
            });
        }
        if source.starts_with("path+") {
            return Ok(Self::Path);
        }
        Err(format!(
            "unknown source kind `{source}` (expected registry+, sparse+, git+ or path+)"
        ))
    }

    /// A short word for the kind of source: `crates-io`, `registry`, `git`, `path`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CratesIo => "crates-io",
            Self::Registry { .. } => "registry",
            Self::Git { .. } => "git",
            Self::Path => "path",
        }
    }

    /// Whether the package comes from a registry, whose `.crate` file has a checksum.
    pub fn is_registry(&self) -> bool {
        matches!(self, Self::CratesIo | Self::Registry { .. })
    }
}

impl fmt::Display for PackageSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CratesIo => f.write_str("crates.io"),
            Self::Registry { url } => write!(f, "registry {url}"),
            Self::Git {
                url,
                rev: Some(rev),
            } => write!(f, "git {url}#{rev}"),
            Self::Git { url, rev: None } => write!(f, "git {url}"),
            Self::Path => f.write_str("path"),
        }
    }
}

/// One package of the lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: semver::Version,
    pub source: PackageSource,
    /// SHA-256 of the `.crate` file; registry packages only.
    #[serde(with = "opt_sha256_hex")]
    pub checksum: Option<Sha256Hash>,
    /// A member of the workspace being checked: built here, needs no provenance.
    pub workspace_member: bool,
    /// The `repository` its manifest declares, when cargo metadata told us.
    pub repository: Option<String>,
    /// 1-based line of the package's `[[package]]` header in the lockfile.
    pub line: u32,
}

impl Package {
    /// `name@version`, the way cargo names a package.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// Why this package cannot have provenance for a `.crate` file, if it cannot.
    pub fn checksum_absence(&self) -> Option<ChecksumAbsence> {
        if self.checksum.is_some() {
            return None;
        }
        Some(if self.workspace_member {
            ChecksumAbsence::WorkspaceMember
        } else {
            match self.source {
                PackageSource::Git { .. } => ChecksumAbsence::Git,
                PackageSource::Path => ChecksumAbsence::Path,
                PackageSource::CratesIo | PackageSource::Registry { .. } => {
                    ChecksumAbsence::MissingFromLockfile
                }
            }
        })
    }
}

/// Why a package has no `.crate` checksum to look provenance up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChecksumAbsence {
    /// Part of the workspace being checked.
    WorkspaceMember,
    /// A git dependency: built from source, there is no `.crate` file.
    Git,
    /// A path dependency outside the workspace.
    Path,
    /// A registry package whose lockfile entry has no checksum: cannot be
    /// checked, which is never a pass.
    MissingFromLockfile,
}

/// The packages of one lockfile.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    pub lockfile: PathBuf,
    /// Lockfile format version (1 to 4).
    pub format_version: u32,
    /// Sorted by name, then version, then source.
    pub packages: Vec<Package>,
    /// The workspace root, when the inventory came through cargo metadata.
    pub workspace_root: Option<PathBuf>,
}

/// A lockfile that could not be read.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum LockfileError {
    #[error("cannot read lockfile {}: {source}", path.display())]
    #[diagnostic(
        code("lockfile-unreadable"),
        help("pass the path of an existing Cargo.lock with --lockfile, or run `cargo generate-lockfile`")
    )]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("lockfile {} is {size} bytes, over the {max}-byte limit", path.display())]
    #[diagnostic(
        code("lockfile-too-large"),
        help("this is not a Cargo.lock a real workspace produces; check the path")
    )]
    TooLarge { path: PathBuf, size: u64, max: u64 },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Malformed(Box<MalformedLockfile>),
}

/// A lockfile that is not valid: where, and what is wrong.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("malformed lockfile {}, line {line}: {message}", path.display())]
#[diagnostic(code("lockfile-malformed"), help("{help}"))]
pub struct MalformedLockfile {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
    pub help: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("{message}")]
    pub span: SourceSpan,
}

/// A workspace whose lockfile cargo could not tell us about.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum WorkspaceError {
    #[error("could not run `{cargo} metadata`: {source}")]
    #[diagnostic(
        code("cargo-metadata-failed"),
        help("set $CARGO to a working cargo, or audit the lockfile alone with --lockfile PATH")
    )]
    Spawn {
        cargo: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`cargo metadata --locked` failed for {manifest}:\n{stderr}")]
    #[diagnostic(
        code("cargo-metadata-failed"),
        help("if the lockfile is missing or out of date, run `cargo generate-lockfile` or `cargo update` yourself (this tool never changes it); to audit the lockfile as it is, pass --lockfile PATH")
    )]
    Failed { manifest: String, stderr: String },
    #[error("`cargo metadata` printed output that is not valid metadata: {0}")]
    #[diagnostic(code("cargo-metadata-failed"))]
    BadOutput(String),
    #[error("the workspace at {} has no Cargo.lock", root.display())]
    #[diagnostic(
        code("lockfile-missing"),
        help("run `cargo generate-lockfile` to create one, then check it in")
    )]
    NoLockfile { root: PathBuf },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Lockfile(#[from] LockfileError),
}

/// How cargo should be asked about the workspace.
#[derive(Debug, Clone, Default)]
pub struct MetadataOptions {
    /// `--manifest-path`; the current directory's manifest when `None`.
    pub manifest_path: Option<PathBuf>,
    /// Pass `--offline` to cargo (no index or crate downloads).
    pub offline: bool,
}

impl Inventory {
    /// Read a bare lockfile.
    pub fn from_lockfile(path: &Path) -> Result<Self, LockfileError> {
        let text = read_bounded(path)?;
        parse_lockfile(path, text)
    }

    /// Find the workspace through `cargo metadata` and read its lockfile.
    ///
    /// Cargo is `$CARGO` (set by cargo when it runs a subcommand), else
    /// `cargo` on `PATH`. It runs with `--locked`, so a missing or stale
    /// lockfile is an error instead of being rewritten.
    pub fn from_workspace(options: &MetadataOptions) -> Result<Self, WorkspaceError> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let mut command = Command::new(&cargo);
        command.args(["metadata", "--format-version", "1", "--locked"]);
        if options.offline {
            command.arg("--offline");
        }
        if let Some(manifest) = &options.manifest_path {
            command.arg("--manifest-path").arg(manifest);
        }
        let output = command.output().map_err(|source| WorkspaceError::Spawn {
            cargo: cargo.clone(),
            source,
        })?;
        if !output.status.success() {
            return Err(WorkspaceError::Failed {
                manifest: options
                    .manifest_path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "the current directory".into()),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        let metadata: Metadata = serde_json::from_slice(&output.stdout)
            .map_err(|e| WorkspaceError::BadOutput(e.to_string()))?;
        let lockfile = metadata.workspace_root.join("Cargo.lock");
        if !lockfile.is_file() {
            return Err(WorkspaceError::NoLockfile {
                root: metadata.workspace_root,
            });
        }
        let mut inventory = Self::from_lockfile(&lockfile)?;
        inventory.workspace_root = Some(metadata.workspace_root.clone());
        inventory.apply_metadata(&metadata);
        Ok(inventory)
    }

    /// Mark workspace members and record declared repositories.
    fn apply_metadata(&mut self, metadata: &Metadata) {
        let members: std::collections::HashSet<&str> = metadata
            .workspace_members
            .iter()
            .map(String::as_str)
            .collect();
        // name@version → (is member, repository); several sources may share a
        // name and version, in which case the source string disambiguates.
        let mut by_key: HashMap<(&str, &str), Vec<&MetadataPackage>> = HashMap::new();
        for package in &metadata.packages {
            by_key
                .entry((package.name.as_str(), package.version.as_str()))
                .or_default()
                .push(package);
        }
        for package in &mut self.packages {
            let version = package.version.to_string();
            let Some(candidates) = by_key.get(&(package.name.as_str(), version.as_str())) else {
                continue;
            };
            let matching = candidates.iter().find(|candidate| {
                PackageSource::parse(candidate.source.as_deref())
                    .ok()
                    .as_ref()
                    == Some(&package.source)
            });
            if let Some(found) = matching {
                package.workspace_member = members.contains(found.id.as_str());
                package.repository = found.repository.clone();
            }
        }
    }

    /// Packages that need provenance: everything but workspace members.
    pub fn dependencies(&self) -> impl Iterator<Item = &Package> {
        self.packages.iter().filter(|p| !p.workspace_member)
    }
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetadataPackage>,
    workspace_members: Vec<String>,
    workspace_root: PathBuf,
}

#[derive(Deserialize)]
struct MetadataPackage {
    name: String,
    version: String,
    id: String,
    source: Option<String>,
    repository: Option<String>,
}

fn read_bounded(path: &Path) -> Result<String, LockfileError> {
    let io = |source| LockfileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = crate::limits::read_at_most(path, MAX_LOCKFILE_BYTES)
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
}

/// Parse lockfile text. `path` is only used in errors.
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
        packages.push(Package {
            name: name.clone(),
            version,
            source,
            checksum,
            workspace_member: false,
            repository: None,
            line,
        });
    }
    packages
        .sort_by(|a, b| (&a.name, &a.version, &a.source).cmp(&(&b.name, &b.version, &b.source)));
    Ok(Inventory {
        lockfile: path.to_path_buf(),
        format_version,
        packages,
        workspace_root: None,
    })
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

/// Package names as cargo and crates.io accept them: ASCII letters, digits,
/// `-` and `_`, at most 64 characters. Anything else (a `/`, `..`, a NUL)
/// could not have come from cargo and must never reach a file path.
pub fn is_valid_package_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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

mod opt_sha256_hex {
    use serde::{Deserialize, Deserializer, Serializer};
    use sigstore_types::Sha256Hash;

    pub fn serialize<S: Serializer>(v: &Option<Sha256Hash>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(h) => s.serialize_some(&h.to_hex()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Sha256Hash>, D::Error> {
        let v: Option<String> = Option::deserialize(d)?;
        v.map(|h| Sha256Hash::from_hex(&h).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Inventory, LockfileError> {
        parse_lockfile(Path::new("Cargo.lock"), text.to_string())
    }

    const SUM_A: &str = "d1a8c9dd2a8b5bfb3d3a7e7a1e4a5d2b7c0b9e8f7a6b5c4d3e2f1a0b9c8d7e6f";
    const SUM_B: &str = "0000000000000000000000000000000000000000000000000000000000000001";

    #[test]
    fn v4_with_every_kind_of_source() {
        let text = format!(
            r#"# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["serde", "mygit", "local"]

[[package]]
name = "serde"
version = "1.0.210"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "{SUM_A}"

[[package]]
name = "internal"
version = "2.0.0-rc.1"
source = "sparse+https://crates.example.com/index/"
checksum = "{SUM_B}"

[[package]]
name = "mygit"
version = "0.3.0"
source = "git+https://github.com/example/mygit?branch=main#0123456789abcdef0123456789abcdef01234567"

[[package]]
name = "local"
version = "0.0.1"
"#
        );
        let inv = parse(&text).unwrap();
        assert_eq!(inv.format_version, 4);
        let names: Vec<_> = inv.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["app", "internal", "local", "mygit", "serde"]);
        let serde = inv.packages.iter().find(|p| p.name == "serde").unwrap();
        assert_eq!(serde.source, PackageSource::CratesIo);
        assert_eq!(serde.checksum.unwrap().to_hex(), SUM_A);
        assert_eq!(serde.line, 9);
        let internal = inv.packages.iter().find(|p| p.name == "internal").unwrap();
        assert_eq!(
            internal.source,
            PackageSource::Registry {
                url: "https://crates.example.com/index/".into()
            }
        );
        assert_eq!(internal.version.to_string(), "2.0.0-rc.1");
        let git = inv.packages.iter().find(|p| p.name == "mygit").unwrap();
        assert_eq!(
            git.source,
            PackageSource::Git {
                url: "https://github.com/example/mygit?branch=main".into(),
                rev: Some("0123456789abcdef0123456789abcdef01234567".into())
            }
        );
        assert_eq!(git.checksum_absence(), Some(ChecksumAbsence::Git));
        let local = inv.packages.iter().find(|p| p.name == "local").unwrap();
        assert_eq!(local.checksum_absence(), Some(ChecksumAbsence::Path));
    }

    #[test]
    fn v3_reads_inline_checksums() {
        let text = format!(
            "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{SUM_A}\"\n"
        );
        let inv = parse(&text).unwrap();
        assert_eq!(inv.format_version, 3);
        assert_eq!(inv.packages[0].checksum.unwrap().to_hex(), SUM_A);
    }

    #[test]
    fn v2_has_no_version_key() {
        let text = format!(
            "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{SUM_A}\"\n"
        );
        let inv = parse(&text).unwrap();
        assert_eq!(inv.format_version, 2);
        assert!(inv.packages[0].checksum.is_some());
    }

    #[test]
    fn v1_reads_checksums_from_metadata() {
        let text = format!(
            r#"[[package]]
name = "a"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "b"
version = "0.2.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "c"
version = "0.3.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum a 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)" = "{SUM_A}"
"checksum b 0.2.0 (registry+https://github.com/rust-lang/crates.io-index)" = "<none>"
"#
        );
        let inv = parse(&text).unwrap();
        assert_eq!(inv.format_version, 1);
        assert_eq!(inv.packages[0].checksum.unwrap().to_hex(), SUM_A);
        assert_eq!(
            inv.packages[1].checksum_absence(),
            Some(ChecksumAbsence::MissingFromLockfile)
        );
        assert_eq!(
            inv.packages[2].checksum_absence(),
            Some(ChecksumAbsence::MissingFromLockfile)
        );
    }

    #[test]
    fn malformed_toml_names_file_and_line() {
        let err = parse("version = 4\n\n[[package]]\nname = \"a\"\nversion = \n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("Cargo.lock"), "{text}");
        assert!(text.contains("line 5"), "{text}");
    }

    #[test]
    fn bad_values_are_errors_with_their_line() {
        let cases = [
            ("name = \"../etc\"\nversion = \"1.0.0\"\n", "not a valid package name", 4),
            ("name = \"a\"\nversion = \"1.0\"\n", "not a semver version", 5),
            (
                "name = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"abc\"\n",
                "not 64 hex digits",
                7,
            ),
            (
                "name = \"a\"\nversion = \"1.0.0\"\nsource = \"ftp+x\"\n",
                "unknown source kind",
                6,
            ),
            (
                &format!("name = \"a\"\nversion = \"1.0.0\"\nchecksum = \"{SUM_A}\"\n"),
                "only registry packages have one",
                6,
            ),
        ];
        for (body, needle, line) in cases {
            let text = format!("version = 4\n\n[[package]]\n{body}");
            let err = parse(&text).unwrap_err();
            let message = err.to_string();
            assert!(message.contains(needle), "{message}");
            assert!(message.contains(&format!("line {line}")), "{message}");
        }
    }

    #[test]
    fn unsupported_version_and_duplicates_are_errors() {
        let err = parse("version = 9\n").unwrap_err().to_string();
        assert!(err.contains("unsupported lockfile version 9"), "{err}");
        let dup = "version = 4\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
        let err = parse(dup).unwrap_err().to_string();
        assert!(err.contains("listed twice"), "{err}");
    }

    #[test]
    fn missing_fields_are_errors() {
        let err = parse("version = 4\n[[package]]\nname = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("version"), "{err}");
    }
}
