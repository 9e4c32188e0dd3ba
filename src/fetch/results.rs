//! What a fetch returns: per package, each source's outcome and the
//! documents found, not yet verified; for the run, every package and the
//! warnings. Apart from the fetching itself because the rest of the crate
//! (verification, reports, `explain`) reads these and nothing else of it.

use serde::Serialize;

use crate::cache::{BundleDocument, IgnoredBundle};
use crate::evidence::{Attestation, Evidence, RegistryAssertion, Rejected, SourceError};
use crate::origin::RegistryRecord;
use crate::sources::PackageQuery;
use crate::trust::TrustRoot;
use crate::verify::{self, ArtifactInput, Check, SignerCheck, VerifyFailure};

/// What happened at one source for one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Outcome {
    /// Bundle documents for the checksum (and some set aside).
    Bundles {
        documents: usize,
        ignored: usize,
    },
    NoAttestation,
    /// A registry's answer: whether it records a publisher.
    Registry {
        asserted: bool,
    },
    NotApplicable {
        reason: String,
    },
    /// Offline, and the cache has no answer from this source.
    NotCached,
    Error {
        message: String,
    },
    /// Not asked: an earlier source already found bundles.
    NotAsked,
    /// Not asked: no rule needs the registry's per-version record.
    NotNeeded,
    /// The registry's list of crates: crate-level facts only.
    CrateListed {
        trustpub_only: Option<bool>,
    },
}

/// What the registry's list of crates said, for people.
pub fn crate_listed(trustpub_only: Option<bool>) -> String {
    match trustpub_only {
        Some(true) => "crate listed: trusted publishing only".into(),
        Some(false) => "crate listed: also accepts API tokens".into(),
        None => "crate not listed, or without trustpub_only".into(),
    }
}

/// One source's part in a package's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceOutcome {
    pub source: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Answered from the cache.
    pub cached: bool,
}

/// Everything found for one package, unverified.
#[derive(Debug, Clone, Serialize)]
pub struct PackageFetch {
    pub query: PackageQuery,
    /// Bundle documents naming the checksum, in source order, each one
    /// bundle read once into its type.
    pub documents: Vec<BundleDocument>,
    pub registry: Option<RegistryAssertion>,
    /// The registry's record of the version (publish time, the crate's
    /// `trustpub_only`), when it has one.
    pub record: Option<RegistryRecord>,
    /// When the version was published (the registry's index, else its
    /// record), where a rule needs it.
    pub published: Option<jiff::Timestamp>,
    /// Why the publish time is not known, when a rule needs it.
    pub published_unknown: Option<SourceError>,
    /// Bundles returned for another artifact.
    pub ignored: Vec<IgnoredBundle>,
    /// Sources that could not answer.
    pub errors: Vec<SourceError>,
    /// Each source, in order.
    pub outcomes: Vec<SourceOutcome>,
}

impl PackageFetch {
    /// Nothing found yet for `query`.
    pub(crate) fn nothing_for(query: PackageQuery) -> Self {
        Self {
            query,
            documents: Vec::new(),
            registry: None,
            record: None,
            published: None,
            published_unknown: None,
            ignored: Vec::new(),
            errors: Vec::new(),
            outcomes: Vec::new(),
        }
    }

    /// Offline, nothing was found and some remote source had no cached
    /// answer: running `fetch` online would tell more.
    pub fn missing_from_cache(&self) -> bool {
        self.documents.is_empty()
            && self.registry.is_none()
            && self
                .outcomes
                .iter()
                .any(|o| o.outcome == Outcome::NotCached)
    }

    /// Verify every document against `roots` and gather the evidence.
    ///
    /// Each document's bundle, read once where it was fetched or read from
    /// the cache, is verified with [`verify::verify_with_roots`] against the
    /// package's checksum, with no identity expectation (the policy judges
    /// identities from the facts); a document that is not a bundle is
    /// rejected with the reason. A bundle that fails only the subject check
    /// is for another artifact and is listed as ignored; any other failure
    /// is a rejection.
    pub fn verify(&self, roots: &[TrustRoot]) -> Evidence {
        let artifact = ArtifactInput::sha256(self.query.checksum);
        let signer = SignerCheck::Certificate {
            identity: None,
            issuer: None,
        };
        let mut evidence = Evidence {
            registry: self.registry.clone(),
            record: self.record.clone(),
            published: self.published,
            published_unknown: self.published_unknown.clone(),
            ignored: self.ignored.iter().map(|i| i.origin.clone()).collect(),
            errors: self.errors.clone(),
            ..Evidence::default()
        };
        for document in &self.documents {
            let origin = &document.origin;
            let result = match document.bundle.bundle() {
                Ok(bundle) => verify::verify_with_roots(roots, bundle, &artifact, &signer),
                Err(reason) => Err(VerifyFailure::new(
                    Check::BundleFormat,
                    format!("{}: {reason}", origin.location),
                )),
            };
            let digest = || document.bundle.digest().to_hex();
            match result {
                Ok(facts) => evidence.attestations.push(Attestation {
                    origin: origin.clone(),
                    digest: digest(),
                    facts,
                }),
                Err(failure) if failure.check == Check::Subject => {
                    evidence.ignored.push(origin.clone())
                }
                Err(failure) => evidence.rejected.push(Rejected {
                    origin: origin.clone(),
                    digest: digest(),
                    failure,
                }),
            }
        }
        evidence
    }
}

/// A fetch as a whole.
#[derive(Debug, Clone, Serialize)]
pub struct FetchReport {
    /// One per query, in the order given.
    pub packages: Vec<PackageFetch>,
    /// Problems that change no result (a cache entry that could not be written).
    pub warnings: Vec<String>,
}

impl FetchReport {
    /// The packages an offline run could not find in the cache.
    pub fn missing_from_cache(&self) -> Vec<&PackageQuery> {
        self.packages
            .iter()
            .filter(|p| p.missing_from_cache())
            .map(|p| &p.query)
            .collect()
    }

    /// The message listing packages missing from the cache, with the fix.
    pub fn missing_message(&self) -> Option<String> {
        let missing = self.missing_from_cache();
        if missing.is_empty() {
            return None;
        }
        // A few names and a count: the table lists every package.
        const SHOWN: usize = 5;
        let names: Vec<String> = missing.iter().take(SHOWN).map(|q| q.id()).collect();
        let mut text = match missing.len() {
            1 => format!(
                "1 package is not in the cache, and this run is offline: {}",
                names.join(", ")
            ),
            n => format!(
                "{n} packages are not in the cache, and this run is offline: {}",
                names.join(", ")
            ),
        };
        if missing.len() > SHOWN {
            text.push_str(&format!(" and {} more", missing.len() - SHOWN));
        }
        text.push_str("; run `cargo verify-provenance fetch` while online to fill the cache");
        Some(text)
    }
}
