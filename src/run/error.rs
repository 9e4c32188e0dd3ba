//! What stops a run before it decides anything.

use std::fmt;

use miette::{Diagnostic, LabeledSpan, Severity, SourceCode};

use crate::cache::CacheError;
use crate::fetch::FetchError;
use crate::lockfile::{LockfileError, ScopeError, WorkspaceError};
use crate::policy::PolicyLoadError;
use crate::trust::TrustRootError;

/// Why a run, or its comparison with a baseline, could not be made. Each
/// variant is a [`Diagnostic`] with a stable code and help for the user.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[non_exhaustive]
pub enum RunError {
    /// `Cargo.lock` could not be read, or is not a lockfile this tool reads.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Lockfile(#[from] LockfileError),
    /// `cargo metadata` could not describe the workspace.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Workspace(#[from] WorkspaceError),
    /// The policy file could not be found, read or parsed (its diagnostics
    /// point at every problem).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Policy(#[from] PolicyLoadError),
    /// The scope (targets, dev-dependencies) could not be applied to the graph.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Scope(#[from] ScopeError),
    /// A trust root could not be loaded.
    #[error(transparent)]
    #[diagnostic(transparent)]
    TrustRoot(#[from] TrustRootError),
    /// The cache folder could not be found, created or locked.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Cache(StageError),
    /// The fetch could not start (no runtime, no HTTP client).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Fetch(StageError),
    /// No thread could be started for the run.
    #[error("cannot start a thread for the run: {source}")]
    #[diagnostic(code("run-thread"), help("the system is out of threads or memory"))]
    Thread {
        #[source]
        source: std::io::Error,
    },
}

impl RunError {
    pub(crate) fn thread(source: std::io::Error) -> Self {
        Self::Thread { source }
    }

    pub(crate) fn cache(error: CacheError) -> Self {
        Self::Cache(StageError(Box::new(error)))
    }

    pub(crate) fn fetch(error: FetchError) -> Self {
        Self::Fetch(StageError(Box::new(error)))
    }
}

/// The failure of a part of the run whose own error type is not part of
/// the API: its message, code, help and causes are that part's.
#[derive(Debug)]
pub struct StageError(Box<dyn Diagnostic + Send + Sync + 'static>);

impl fmt::Display for StageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for StageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl Diagnostic for StageError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.code()
    }

    fn severity(&self) -> Option<Severity> {
        self.0.severity()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.help()
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.url()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0.source_code()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.0.labels()
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        self.0.related()
    }

    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.0.diagnostic_source()
    }
}
