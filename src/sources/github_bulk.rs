//! GitHub's bulk-list endpoints: the attestations of many subject digests
//! of one owner in one request, `POST /orgs/{org}/attestations/bulk-list`
//! or `POST /users/{user}/attestations/bulk-list` with
//! `{"subject_digests": ["sha256:…", …]}`. The answer maps each digest to
//! its attestations (`{"attestations_subject_digests": {"sha256:…": [ … ] |
//! null}, "page_info": {"has_next": …, "next": …}}`), each entry shaped as
//! in the per-digest lists (a `bundle_url`, or an inline `bundle`).
//!
//! Used with a token only (its answers are filtered by what the token may
//! read, and unauthenticated requests are too few to spend on retries).
//! [`list`] makes these checks, in order:
//! 1. the owner is a plausible GitHub login;
//! 2. the organization endpoint is asked (unless the owner is known to be
//!    a user), then the user endpoint if that is refused;
//! 3. digests go in batches of [`BATCH`], pages followed up to
//!    [`MAX_PAGES`] per batch;
//! 4. each answer is JSON of the shape above, naming only digests asked for.
//!
//! Refused by both endpoints ([`BulkOutcome::Refused`]): the caller asks per
//! digest instead. A rate limit stops it like any other GitHub request.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde::Deserialize;
use sigstore_types::Sha256Hash;

use super::github::{api_headers, failure, refused, repository_from_url, GitHubAuth};
use super::SourceFailure;
use crate::http::{redact_url, AnswerFrom, Http};

/// Digests per request.
pub const BATCH: usize = 100;
/// Pages followed per batch.
const MAX_PAGES: usize = 10;

/// What a bulk listing produced.
#[derive(Debug)]
pub enum BulkOutcome {
    /// Each digest asked for, with the attestation entries found (empty: none).
    Listed {
        entries: HashMap<Sha256Hash, Vec<serde_json::Value>>,
        /// The endpoint that answered, for the origins of its bundles.
        endpoint: String,
        /// Where its answers came from, which judges the URLs they name.
        from: AnswerFrom,
    },
    /// Neither endpoint would answer for this owner.
    Refused(String),
}

#[derive(Deserialize)]
struct BulkAnswer {
    #[serde(default)]
    attestations_subject_digests: HashMap<String, Option<Vec<serde_json::Value>>>,
    #[serde(default)]
    page_info: Option<PageInfo>,
}

#[derive(Deserialize)]
struct PageInfo {
    #[serde(default)]
    has_next: bool,
    next: Option<String>,
}

/// Whose attestations are listed, where.
pub struct Owner<'a> {
    pub api_url: &'a str,
    pub login: &'a str,
    /// Known to be an organization (a `github:ORG` source): the user
    /// endpoint is not tried.
    pub organization: bool,
    pub predicate_type: Option<&'a str>,
    /// The source's label, for messages.
    pub label: &'a str,
}

/// The attestations of `digests` owned by `owner` (see the module
/// documentation).
pub async fn list(
    http: &Http,
    owner: &Owner<'_>,
    digests: &[Sha256Hash],
) -> Result<BulkOutcome, SourceFailure> {
    let Owner {
        api_url,
        login: owner,
        organization,
        predicate_type,
        label,
    } = *owner;
    if repository_from_url(&format!("https://github.com/{owner}/x")).is_none() {
        return Ok(BulkOutcome::Refused(format!(
            "`{owner}` is not a GitHub login"
        )));
    }
    let headers = api_headers();
    let base = api_url.trim_end_matches('/');
    let mut from = AnswerFrom::Loopback;
    let kinds: &[&str] = if organization {
        &["orgs"]
    } else {
        &["orgs", "users"]
    };
    let mut refusals = Vec::new();
    'kinds: for kind in kinds {
        let endpoint = format!("{base}/{kind}/{owner}/attestations/bulk-list");
        let shown = redact_url(&endpoint);
        let mut entries = HashMap::new();
        for batch in digests.chunks(BATCH) {
            let names: Vec<String> = batch
                .iter()
                .map(|d| format!("sha256:{}", d.to_hex()))
                .collect();
            let mut body = serde_json::json!({ "subject_digests": names });
            if let Some(predicate_type) = predicate_type {
                body["predicate_type"] = predicate_type.into();
            }
            let body = body.to_string().into_bytes();
            let mut after: Option<String> = None;
            for page in 1..=MAX_PAGES + 1 {
                if page > MAX_PAGES {
                    return Err(SourceFailure::new(format!(
                        "{label}: more than {MAX_PAGES} pages from {shown}"
                    )));
                }
                let mut url = reqwest::Url::parse(&endpoint).map_err(|e| {
                    SourceFailure::stopping(format!(
                        "{label}: bad API URL {}: {e}",
                        redact_url(base)
                    ))
                })?;
                url.query_pairs_mut().append_pair("per_page", "100");
                if let Some(after) = &after {
                    url.query_pairs_mut().append_pair("after", after);
                }
                let response = http
                    .post_json(&url, &headers, &body)
                    .await
                    .map_err(|e| failure(label, http.sends_credential_to(&url), e))?;
                match response.status {
                    StatusCode::OK => {}
                    StatusCode::UNAUTHORIZED => {
                        return Err(refused(label, http, &url, response.status, &[]))
                    }
                    status => {
                        refusals.push(format!("{shown} answered {status}"));
                        continue 'kinds;
                    }
                }
                // One answer from elsewhere makes every URL they name judged so.
                if response.from == AnswerFrom::Elsewhere {
                    from = AnswerFrom::Elsewhere;
                }
                let answer: BulkAnswer = serde_json::from_slice(&response.body).map_err(|e| {
                    SourceFailure::new(format!("{label}: {shown}: not a bulk-list answer: {e}"))
                })?;
                for (name, found) in answer.attestations_subject_digests {
                    let digest = name
                        .strip_prefix("sha256:")
                        .and_then(|hex| Sha256Hash::from_hex(hex).ok())
                        .filter(|d| batch.contains(d))
                        .ok_or_else(|| {
                            SourceFailure::new(format!(
                                "{label}: {shown} answered for `{}`, which was not asked for",
                                name.chars().take(80).collect::<String>()
                            ))
                        })?;
                    entries
                        .entry(digest)
                        .or_insert_with(Vec::new)
                        .extend(found.unwrap_or_default());
                }
                match answer.page_info {
                    Some(PageInfo {
                        has_next: true,
                        next: Some(next),
                    }) if !next.is_empty() => after = Some(next),
                    _ => break,
                }
            }
        }
        for digest in digests {
            entries.entry(*digest).or_insert_with(Vec::new);
        }
        return Ok(BulkOutcome::Listed {
            entries,
            endpoint: shown,
            from,
        });
    }
    Ok(BulkOutcome::Refused(refusals.join("; ")))
}

/// What bulk listings gave, per source (by its position) and digest: the
/// endpoint that answered, where its answers came from, and the digest's
/// entries.
pub type Listed = Vec<HashMap<Sha256Hash, (String, AnswerFrom, Vec<serde_json::Value>)>>;

/// Ask every GitHub source whose API the token is for its bulk-list
/// endpoints, before any package is fetched, for the packages of each owner
/// with at least two packages still to ask about (`needed` says which). Returns what was listed, and per
/// source why it must not be asked again in this run (a rate limit, a
/// refused token). An owner refused by both endpoints is left out: its
/// packages are asked about one digest at a time.
pub async fn prefetch(
    http: &Http,
    sources: &[super::SourceSpec],
    queries: &[super::PackageQuery],
    auth: &GitHubAuth,
    needed: impl Fn(usize, &super::PackageQuery) -> bool,
) -> (Listed, Vec<Option<SourceFailure>>) {
    let mut listed: Listed = vec![HashMap::new(); sources.len()];
    let mut stops = vec![None; sources.len()];
    for (index, spec) in sources.iter().enumerate() {
        let super::SourceSpec::GitHub {
            api_url,
            org,
            predicate_type,
        } = spec
        else {
            continue;
        };
        // Listing needs the token, which goes to the API it is for only.
        if !auth.is_sent_to(api_url) {
            continue;
        }
        let mut owners: std::collections::BTreeMap<String, Vec<Sha256Hash>> = Default::default();
        for query in queries.iter().filter(|q| needed(index, q)) {
            let owner = match org {
                Some(org) => Some(org.clone()),
                None => query
                    .repository_hint
                    .as_deref()
                    .and_then(repository_from_url)
                    .map(|(owner, _)| owner.to_ascii_lowercase()),
            };
            if let Some(owner) = owner {
                let digests = owners.entry(owner).or_default();
                if !digests.contains(&query.checksum) {
                    digests.push(query.checksum);
                }
            }
        }
        let label = spec.label();
        for (owner, digests) in owners.into_iter().filter(|(_, d)| d.len() >= 2) {
            let target = Owner {
                api_url,
                login: &owner,
                organization: org.is_some(),
                predicate_type: predicate_type.as_deref(),
                label: &label,
            };
            let outcome = list(http, &target, &digests).await;
            match outcome {
                Ok(BulkOutcome::Listed {
                    entries,
                    endpoint,
                    from,
                }) => {
                    for (digest, found) in entries {
                        listed[index].insert(digest, (endpoint.clone(), from, found));
                    }
                }
                Ok(BulkOutcome::Refused(_)) => {}
                Err(failure) if failure.stop_source => {
                    stops[index] = Some(failure);
                    break;
                }
                // Anything else: those packages are asked one at a time.
                Err(_) => {}
            }
        }
    }
    (listed, stops)
}
