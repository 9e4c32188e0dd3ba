//! The lockfile inventory: every package of a `Cargo.lock`, with the facts
//! provenance is checked against (name, version, source and the SHA-256 of
//! the `.crate` file).
//!
//! Two ways in:
//! - [`Inventory::from_lockfile`] reads a bare lockfile, with no manifest and
//!   no cargo call (audits of existing lockfiles); its dependency graph
//!   comes from the lockfile's `dependencies` lists;
//! - [`Inventory::from_workspace`] asks cargo (through `$CARGO`, with
//!   `--locked`, so the lockfile is never changed) where the workspace and its
//!   lockfile are, which packages are workspace members, what repository
//!   each dependency declares, which run code at build time, and the
//!   dependency graph with kinds and platforms (`metadata`).
//!
//! `graph` holds the graph: the scope of a run (targets, dev-dependencies)
//! and the shortest path from a workspace member to every package.
//!
//! Cargo.lock formats v1 to v4 are read. v1 keeps checksums in a `[metadata]`
//! table; v2 and later keep them on each package.

mod graph;
mod metadata;
mod parse;
mod tree;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::{Deserialize, Serialize};
use sigstore_types::Sha256Hash;

pub use graph::{DepKind, DepUse, Edge, Graph, GraphOrigin, OutOfScope, Scope};
pub use metadata::MetadataOptions;
pub use parse::{is_valid_package_name, parse_lockfile};

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

/// A lockfile's `source` of a kind cargo does not write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown source kind `{0}` (expected registry+, sparse+, git+ or path+)")]
pub struct UnknownSource(pub String);

impl PackageSource {
    /// Parse the `source` string of a lockfile package (`None`: a path package).
    pub fn parse(source: Option<&str>) -> Result<Self, UnknownSource> {
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
        Err(UnknownSource(source.to_string()))
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
    /// The code it runs on the machine that builds it; `None`: unknown
    /// (a bare lockfile does not say).
    #[serde(default)]
    pub build_time: Option<BuildTime>,
    /// A workspace member depends on it directly (through an edge in scope).
    #[serde(default)]
    pub direct: bool,
    /// Why it is not part of the build being checked; `None`: it is.
    #[serde(default)]
    pub out_of_scope: Option<OutOfScope>,
    /// In scope, but only dev-dependencies bring it in (tests, benches,
    /// examples); never set when the graph does not know dependency kinds.
    #[serde(default)]
    pub dev_only: bool,
}

/// The code a package runs on the machine that builds it, before any test
/// runs: a compromised one owns the build machine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildTime {
    /// A procedural macro: runs inside the compiler.
    pub proc_macro: bool,
    /// A build script (`build.rs`): runs before the package is compiled.
    pub build_script: bool,
}

impl BuildTime {
    /// Whether it runs any code at build time.
    pub fn any(self) -> bool {
        self.proc_macro || self.build_script
    }
}

impl Package {
    /// `name@version`, the way cargo names a package.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// Whether provenance is looked up for it: in scope, not a workspace member.
    pub fn needs_provenance(&self) -> bool {
        !self.workspace_member && self.out_of_scope.is_none()
    }

    /// Whether it runs code at build time; `None`: unknown.
    pub fn runs_at_build_time(&self) -> Option<bool> {
        self.build_time.map(BuildTime::any)
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

/// The version of the inventory's JSON document (`inventory
/// --message-format json`); raised on incompatible changes.
pub const INVENTORY_FORMAT_VERSION: u32 = 1;

/// The packages of one lockfile.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    pub lockfile: PathBuf,
    /// Cargo.lock's own format version (1 to 4).
    pub lockfile_version: u32,
    /// Sorted by name, then version, then source.
    pub packages: Vec<Package>,
    /// The workspace root, when the inventory came through cargo metadata.
    pub workspace_root: Option<PathBuf>,
    /// Which packages depend on which (serialized as where it came from).
    pub graph: Graph,
    /// The part of the graph that is checked.
    pub scope: Scope,
    /// How cargo was asked (to ask again for each target); `None` for a
    /// bare lockfile.
    #[serde(skip)]
    metadata: Option<MetadataOptions>,
    /// The position in `packages` of each of cargo's package IDs.
    #[serde(skip)]
    package_ids: HashMap<String, usize>,
}

/// The inventory as `inventory --message-format json` writes it: the
/// document's own `format_version` ([`INVENTORY_FORMAT_VERSION`]), then
/// the inventory's fields.
#[derive(Debug, Serialize)]
pub struct InventoryDocument<'a> {
    pub format_version: u32,
    #[serde(flatten)]
    pub inventory: &'a Inventory,
}

impl<'a> InventoryDocument<'a> {
    pub fn new(inventory: &'a Inventory) -> Self {
        Self {
            format_version: INVENTORY_FORMAT_VERSION,
            inventory,
        }
    }
}

/// A lockfile that could not be read.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum LockfileError {
    #[error("cannot read lockfile {}", path.display())]
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
    #[error("lockfile {} lists no packages: there is nothing to check", path.display())]
    #[diagnostic(
        code("lockfile-empty"),
        help("a Cargo.lock cargo writes lists at least the workspace's own packages: check the path, or regenerate it with `cargo generate-lockfile`")
    )]
    Empty { path: PathBuf },
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
    #[error("could not run `{cargo} metadata`")]
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
    #[diagnostic(code("cargo-metadata-failed"), help("{help}"))]
    Failed {
        manifest: String,
        stderr: String,
        /// What to do, for the cause cargo named.
        help: String,
    },
    #[error("`cargo tree --locked` failed for {manifest}:\n{stderr}")]
    #[diagnostic(
        code("cargo-tree-failed"),
        help("`--target` and `[graph] targets` take target triples rustc knows (`rustc --print target-list`); without a target's standard library installed, cargo can still tell what it builds")
    )]
    TreeFailed { manifest: String, stderr: String },
    #[error(
        "`cargo tree` printed a line this tool does not understand (line {line}: {reason}): {text}"
    )]
    #[diagnostic(
        code("cargo-tree-unreadable"),
        help("the scope cannot be decided from it, so nothing is left out; check that $CARGO is cargo, or report the line")
    )]
    TreeUnreadable {
        line: usize,
        reason: &'static str,
        /// The line, cut to a readable length.
        text: String,
    },
    #[error("no random marker for `cargo tree`'s output: {0}")]
    #[diagnostic(code("cargo-tree-failed"))]
    NoMarker(String),
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

impl Inventory {
    /// Read a bare lockfile. Its graph comes from the `dependencies` lists;
    /// the workspace roots are the packages without a source that nothing
    /// depends on (the lockfile's own package, or the top of a workspace),
    /// marked as workspace members.
    pub fn from_lockfile(path: &Path) -> Result<Self, LockfileError> {
        let text = parse::read_bounded(path)?;
        let mut inventory = parse_lockfile(path, text)?;
        let mut depended_on = vec![false; inventory.packages.len()];
        for edges in &inventory.graph.dependencies {
            for edge in edges {
                depended_on[edge.to] = true;
            }
        }
        for (package, depended_on) in inventory.packages.iter_mut().zip(depended_on) {
            if package.source == PackageSource::Path && !depended_on {
                package.workspace_member = true;
            }
        }
        inventory.apply_scope_with(&Scope::default(), None);
        Ok(inventory)
    }

    /// Limit the inventory to `scope`: every package outside it gets the
    /// reason, and the shortest paths and direct dependencies are found
    /// again over the edges in scope. For targets, cargo is asked once per
    /// target (see [`Inventory::from_workspace`]).
    ///
    /// A bare lockfile knows no dependency kinds or platforms: it cannot be
    /// limited, and asking is an error ([`ScopeError::NoGraph`]).
    pub fn apply_scope(&mut self, scope: &Scope) -> Result<(), ScopeError> {
        if scope.is_everything() {
            self.apply_scope_with(scope, None);
            return Ok(());
        }
        let Some(options) = self.metadata.clone() else {
            return Err(ScopeError::NoGraph);
        };
        let active = if scope.targets.is_empty() {
            None
        } else {
            Some(self.active_edges(&options, &scope.targets)?)
        };
        self.apply_scope_with(scope, active.as_ref());
        Ok(())
    }

    fn apply_scope_with(&mut self, scope: &Scope, active: Option<&graph::ActiveEdges>) {
        let roots: Vec<usize> = self.roots().collect();
        let scoped = self.graph.scope(&roots, scope, active);
        for (((package, out_of_scope), direct), dev_only) in self
            .packages
            .iter_mut()
            .zip(scoped.out_of_scope)
            .zip(scoped.direct)
            .zip(scoped.dev_only)
        {
            package.out_of_scope = out_of_scope;
            package.direct = direct;
            package.dev_only = dev_only;
        }
        self.scope = scope.clone();
    }

    /// The positions of the workspace members: where every path starts.
    pub fn roots(&self) -> impl Iterator<Item = usize> + '_ {
        self.packages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.workspace_member)
            .map(|(i, _)| i)
    }

    /// The shortest path from a workspace member to the package at
    /// `index`, as positions (see `Graph::path_to`).
    pub fn path_to(&self, index: usize) -> Vec<usize> {
        self.graph
            .path_to(index, |i| self.packages[i].workspace_member)
    }

    /// Up to `limit` paths from a workspace member to the package at
    /// `index`, and how many there are (see `Graph::paths_to`).
    pub fn paths_to(&self, index: usize, limit: usize) -> (Vec<Vec<usize>>, u64) {
        self.graph
            .paths_to(index, limit, |i| self.packages[i].workspace_member)
    }

    /// A path as package IDs (`name@version`).
    pub fn path_ids(&self, path: &[usize]) -> Vec<String> {
        path.iter().map(|&i| self.packages[i].id()).collect()
    }

    /// Packages that need provenance: everything in scope but workspace members.
    pub fn dependencies(&self) -> impl Iterator<Item = &Package> {
        self.packages.iter().filter(|p| p.needs_provenance())
    }
}

/// A scope that could not be applied.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ScopeError {
    #[error("a bare lockfile does not say how each dependency is used or on which platforms, so it cannot be limited to targets or leave out dev-dependencies")]
    #[diagnostic(
        code("scope-needs-workspace"),
        help("drop --target and --no-dev (and `[graph]` from the policy) to check every package of the lockfile, or check the workspace itself (--manifest-path) so that cargo can tell")
    )]
    NoGraph,
    #[error(transparent)]
    #[diagnostic(transparent)]
    Workspace(#[from] Box<WorkspaceError>),
}

impl From<WorkspaceError> for ScopeError {
    fn from(error: WorkspaceError) -> Self {
        Self::Workspace(Box::new(error))
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
mod tests;
