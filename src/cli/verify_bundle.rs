//! `cargo verify-provenance verify-bundle`: one bundle against one trust
//! root (the sigstore-conformance client protocol).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use miette::{Context, IntoDiagnostic, Result};

use super::{GlobalOptions, OutputFormat, RootArgs};
use crate::escape::Untrusted;
use crate::exit;
use crate::trust::{Instance, TrustRoot};
use crate::verify::{self, ArtifactInput, SignerCheck};

#[derive(Args, Debug)]
pub struct VerifyBundleArgs {
    /// The bundle: a .sigstore.json file, or a .jsonl file of bundles (passes when any verifies).
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// The expected certificate identity (SAN), matched exactly.
    #[arg(long, value_name = "ID")]
    pub certificate_identity: Option<String>,
    /// The expected OIDC issuer, matched exactly.
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,
    /// Verify a managed-key bundle with this PEM public key.
    #[arg(long, value_name = "KEY.pub", conflicts_with_all = ["certificate_identity", "certificate_oidc_issuer"])]
    pub key: Option<PathBuf>,
    /// How the result is written on stdout: a one-line verdict, or the verified facts as JSON.
    #[arg(long, alias = "format", value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Human)]
    pub message_format: OutputFormat,
    #[command(flatten)]
    pub roots: RootArgs,
    /// The artifact: a file, or `sha256:<hex>` / `sha512:<hex>`.
    #[arg(value_name = "FILE_OR_DIGEST")]
    pub artifact: String,
}

/// The roots `verify-bundle` checks against: the one named, else the
/// production (or staging) root.
fn single_root(roots: &RootArgs) -> Result<TrustRoot> {
    Ok(match (&roots.trusted_root, roots.staging, roots.github) {
        (Some(path), ..) => TrustRoot::from_file(path)?,
        (None, true, _) => TrustRoot::embedded(Instance::Staging)?,
        (None, false, true) => TrustRoot::embedded(Instance::GitHub)?,
        (None, false, false) => TrustRoot::embedded(Instance::PublicGood)?,
    })
}

pub fn run(global: &GlobalOptions, args: &VerifyBundleArgs) -> Result<i32> {
    let root = single_root(&args.roots)?;
    let artifact = artifact(&args.artifact)?;
    let signer = signer(args)?;
    let origin = args.bundle.display().to_string();
    let bytes = match read_bundle_file(&args.bundle, &origin)? {
        Ok(bytes) => bytes,
        Err(failure) => return Ok(report_failure(&[failure])),
    };
    let parsed = match verify::parse_bundles(&bytes, &origin) {
        Ok(parsed) => parsed,
        Err(failure) => return Ok(report_failure(&[failure])),
    };
    let mut failures = Vec::new();
    for item in parsed {
        let outcome = item.and_then(|parsed| {
            verify::verify_bundle(&root, &parsed.bundle, &artifact, &signer)
                .map(|facts| (parsed, facts))
        });
        match outcome {
            Ok((parsed, facts)) => {
                write_verified(global, args, &parsed, &facts)?;
                return Ok(exit::PASS);
            }
            Err(failure) => failures.push(failure),
        }
    }
    let hint = other_instance_hint(&args.roots, &bytes, &origin, &artifact, &signer);
    Ok(report_failure_with(&failures, hint))
}

/// The artifact: a digest (`sha256:…`, `sha512:…`), else a file to read.
fn artifact(text: &str) -> Result<ArtifactInput> {
    if text.starts_with("sha256:") || text.starts_with("sha512:") {
        return ArtifactInput::parse_digest(text).map_err(|e| {
            miette::miette!(
                code = "bad-digest",
                help = "give sha256:<64 hex> or sha512:<128 hex>",
                "{e}"
            )
        });
    }
    Ok(ArtifactInput::Bytes(
        std::fs::read(text)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot read artifact {text}"))?,
    ))
}

/// Who must have signed: the holder of `--key`, else the certificate's
/// identity and issuer (each unchecked when not given).
fn signer(args: &VerifyBundleArgs) -> Result<SignerCheck> {
    let Some(path) = &args.key else {
        return Ok(SignerCheck::Certificate {
            identity: args.certificate_identity.clone(),
            issuer: args.certificate_oidc_issuer.clone(),
        });
    };
    let pem = std::fs::read_to_string(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read key {}", path.display()))?;
    let key = sigstore_types::DerPublicKey::from_pem(&pem).map_err(|e| {
        miette::miette!(
            code = "bad-key",
            "{} is not a PEM public key: {e}",
            path.display()
        )
    })?;
    Ok(SignerCheck::Key(key))
}

/// The bundle file's bytes, or the failure of a file over the size limit.
fn read_bundle_file(
    path: &std::path::Path,
    origin: &str,
) -> Result<Result<Vec<u8>, verify::VerifyFailure>> {
    let max = crate::limits::MAX_DOCUMENT_BYTES;
    let read = crate::bounded_read::read_at_most(path, max as u64)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read bundle {origin}"))?;
    Ok(read.map_err(|size| {
        verify::VerifyFailure::new(
            verify::Check::BundleFormat,
            format!("{origin}: {size} bytes is over the size limit of {max} bytes"),
        )
    }))
}

/// What a verified bundle says, on stdout; and a warning when nothing
/// said who must have signed it.
fn write_verified(
    global: &GlobalOptions,
    args: &VerifyBundleArgs,
    parsed: &verify::ParsedBundle,
    facts: &verify::VerifiedFacts,
) -> Result<()> {
    match args.message_format {
        OutputFormat::Json => {
            let value = serde_json::json!({ "bundle": parsed.origin, "facts": facts });
            writeln!(
                super::stdout(),
                "{}",
                serde_json::to_string_pretty(&value).into_diagnostic()?
            )
            .into_diagnostic()?;
        }
        OutputFormat::Human => {
            if !global.quiet {
                writeln!(
                    super::text_stdout(),
                    "OK: {} verified against {}",
                    Untrusted(&parsed.origin),
                    Untrusted(&facts.trust_root)
                )
                .into_diagnostic()?;
            }
        }
    }
    let signer_unchecked = args.key.is_none()
        && args.certificate_identity.is_none()
        && args.certificate_oidc_issuer.is_none();
    if signer_unchecked && !global.quiet {
        super::say_warning(
            "signer-not-checked",
            "the bundle verifies, but its signer was not checked: anyone can get a Sigstore certificate; pass --certificate-identity and --certificate-oidc-issuer (or --key) to say who must have signed it",
        );
    }
    Ok(())
}

/// After a failure against a built-in root the user did not name with
/// `--trusted-root`: whether another built-in root verifies the bundle (a
/// GitHub attestation for a private repository checked against the
/// public-good root fails with a misleading log error). The answer is
/// the library's full verification against that root, never a guess.
fn other_instance_hint(
    roots: &RootArgs,
    bytes: &[u8],
    origin: &str,
    artifact: &ArtifactInput,
    signer: &SignerCheck,
) -> Option<String> {
    if roots.trusted_root.is_some() {
        return None;
    }
    let used = match (roots.staging, roots.github) {
        (true, _) => Instance::Staging,
        (false, true) => Instance::GitHub,
        (false, false) => Instance::PublicGood,
    };
    // Parsed once; each other root then verifies the same bundles.
    let bundles: Vec<_> = verify::parse_bundles(bytes, origin)
        .ok()?
        .into_iter()
        .flatten()
        .collect();
    let others = [Instance::GitHub, Instance::PublicGood, Instance::Staging];
    for other in others.into_iter().filter(|i| *i != used) {
        let Ok(root) = TrustRoot::embedded(other) else {
            continue;
        };
        let verifies = bundles
            .iter()
            .any(|parsed| verify::verify_bundle(&root, &parsed.bundle, artifact, signer).is_ok());
        if verifies {
            let flag = match other {
                Instance::GitHub => "pass --github",
                Instance::Staging => "pass --staging",
                Instance::PublicGood => "leave out --github and --staging",
            };
            return Some(format!(
                "the bundle verifies against the built-in {} trust root, not against {}: {flag}",
                other.name(),
                used.name()
            ));
        }
    }
    None
}

/// A bundle that did not verify, on stderr; exit code 1.
fn report_failure(failures: &[verify::VerifyFailure]) -> i32 {
    report_failure_with(failures, None)
}

/// `error[bundle-rejected]: verification failed: …` naming the failed
/// check(s), with `help` when there is one; exit code 1.
fn report_failure_with(failures: &[verify::VerifyFailure], help: Option<String>) -> i32 {
    let text = match failures {
        [] => "no bundle found".to_string(),
        [one] => one.to_string(),
        many => format!(
            "none of {} bundles verified: {}",
            many.len(),
            many.iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    let _ = writeln!(
        super::stderr(),
        "{}",
        crate::report::diagnostic_style::error_line(
            "bundle-rejected",
            &format!("verification failed: {text}"),
            super::stderr_style()
        )
    );
    if let Some(help) = help {
        let _ = writeln!(super::text_stderr(), "  help: {help}");
    }
    exit::VIOLATION
}
