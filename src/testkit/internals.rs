//! The parts of the crate that are not its API, for the tests, benchmarks
//! and fuzz targets that drive them directly (a fetch against a loopback
//! server, a cache entry written by hand, one escaper on its own). Nothing
//! here is stable; a library user has [`crate::run`] and the modules beside
//! it.

/// The on-disk cache.
pub mod cache {
    pub use crate::cache::{Answer, BundleDocument, Cache, CacheEntry, IgnoredBundle, ReadBundle};

    /// The cache's key for what a source answers.
    pub trait SourceKeyOf {
        fn source_key(&self) -> crate::cache::SourceKey;
    }

    impl SourceKeyOf for crate::policy::SourceSpec {
        fn source_key(&self) -> crate::cache::SourceKey {
            self.cache_key()
        }
    }
}

/// The published `.crate` a lockfile pins.
pub mod crate_file {
    pub use crate::crate_file::{
        read_package, CrateOrigin, CrateRef, DownloadTemplate, Locator, ObtainError,
    };
}

/// Escaping text from outside for each output.
pub mod escape {
    pub use crate::escape::Terminal;

    /// Markdown.
    pub mod markdown {
        pub use crate::escape::markdown::{code, text};
    }

    /// TOML.
    pub mod toml {
        pub use crate::escape::toml::{comment, string};
    }
}

/// Asking the sources for every package in parallel, through the cache.
pub mod fetch {
    pub use crate::fetch::{fetch, FetchOptions, FetchReport, Outcome, PackageFetch};
}

/// The one HTTP client.
pub mod http {
    pub use crate::http::{Http, HttpConfig};
}

/// The limits on hostile input.
pub mod limits {
    pub use crate::limits::{MAX_BUNDLES_PER_FILE, MAX_BUNDLE_BYTES, MAX_DOCUMENT_BYTES};
    pub use crate::sources::bundle_url::max_blob_bytes;
}

/// Reading `Cargo.lock` text.
pub mod lockfile {
    pub use crate::lockfile::{is_valid_package_name, parse_lockfile};
}

/// The text `init` writes.
pub mod policy_init {
    pub use crate::policy::from_evidence::{render, InitOptions};
}

/// What the report says about packages that could not be checked.
pub mod report_failures {
    pub use crate::report::failures::{not_checked_because, warnings};
}

/// The sources of provenance.
pub mod sources {
    pub use crate::sources::{split_bundles, GitHubAuth, PackageQuery};

    /// A registry's sparse index.
    pub mod sparse_index {
        pub use crate::sources::sparse_index::{
            index_path, IndexError, IndexUrl, Listing, SparseIndex,
        };
    }
}

/// Trust roots refreshed through TUF.
pub mod tuf {
    pub use crate::trust::tuf::{load_cached, refresh, roots_for_run_from, TufRepository};
}
