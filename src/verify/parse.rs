//! Reading bundles from a file or an answer: one bundle, JSON lines, or an
//! attestations list, each element checked against the size limits.

use serde_json::value::RawValue;
use sigstore_types::Bundle;

use super::{Check, VerifyFailure};
use crate::bounded_read::{self, json_list, opens_object, JsonList};
use crate::limits::{MAX_BUNDLES_PER_FILE, MAX_BUNDLE_BYTES, MAX_DOCUMENT_BYTES};

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
    if trimmed.len() <= MAX_BUNDLE_BYTES && opens_object(trimmed) {
        if let Ok(bundle) = Bundle::from_json(trimmed) {
            return Ok(vec![Ok(ParsedBundle {
                bundle,
                origin: origin.to_string(),
            })]);
        }
    }
    // One JSON document (a bundle or an API response), else JSON lines;
    // read without building a tree of its values.
    match serde_json::from_str::<serde::de::IgnoredAny>(trimmed) {
        Ok(_) => match list_member(trimmed) {
            Some(attestations) => parse_list(attestations, origin),
            None => Ok(vec![parse_one(trimmed, origin.to_string())]),
        },
        Err(_) if trimmed.lines().filter(|l| !l.trim().is_empty()).count() > 1 => {
            let lines = || {
                text.lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
            };
            check_count(lines().count(), origin)?;
            Ok(lines()
                .map(|(i, line)| parse_one(line, format!("{origin}:{}", i + 1)))
                .collect())
        }
        Err(e) => Err(VerifyFailure::new(
            Check::BundleFormat,
            format!("{origin}: not valid JSON: {e}"),
        )),
    }
}

/// The `attestations` member of a JSON object, as text.
fn list_member(text: &str) -> Option<&str> {
    /// Even `null`: a member that is there is the list to read.
    fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
        serde::Deserialize::deserialize(d).map(Some)
    }
    #[derive(serde::Deserialize)]
    struct Top<'a> {
        #[serde(borrow, default, deserialize_with = "present")]
        attestations: Option<&'a RawValue>,
    }
    serde_json::from_str::<Top>(text)
        .ok()?
        .attestations
        .map(RawValue::get)
}

/// The bundles of an attestations API answer's list.
fn parse_list(
    attestations: &str,
    origin: &str,
) -> Result<Vec<Result<ParsedBundle, VerifyFailure>>, VerifyFailure> {
    #[derive(serde::Deserialize)]
    struct Item<'a> {
        #[serde(borrow)]
        bundle: Option<&'a RawValue>,
    }
    let not_a_list = || {
        VerifyFailure::new(
            Check::BundleFormat,
            format!("{origin}: `attestations` is not a list"),
        )
    };
    let items = match json_list(attestations, MAX_BUNDLES_PER_FILE).map_err(|_| not_a_list())? {
        JsonList::Items(items) => items,
        JsonList::Over(count) => return Err(check_count(count, origin).unwrap_err()),
    };
    Ok(items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let origin = format!("{origin}#attestations[{i}]");
            let bundle = serde_json::from_str::<Item>(item.get())
                .ok()
                .and_then(|item| item.bundle)
                .ok_or_else(|| {
                    VerifyFailure::new(Check::BundleFormat, format!("{origin}: no `bundle`"))
                })?;
            parse_one(bundle.get(), origin)
        })
        .collect())
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
    bounded_read::bundle(json, MAX_BUNDLE_BYTES)
        .map(|bundle| ParsedBundle {
            bundle,
            origin: origin.clone(),
        })
        .map_err(|e| VerifyFailure::new(Check::BundleFormat, format!("{origin}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bundle that parses (nothing in it is signed) with `padding` spaces
    /// inside its outermost object.
    fn bundle_json(padding: usize) -> String {
        let body = r#""mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"k"},"tlogEntries":[]},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AAAA"},"signature":"AAAA"}"#;
        format!("{{{}{body}}}", " ".repeat(padding))
    }

    /// `bundle_json` of exactly `len` bytes.
    fn bundle_of(len: usize) -> String {
        bundle_json(len - bundle_json(0).len())
    }

    #[test]
    fn the_helper_bundle_parses() {
        let parsed = parse_bundles(bundle_json(0).as_bytes(), "b").unwrap();
        assert!(parsed[0].is_ok(), "{:?}", parsed[0]);
    }

    #[test]
    fn a_document_of_exactly_the_limit_is_read() {
        let mut document = bundle_json(0);
        document.push_str(&" ".repeat(MAX_DOCUMENT_BYTES - document.len()));
        let parsed = parse_bundles(document.as_bytes(), "f").unwrap();
        assert_eq!(parsed.len(), 1);
        assert!(parsed[0].is_ok());
        document.push(' ');
        let error = parse_bundles(document.as_bytes(), "f").unwrap_err();
        assert_eq!(
            error.message,
            format!("f: {} bytes is over the size limit", MAX_DOCUMENT_BYTES + 1)
        );
    }

    #[test]
    fn a_bundle_of_exactly_the_limit_is_read_and_one_byte_more_is_refused() {
        let parsed = parse_bundles(bundle_of(MAX_BUNDLE_BYTES).as_bytes(), "f").unwrap();
        assert!(parsed[0].is_ok(), "{:?}", parsed[0]);
        // The same as a line of a JSON lines file (read line by line).
        let lines = format!("{}\n{}\n", bundle_of(MAX_BUNDLE_BYTES), bundle_json(0));
        let parsed = parse_bundles(lines.as_bytes(), "f.jsonl").unwrap();
        assert_eq!(parsed.len(), 2);
        assert!(parsed.iter().all(Result::is_ok), "{parsed:?}");
        // One byte over: refused, though it would parse.
        let parsed = parse_bundles(bundle_of(MAX_BUNDLE_BYTES + 1).as_bytes(), "f").unwrap();
        assert_eq!(
            parsed[0].as_ref().unwrap_err().message,
            format!(
                "f: bundle of {} bytes is over the {MAX_BUNDLE_BYTES}-byte limit",
                MAX_BUNDLE_BYTES + 1
            )
        );
    }

    #[test]
    fn an_attestations_member_of_any_value_is_read_as_the_list() {
        for text in [r#"{"attestations": null}"#, r#"{"attestations": {}}"#] {
            let error = parse_bundles(text.as_bytes(), "api").unwrap_err();
            assert_eq!(error.message, "api: `attestations` is not a list", "{text}");
        }
        let parsed = parse_bundles(br#"{"attestations": [{"x": 1}]}"#, "api").unwrap();
        assert_eq!(
            parsed[0].as_ref().unwrap_err().message,
            "api#attestations[0]: no `bundle`"
        );
    }

    /// An answer of millions of tiny values is read without a tree of them
    /// (a bundle over the limit is refused by its length).
    #[test]
    fn a_document_of_tiny_values_is_refused_by_its_size() {
        let zeros = vec!["0"; MAX_BUNDLE_BYTES / 2].join(",");
        let text = format!(r#"{{"a":[{zeros}]}}"#);
        let parsed = parse_bundles(text.as_bytes(), "f").unwrap();
        assert!(parsed[0].as_ref().unwrap_err().message.contains("over the"));
    }

    #[test]
    fn the_bundle_count_limit_is_inclusive() {
        let list = |n: usize| {
            let items = vec![format!(r#"{{"bundle":{}}}"#, bundle_json(0)); n];
            format!(r#"{{"attestations":[{}]}}"#, items.join(","))
        };
        let parsed = parse_bundles(list(MAX_BUNDLES_PER_FILE).as_bytes(), "api").unwrap();
        assert_eq!(parsed.len(), MAX_BUNDLES_PER_FILE);
        assert!(parsed.iter().all(Result::is_ok));
        let error = parse_bundles(list(MAX_BUNDLES_PER_FILE + 1).as_bytes(), "api").unwrap_err();
        assert_eq!(
            error.message,
            format!(
                "api: {} bundles, over the limit of {MAX_BUNDLES_PER_FILE}",
                MAX_BUNDLES_PER_FILE + 1
            )
        );
        // The same for JSON lines.
        let lines = |n: usize| vec![bundle_json(0); n].join("\n");
        assert_eq!(
            parse_bundles(lines(MAX_BUNDLES_PER_FILE).as_bytes(), "l")
                .unwrap()
                .len(),
            MAX_BUNDLES_PER_FILE
        );
        assert!(parse_bundles(lines(MAX_BUNDLES_PER_FILE + 1).as_bytes(), "l").is_err());
    }
}
