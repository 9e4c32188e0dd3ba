//! Where evidence comes from, before any of it is verified: the origin of
//! a bundle, and a registry's unsigned record of who published a package.
//! (Why a source could not answer is [`crate::failure_kind`].)
//!
//! Plain data, below the cache that stores it and the sources that find
//! it; [`crate::evidence`] builds on it once bundles are verified.

use serde::{Deserialize, Serialize};

/// Where a bundle came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleOrigin {
    /// The source that produced it, e.g. `github`, `dir:bundles`, `url:https://…`.
    pub source: String,
    /// The file, URL or cache entry, with a line or index when there are several.
    pub location: String,
}

/// Unsigned publisher data a registry records (crates.io `trustpub_data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryAssertion {
    /// `crates.io`.
    pub registry: String,
    /// `github`, `gitlab`, …
    pub provider: String,
    /// Repository URL, e.g. `https://github.com/serde-rs/serde`.
    pub repository: String,
    /// The commit, when recorded.
    pub sha: Option<String>,
    /// The CI run (GitHub's `run_id`, GitLab's `job_id`), when recorded.
    pub run_id: Option<String>,
    /// Whether the crate accepts only trusted publishing (no tokens), as
    /// the registry said when asked; `None` when it did not say.
    #[serde(default)]
    pub trustpub_only: Option<bool>,
}

/// What a registry records about a published version beyond its publisher:
/// never changes once published, except the crate-level fields, which are
/// as of when it was asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryRecord {
    /// The crate's `repository` (from its latest manifest), unchecked: a
    /// hint of where to look, never evidence.
    pub repository: Option<String>,
    /// Whether the crate accepts only trusted publishing.
    pub trustpub_only: Option<bool>,
    /// When the version was published (crates.io's `created_at`).
    #[serde(default)]
    pub published: Option<jiff::Timestamp>,
}
