//! Reading bundles from a file or an answer: one bundle, JSON lines, or an
//! attestations list, each element checked against the size limits.

use sigstore_types::Bundle;

use super::{Check, VerifyFailure, MAX_BUNDLES_PER_FILE, MAX_BUNDLE_BYTES, MAX_DOCUMENT_BYTES};

/// A bundle read from a file or a response, with where it came from.
#[derive(Debug, Clone)]
pub struct ParsedBundle {
    pub bundle: Bundle,
    /// `path`, `path:LINE` or a URL.
    pub origin: String,
}

/// Read one bundle, a JSONL file of bundles (as `gh attestation download`
/// writes), or GitHub's attestations API response (`{"attestations": [{"bundle": …}]}`).
///
/// Each element that does not parse is returned as an error in its place,
/// so that one bad line does not hide the good ones.
pub fn parse_bundles(
    bytes: &[u8],
    origin: &str,
) -> Result<Vec<Result<ParsedBundle, VerifyFailure>>, VerifyFailure> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(VerifyFailure::new(
            Check::BundleFormat,
            format!("{origin}: {} bytes is over the size limit", bytes.len()),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        VerifyFailure::new(Check::BundleFormat, format!("{origin}: not UTF-8: {e}"))
    })?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(VerifyFailure::new(
            Check::BundleFormat,
            format!("{origin}: empty"),
        ));
    }
    // Most documents are one bundle: read it as such first, so that it is
    // parsed once; anything else is looked at as a whole below.
    if trimmed.len() <= MAX_BUNDLE_BYTES && trimmed.starts_with('{') {
        if let Ok(bundle) = Bundle::from_json(trimmed) {
            return Ok(vec![Ok(ParsedBundle {
                bundle,
                origin: origin.to_string(),
            })]);
        }
    }
    // One JSON document (a bundle or an API response), else JSON lines.
    match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(value) => {
            if let Some(attestations) = value.get("attestations") {
                let list = attestations.as_array().ok_or_else(|| {
                    VerifyFailure::new(
                        Check::BundleFormat,
                        format!("{origin}: `attestations` is not a list"),
                    )
                })?;
                check_count(list.len(), origin)?;
                Ok(list
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let origin = format!("{origin}#attestations[{i}]");
                        let bundle = item.get("bundle").ok_or_else(|| {
                            VerifyFailure::new(
                                Check::BundleFormat,
                                format!("{origin}: no `bundle`"),
                            )
                        })?;
                        parse_one(&bundle.to_string(), origin)
                    })
                    .collect())
            } else {
                Ok(vec![parse_one(trimmed, origin.to_string())])
            }
        }
        Err(_) if trimmed.lines().filter(|l| !l.trim().is_empty()).count() > 1 => {
            let lines: Vec<_> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .collect();
            check_count(lines.len(), origin)?;
            Ok(lines
                .into_iter()
                .map(|(i, line)| parse_one(line, format!("{origin}:{}", i + 1)))
                .collect())
        }
        Err(e) => Err(VerifyFailure::new(
            Check::BundleFormat,
            format!("{origin}: not valid JSON: {e}"),
        )),
    }
}

fn check_count(count: usize, origin: &str) -> Result<(), VerifyFailure> {
    if count > MAX_BUNDLES_PER_FILE {
        return Err(VerifyFailure::new(
            Check::BundleFormat,
            format!("{origin}: {count} bundles, over the limit of {MAX_BUNDLES_PER_FILE}"),
        ));
    }
    Ok(())
}

fn parse_one(json: &str, origin: String) -> Result<ParsedBundle, VerifyFailure> {
    if json.len() > MAX_BUNDLE_BYTES {
        return Err(VerifyFailure::new(
            Check::BundleFormat,
            format!(
                "{origin}: bundle of {} bytes is over the {MAX_BUNDLE_BYTES}-byte limit",
                json.len()
            ),
        ));
    }
    Bundle::from_json(json)
        .map(|bundle| ParsedBundle {
            bundle,
            origin: origin.clone(),
        })
        .map_err(|e| VerifyFailure::new(Check::BundleFormat, format!("{origin}: {e}")))
}
