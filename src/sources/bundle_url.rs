//! Bundles behind a `bundle_url`: GitHub's attestation lists name, for each
//! attestation, a pre-signed URL on its blob storage instead of inlining
//! the bundle. What it serves is the bundle compressed with snappy's raw
//! (block) format, `Content-Type: application/x-snappy`.
//!
//! [`fetch`] makes these checks, in order:
//! 1. the package's [`Budget`] has room for another download;
//! 2. the URL is one the answer that named it may lead to
//!    ([`crate::http::rules`]): `https` to a public address (loopback too
//!    when that answer came from loopback), on one of the source's blob
//!    hosts when it has a list of them (the `github` source);
//! 3. it is fetched with no credentials: nothing but `Accept` and the
//!    User-Agent goes to the storage host ([`Http::get_anonymous`]), with the
//!    client's timeouts, retries on 5xx, and redirects held to the same
//!    rules;
//! 4. the answer is `200`, and at most [`max_blob_bytes`] long and within
//!    the budget, checked while it is read;
//! 5. it decodes ([`decode`]): snappy's framed format (by its stream
//!    identifier), raw snappy (declared as such, or anything that is not
//!    JSON), or plain JSON; the decoded length is held to
//!    [`MAX_DECODED_BYTES`] and to what the budget has left, checked before
//!    anything is allocated for it (raw) or while decoding (framed), and
//!    spent from the budget;
//! 6. the decoded bytes are one JSON object in UTF-8.
//!
//! Any failure is an error for the package, never "no attestation". Errors
//! name the URL redacted: its query is the pre-signed credential.

use std::io::Read;

use reqwest::header::CONTENT_TYPE;
use reqwest::{StatusCode, Url};

use crate::bounded_read::{opens_object, OBJECT_START};
use crate::http::{redact_url, AnswerFrom, Destination, Http, HttpError, NamedBy};
use crate::limits::{Budget, OverBudget};
use crate::limits::{MAX_BUNDLE_BYTES, MAX_DOCUMENT_BYTES};

/// The stream identifier chunk that opens snappy's framed format.
const FRAMED_MAGIC: &[u8] = b"\xff\x06\x00\x00sNaPpY";
/// The largest decoded bundle accepted: the size limit of one bundle.
pub const MAX_DECODED_BYTES: usize = MAX_BUNDLE_BYTES;

/// The largest blob downloaded: snappy's worst case for a bundle of
/// `MAX_DECODED_BYTES`.
pub fn max_blob_bytes() -> usize {
    snap::raw::max_compress_len(MAX_DECODED_BYTES)
}

/// Where a `bundle_url` may lead, and what the package has left.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    pub http: &'a Http,
    /// Where the answer naming the URL came from.
    pub from: AnswerFrom,
    /// The hosts the URL may name, for a source that has a list of them.
    pub hosts: Option<&'a [String]>,
    pub budget: &'a Budget,
}

/// Why the bundle behind a `bundle_url` could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    #[error("bundle_url is not a URL: {0}")]
    NotAUrl(String),
    #[error("bundle_url {0}")]
    Http(#[from] HttpError),
    #[error("bundle_url {url} answered {status}")]
    Status { url: String, status: StatusCode },
    #[error("bundle_url {url}: {source}")]
    Decode { url: String, source: DecodeError },
    #[error("bundle_url {url}: {over}")]
    OverBudget { url: String, over: OverBudget },
}

/// Why a blob does not decode to a bundle's JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("not valid framed snappy: {0}")]
    Framed(String),
    #[error("not valid snappy (raw): {0}")]
    Raw(String),
    /// `what` is over `limit`: the bundle's own limit, or what is left of
    /// the package's.
    #[error("{what}, {}", over_what(*limit))]
    TooLarge { what: String, limit: usize },
    #[error("decodes to non-UTF-8: {0}")]
    NotUtf8(String),
    #[error("decodes to JSON that is not a bundle (an object)")]
    NotAnObject,
    #[error("decodes to something that is not JSON: {0}")]
    NotJson(String),
}

/// Which limit a decoded size is over.
fn over_what(limit: usize) -> String {
    if limit < MAX_DECODED_BYTES {
        format!("over what is left of the {MAX_DOCUMENT_BYTES}-byte limit of all answers for one package ({limit} bytes)")
    } else {
        format!("over the {MAX_DECODED_BYTES}-byte limit of one bundle")
    }
}

/// Fetch and decode the bundle at `url` (see the module documentation).
pub(super) async fn fetch(link: &Link<'_>, url: &str) -> Result<String, BlobError> {
    let url = Url::parse(url).map_err(|e| BlobError::NotAUrl(short(&e.to_string())))?;
    let shown = redact_url(url.as_str());
    let destination = Destination {
        named_by: NamedBy::Answer(link.from),
        hosts: link.hosts,
    };
    let response = link
        .http
        .get_anonymous(
            &url,
            destination,
            "application/x-snappy, application/json;q=0.9",
            max_blob_bytes(),
            Some(link.budget),
        )
        .await?;
    if response.status != StatusCode::OK {
        return Err(BlobError::Status {
            url: shown,
            status: response.status,
        });
    }
    let content_type = response
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let limit = MAX_DECODED_BYTES.min(link.budget.bytes_left());
    let json = match decode(&response.body, content_type, limit) {
        Ok(json) => json,
        Err(source) => return Err(BlobError::Decode { url: shown, source }),
    };
    if let Err(over) = link.budget.spend_bytes(json.len()) {
        return Err(BlobError::OverBudget { url: shown, over });
    }
    Ok(json)
}

/// The bundle JSON in a blob: snappy framed, snappy raw or plain JSON, at
/// most `limit` bytes of it (never more than [`MAX_DECODED_BYTES`]).
pub fn decode(
    body: &[u8],
    content_type: Option<&str>,
    limit: usize,
) -> Result<String, DecodeError> {
    let limit = limit.min(MAX_DECODED_BYTES);
    let over = |what: String| DecodeError::TooLarge { what, limit };
    let declared_snappy = content_type.is_some_and(|t| {
        t.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-snappy"))
    });
    let plain_json = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == OBJECT_START);
    let decoded = if body.starts_with(FRAMED_MAGIC) {
        let mut decoded = Vec::new();
        snap::read::FrameDecoder::new(body)
            .take(limit as u64 + 1)
            .read_to_end(&mut decoded)
            .map_err(|e| DecodeError::Framed(e.to_string()))?;
        if decoded.len() > limit {
            return Err(over(format!("decodes to more than {limit} bytes")));
        }
        decoded
    } else if plain_json && !declared_snappy {
        if body.len() > limit {
            return Err(over(format!("{} bytes of JSON", body.len())));
        }
        body.to_vec()
    } else {
        let length =
            snap::raw::decompress_len(body).map_err(|e| DecodeError::Raw(e.to_string()))?;
        if length > limit {
            return Err(over(format!("declares {length} decoded bytes")));
        }
        snap::raw::Decoder::new()
            .decompress_vec(body)
            .map_err(|e| DecodeError::Raw(e.to_string()))?
    };
    let text = String::from_utf8(decoded).map_err(|e| DecodeError::NotUtf8(e.to_string()))?;
    let is_object = opens_object(text.trim_start());
    match serde_json::from_str::<serde::de::IgnoredAny>(&text) {
        Ok(_) if is_object => Ok(text),
        Ok(_) => Err(DecodeError::NotAnObject),
        Err(e) => Err(DecodeError::NotJson(e.to_string())),
    }
}

fn short(text: &str) -> String {
    text.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUNDLE: &str = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#;

    fn framed(bytes: &[u8]) -> Vec<u8> {
        let mut writer = snap::write::FrameEncoder::new(Vec::new());
        std::io::Write::write_all(&mut writer, bytes).unwrap();
        writer.into_inner().unwrap()
    }

    #[test]
    fn raw_framed_and_plain_bodies_decode_to_the_same_bundle() {
        let raw = snap::raw::Encoder::new()
            .compress_vec(BUNDLE.as_bytes())
            .unwrap();
        assert_eq!(
            decode(&raw, Some("application/x-snappy"), MAX_DECODED_BYTES).unwrap(),
            BUNDLE
        );
        assert_eq!(decode(&raw, None, MAX_DECODED_BYTES).unwrap(), BUNDLE);
        assert_eq!(
            decode(&framed(BUNDLE.as_bytes()), None, MAX_DECODED_BYTES).unwrap(),
            BUNDLE
        );
        assert_eq!(
            decode(
                BUNDLE.as_bytes(),
                Some("application/json"),
                MAX_DECODED_BYTES
            )
            .unwrap(),
            BUNDLE
        );
    }

    #[test]
    fn undecodable_and_oversized_bodies_are_refused() {
        let raw = snap::raw::Encoder::new()
            .compress_vec(BUNDLE.as_bytes())
            .unwrap();
        for (body, why) in [
            (&raw[..raw.len() / 2], "snappy"),
            (&b""[..], "snappy"),
            (&b"\xff\xff\xff"[..], "snappy"),
            (&framed(BUNDLE.as_bytes())[..20], "framed"),
            (&b"{\"a\":"[..], "not JSON"),
            (&b"[1,2]"[..], "snappy"),
        ] {
            let error = decode(body, None, MAX_DECODED_BYTES)
                .unwrap_err()
                .to_string();
            assert!(error.contains(why), "{body:?}: {error}");
        }
        let not_object = snap::raw::Encoder::new().compress_vec(b"[1]").unwrap();
        assert!(
            decode(&not_object, Some("application/x-snappy"), MAX_DECODED_BYTES)
                .unwrap_err()
                .to_string()
                .contains("not a bundle")
        );
        let binary = snap::raw::Encoder::new().compress_vec(&[0xff; 8]).unwrap();
        assert!(decode(&binary, None, MAX_DECODED_BYTES)
            .unwrap_err()
            .to_string()
            .contains("UTF-8"));
        // A declared length over the limit is refused before decoding: a
        // varint of 1 GiB followed by nothing.
        let huge = [0x80, 0x80, 0x80, 0x80, 0x04];
        let error = decode(&huge, Some("application/x-snappy"), MAX_DECODED_BYTES)
            .unwrap_err()
            .to_string();
        assert!(error.contains("declares 1073741824"), "{error}");
        // Framed data that decodes past the limit stops at the limit.
        let big = vec![b' '; MAX_DECODED_BYTES + 10];
        let error = decode(&framed(&big), None, MAX_DECODED_BYTES)
            .unwrap_err()
            .to_string();
        assert!(error.contains("more than"), "{error}");
    }

    /// A bundle object of exactly `len` bytes.
    fn object_of(len: usize) -> String {
        let padding = len - r#"{"p":""}"#.len();
        format!(r#"{{"p":"{}"}}"#, "x".repeat(padding))
    }

    #[test]
    fn a_bundle_of_exactly_the_limit_decodes_in_every_form() {
        let at_limit = object_of(MAX_DECODED_BYTES);
        let raw = snap::raw::Encoder::new()
            .compress_vec(at_limit.as_bytes())
            .unwrap();
        assert!(raw.len() <= max_blob_bytes());
        assert_eq!(
            decode(&raw, None, MAX_DECODED_BYTES).unwrap().len(),
            MAX_DECODED_BYTES
        );
        let framed = framed(at_limit.as_bytes());
        assert_eq!(
            decode(&framed, None, MAX_DECODED_BYTES).unwrap().len(),
            MAX_DECODED_BYTES
        );
        // One byte more is refused in both.
        let over = object_of(MAX_DECODED_BYTES + 1);
        let raw = snap::raw::Encoder::new()
            .compress_vec(over.as_bytes())
            .unwrap();
        assert!(decode(&raw, None, MAX_DECODED_BYTES)
            .unwrap_err()
            .to_string()
            .contains("over the"));
        let framed = self::framed(over.as_bytes());
        assert!(decode(&framed, None, MAX_DECODED_BYTES)
            .unwrap_err()
            .to_string()
            .contains("more than"));
    }

    #[test]
    fn what_the_package_has_left_bounds_every_form() {
        let bundle = object_of(1000);
        let raw = snap::raw::Encoder::new()
            .compress_vec(bundle.as_bytes())
            .unwrap();
        for (body, content_type) in [
            (raw.clone(), Some("application/x-snappy")),
            (framed(bundle.as_bytes()), None),
            (bundle.clone().into_bytes(), Some("application/json")),
        ] {
            assert_eq!(decode(&body, content_type, 1000).unwrap(), bundle);
            let error = decode(&body, content_type, 999).unwrap_err().to_string();
            assert!(
                error.contains("over what is left") && error.contains("(999 bytes)"),
                "{error}"
            );
        }
        // The declared length is refused before anything is decoded.
        let error = decode(&raw, None, 10).unwrap_err().to_string();
        assert!(error.starts_with("declares 1000 decoded bytes"), "{error}");
    }

    #[test]
    fn the_blob_limit_is_snappys_worst_case_for_the_largest_bundle() {
        assert_eq!(
            max_blob_bytes(),
            snap::raw::max_compress_len(MAX_DECODED_BYTES)
        );
        assert!(max_blob_bytes() > MAX_DECODED_BYTES);
    }

    #[test]
    fn what_is_not_a_url_is_shown_cut_short() {
        let long = "é".repeat(200);
        assert_eq!(short(&long), "é".repeat(120));
        assert_eq!(short("ab"), "ab");
    }
}
