//! Trust roots: which Sigstore instances a bundle may come from.
//!
//! A trust root is a `trusted_root.json` (the Sigstore format): certificate
//! authorities, transparency logs, CT logs and timestamp authorities. The
//! public-good, staging and GitHub-instance roots embedded in
//! `sigstore-trust-root` are always available offline; a custom file can be
//! loaded, and a TUF-refreshed copy in the cache is preferred over the
//! embedded snapshot when present (see the `trust-root update` command).
//!
//! What a bundle must prove is decided by the root, never by the bundle
//! (which is attacker-controlled): a root that lists transparency logs
//! requires a verified log entry; a root that lists CT logs requires a
//! verified SCT. GitHub's instance lists neither, by design, and its
//! bundles carry an RFC 3161 timestamp instead.

use std::path::{Path, PathBuf};

use miette::Diagnostic;

pub(crate) mod tuf;
use serde::Serialize;
use sigstore_trust_root::{SigstoreInstance, TrustedRoot};
use sigstore_verify::Verifier;

/// The media type prefix every `trusted_root.json` carries.
const TRUSTED_ROOT_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.trustedroot";
/// Larger than any real trusted root by two orders of magnitude.
pub const MAX_TRUSTED_ROOT_BYTES: u64 = 4 * 1024 * 1024;

/// A well-known Sigstore instance whose root is embedded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Instance {
    /// Sigstore's public-good instance (`fulcio.sigstore.dev`, `rekor.sigstore.dev`).
    PublicGood,
    /// Sigstore's staging instance.
    Staging,
    /// GitHub's artifact attestation instance (private repositories).
    #[serde(rename = "github")]
    GitHub,
}

impl Instance {
    /// The name used in reports and cache paths.
    pub fn name(self) -> &'static str {
        match self {
            Self::PublicGood => "public-good",
            Self::Staging => "staging",
            Self::GitHub => "github",
        }
    }

    fn sigstore(self) -> SigstoreInstance {
        match self {
            Self::PublicGood => SigstoreInstance::PublicGood,
            Self::Staging => SigstoreInstance::Staging,
            Self::GitHub => SigstoreInstance::GitHub,
        }
    }

    /// The snapshot embedded in this binary.
    pub fn embedded_json(self) -> &'static str {
        self.sigstore().embedded_trusted_root_json()
    }
}

/// Where a loaded root came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RootOrigin {
    /// The snapshot compiled into this binary.
    Embedded { instance: Instance },
    /// A copy refreshed through TUF into the cache.
    Tuf {
        instance: Instance,
        path: PathBuf,
        /// When the copy was written (seconds since the epoch).
        fetched: i64,
    },
    /// A file the user named.
    File { path: PathBuf },
}

/// What bundles verified against a root must carry, decided by the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RootRequirements {
    /// The root lists transparency logs: a verified log entry is required.
    pub transparency_log: bool,
    /// The root lists CT logs: a verified SCT is required.
    pub sct: bool,
}

/// A trusted root, validated as a whole, with the verifier built from it.
pub struct TrustRoot {
    pub name: String,
    pub origin: RootOrigin,
    pub requirements: RootRequirements,
    root: TrustedRoot,
    verifier: Verifier,
}

impl std::fmt::Debug for TrustRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustRoot")
            .field("name", &self.name)
            .field("origin", &self.origin)
            .field("requirements", &self.requirements)
            .finish_non_exhaustive()
    }
}

/// A trusted root that cannot be used.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum TrustRootError {
    #[error("cannot read trusted root {}", path.display())]
    #[diagnostic(
        code("trust-root-unreadable"),
        help("pass an existing trusted_root.json with --trusted-root, or drop the option to use the embedded roots")
    )]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot refresh the {instance} trust root through TUF: {reason}")]
    #[diagnostic(
        code("trust-root-tuf"),
        help("check the network and run `cargo verify-provenance trust-root update` again; the embedded root stays in use meanwhile")
    )]
    Tuf { instance: String, reason: String },
    #[error("trusted root {name} is invalid: {reason}")]
    #[diagnostic(
        code("trust-root-invalid"),
        help("a trusted root is the `trusted_root.json` a Sigstore TUF repository publishes; fetch a fresh one (`cargo verify-provenance trust-root update`) or fix the file")
    )]
    Invalid { name: String, reason: String },
}

impl TrustRoot {
    /// Whether the root can still verify what is signed now: at least one
    /// certificate authority, one transparency log (when it lists any) and
    /// one timestamp authority (when it lists any) whose validity window
    /// (when it has one) holds `now`.
    pub fn is_current(&self, now: jiff::Timestamp) -> bool {
        let holds = |window: &Option<sigstore_types::TimeRange>| {
            window.as_ref().is_none_or(|w| w.contains(now))
        };
        // Each kind the root lists needs one current entry: a root without
        // transparency logs (GitHub's) relies on its timestamp authorities.
        let root = self.trusted_root();
        let tlogs = &root.tlogs;
        let tsas = &root.timestamp_authorities;
        root.certificate_authorities
            .iter()
            .any(|ca| holds(&ca.valid_for))
            && (tlogs.is_empty() || tlogs.iter().any(|log| holds(&log.public_key.valid_for)))
            && (tsas.is_empty() || tsas.iter().any(|tsa| holds(&tsa.valid_for)))
    }

    /// The embedded snapshot of a well-known instance.
    pub fn embedded(instance: Instance) -> Result<Self, TrustRootError> {
        Self::from_json(
            instance.name().to_string(),
            RootOrigin::Embedded { instance },
            instance.embedded_json(),
        )
    }

    /// A `trusted_root.json` file.
    pub fn from_file(path: &Path) -> Result<Self, TrustRootError> {
        let json = read_bounded(path)?;
        Self::from_json(
            path.display().to_string(),
            RootOrigin::File {
                path: path.to_path_buf(),
            },
            &json,
        )
    }

    /// Parse and validate a root.
    ///
    /// Checks, in order:
    /// 1. the JSON parses as a trusted root;
    /// 2. its media type is a Sigstore trusted root;
    /// 3. it lists at least one certificate authority;
    /// 4. it can establish a signing time: it lists a transparency log or a
    ///    timestamp authority;
    /// 5. every key and certificate in it parses, no log ID repeats and no
    ///    validity window ends before it starts (building the verifier).
    pub fn from_json(name: String, origin: RootOrigin, json: &str) -> Result<Self, TrustRootError> {
        let invalid = |reason: String| TrustRootError::Invalid {
            name: name.clone(),
            reason,
        };
        let root = TrustedRoot::from_json(json).map_err(|e| invalid(e.to_string()))?;
        if !root.media_type.starts_with(TRUSTED_ROOT_MEDIA_TYPE) {
            return Err(invalid(format!(
                "media type `{}` is not a Sigstore trusted root",
                root.media_type
            )));
        }
        if root.certificate_authorities.is_empty() {
            return Err(invalid("it lists no certificate authority".into()));
        }
        if root.tlogs.is_empty() && root.timestamp_authorities.is_empty() {
            return Err(invalid(
                "it lists neither a transparency log nor a timestamp authority, so no signing time could be verified".into(),
            ));
        }
        let verifier = Verifier::new(&root).map_err(|e| invalid(e.to_string()))?;
        let requirements = RootRequirements {
            transparency_log: !root.tlogs.is_empty(),
            sct: !root.ctlogs.is_empty(),
        };
        Ok(Self {
            name,
            origin,
            requirements,
            root,
            verifier,
        })
    }

    /// The parsed root.
    pub fn trusted_root(&self) -> &TrustedRoot {
        &self.root
    }

    /// The verifier built once from this root; shared across threads.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The keyless verification policy this root demands: every check on,
    /// except those for services the root does not list.
    pub fn certificate_policy(&self) -> sigstore_verify::VerificationPolicy {
        let mut policy = sigstore_verify::VerificationPolicy::any_identity();
        if !self.requirements.transparency_log {
            policy = policy.skip_tlog_unsafe();
        }
        if !self.requirements.sct {
            policy = policy.skip_sct();
        }
        policy
    }

    /// The managed-key verification policy this root demands.
    pub fn public_key_policy(
        &self,
        key: sigstore_types::DerPublicKey,
    ) -> sigstore_verify::PublicKeyVerificationPolicy {
        let policy = sigstore_verify::PublicKeyVerificationPolicy::new(key);
        if self.requirements.transparency_log {
            policy
        } else {
            policy.skip_tlog_unsafe()
        }
    }
}

fn read_bounded(path: &Path) -> Result<String, TrustRootError> {
    let io = |source| TrustRootError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = crate::bounded_read::read_at_most(path, MAX_TRUSTED_ROOT_BYTES)
        .map_err(io)?
        .map_err(|size| TrustRootError::Invalid {
            name: path.display().to_string(),
            reason: format!("{size} bytes is over the {MAX_TRUSTED_ROOT_BYTES}-byte limit"),
        })?;
    String::from_utf8(bytes).map_err(|e| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            e.utf8_error(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_roots_load_with_their_requirements() {
        let public_good = TrustRoot::embedded(Instance::PublicGood).unwrap();
        assert!(public_good.requirements.transparency_log && public_good.requirements.sct);
        let staging = TrustRoot::embedded(Instance::Staging).unwrap();
        assert!(staging.requirements.transparency_log);
        let github = TrustRoot::embedded(Instance::GitHub).unwrap();
        assert!(!github.requirements.transparency_log && !github.requirements.sct);
    }

    #[test]
    fn malformed_roots_are_rejected_with_a_reason() {
        let origin = || RootOrigin::File {
            path: "x.json".into(),
        };
        let cases = [
            ("{", "EOF"),
            (
                r#"{"mediaType":"application/json","certificateAuthorities":[]}"#,
                "not a Sigstore trusted root",
            ),
            (
                r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#,
                "no certificate authority",
            ),
        ];
        for (json, needle) in cases {
            let err = TrustRoot::from_json("x.json".into(), origin(), json).unwrap_err();
            assert!(err.to_string().contains(needle), "{err}");
        }
        // A real root with its logs and TSAs removed cannot establish time.
        let mut value: serde_json::Value =
            serde_json::from_str(Instance::GitHub.embedded_json()).unwrap();
        value["timestampAuthorities"] = serde_json::json!([]);
        let err = TrustRoot::from_json("x.json".into(), origin(), &value.to_string()).unwrap_err();
        assert!(err.to_string().contains("no signing time"), "{err}");
        // A key that does not parse is caught when the verifier is built.
        let mut value: serde_json::Value =
            serde_json::from_str(Instance::PublicGood.embedded_json()).unwrap();
        value["tlogs"][0]["publicKey"]["rawBytes"] = serde_json::json!("AAAA");
        assert!(TrustRoot::from_json("x.json".into(), origin(), &value.to_string()).is_err());
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = TrustRoot::from_file(Path::new("/nonexistent/trusted_root.json")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/trusted_root.json"));
    }
}

#[cfg(test)]
mod current_tests {
    use super::*;

    #[test]
    fn the_built_in_roots_are_current_within_their_windows_only() {
        let at = |t: &str| t.parse::<jiff::Timestamp>().unwrap();
        for instance in [Instance::PublicGood, Instance::GitHub] {
            let root = TrustRoot::embedded(instance).unwrap();
            assert!(
                root.is_current(at("2026-06-01T00:00:00Z")),
                "{}",
                instance.name()
            );
            assert!(
                !root.is_current(at("2000-01-01T00:00:00Z")),
                "{}",
                instance.name()
            );
        }
    }
}
