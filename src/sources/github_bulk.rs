//! GitHub's bulk-list endpoints: the attestations of many subject digests
//! of one owner in one request, `POST /orgs/{org}/attestations/bulk-list`
//! or `POST /users/{user}/attestations/bulk-list` with
//! `{"subject_digests": ["sha256:…", …]}`. The answer maps each digest to
//! its attestations (`{"attestations_subject_digests": {"sha256:…": [ … ] |
//! null}, "page_info": {"has_next": …, "next": …}}`), each entry shaped as
//! in the per-digest lists (a `bundle_url`, or an inline `bundle`).
//!
//! Used with a token only, where the token goes (its answers are filtered
//! by what the token may read, and unauthenticated requests are too few to
//! spend on retries). What it lists for a package is what the per-digest
//! endpoint would: an owner's listing holds every repository of the owner,
//! so for a `github` source (which asks the package's repository) only the
//! entries whose `repository_id` is that repository's are kept, its ID
//! asked of the API once per repository. The verdict does not depend on
//! whether a token is set.
//!
//! [`list`] makes these checks, in order:
//! 1. the owner is a plausible GitHub login;
//! 2. the organization endpoint is asked (unless the owner is known to be
//!    a user), then the user endpoint if that is refused;
//! 3. digests go in batches of [`BATCH`], pages followed through the one
//!    GitHub pager ([`super::github_pages`]);
//! 4. each answer is JSON of the shape above, naming only digests asked for
//!    (read without building its values: each entry is kept as its text),
//!    at most [`MAX_BUNDLES_PER_FILE`] entries per digest over all pages.
//!
//! Refused by both endpoints ([`BulkOutcome::Refused`]): the caller asks per
//! digest instead. A rate limit stops it like any other GitHub request.

use std::collections::{BTreeMap, HashMap};

use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::value::RawValue;
use sigstore_types::Sha256Hash;

use super::github::{repository_from_url, GitHubAuth};
use super::github_pages::{api_headers, Pager};
use super::split::AttestationEntry;
use super::{FailureCause, PackageQuery, SourceFailure, SourceSpec};
use crate::bounded_read::{json_list, JsonList};
use crate::http::{redact_url, AnswerFrom, Http};
use crate::limits::{MAX_BUNDLES_PER_FILE, MAX_DOCUMENT_BYTES};

/// Digests per request.
pub const BATCH: usize = 100;
/// The entries all listings of a run may hold together, waiting for their
/// packages; owners past it are asked one digest at a time.
pub const MAX_LISTED_BYTES: usize = 4 * MAX_DOCUMENT_BYTES;

/// One digest's entries in a listing.
#[derive(Debug, Clone)]
pub struct Listing {
    /// The endpoint that answered, redacted, for the origins of its bundles.
    pub endpoint: String,
    /// Where its answers came from, which judges the URLs they name.
    pub from: AnswerFrom,
    /// Each entry, read once from its page; an error when there are more
    /// than one package may have.
    pub entries: Result<Vec<AttestationEntry>, String>,
}

impl Listing {
    /// The bytes its entries take.
    fn size(&self) -> usize {
        self.entries
            .as_ref()
            .map_or(0, |e| e.iter().map(|e| e.len).sum())
    }
}

/// What a bulk listing produced.
#[derive(Debug)]
pub enum BulkOutcome {
    /// Each digest asked for, with the attestation entries found (empty: none).
    Listed(HashMap<Sha256Hash, Listing>),
    /// Neither endpoint would answer for this owner.
    Refused,
}

/// One page of a bulk answer: its digests (each entry list as text) and
/// the cursor of the next page.
#[derive(Deserialize)]
struct BulkPage<'a> {
    #[serde(default, borrow)]
    attestations_subject_digests: Option<Digests<'a>>,
    #[serde(default)]
    page_info: Option<PageInfo>,
}

#[derive(Deserialize)]
struct PageInfo {
    #[serde(default)]
    has_next: bool,
    next: Option<String>,
}

/// The digests of a page with their entry lists' text, at most [`BATCH`]
/// of them: an answer naming more is not one to the question asked.
struct Digests<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Digests<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = Digests<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of digests")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Digests<'a>, M::Error> {
                let mut digests = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    if digests.len() == BATCH {
                        return Err(serde::de::Error::custom(format!(
                            "more than the {BATCH} digests asked for"
                        )));
                    }
                    digests.push((name, map.next_value::<&'a RawValue>()?));
                }
                Ok(Digests(digests))
            }
        }
        deserializer.deserialize_map(Visitor(std::marker::PhantomData))
    }
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
    if !crate::names::is_github_name(owner.login) {
        return Ok(BulkOutcome::Refused);
    }
    let kinds: &[&str] = if owner.organization {
        &["orgs"]
    } else {
        &["orgs", "users"]
    };
    for kind in kinds {
        let base = owner.api_url.trim_end_matches('/');
        let endpoint = format!("{base}/{kind}/{}/attestations/bulk-list", owner.login);
        if let Some(listed) = list_at(http, owner, &endpoint, digests).await? {
            return Ok(BulkOutcome::Listed(listed));
        }
    }
    Ok(BulkOutcome::Refused)
}

/// Every batch of `digests` at one endpoint; `Ok(None)` when the endpoint
/// refuses (another one may answer).
async fn list_at(
    http: &Http,
    owner: &Owner<'_>,
    endpoint: &str,
    digests: &[Sha256Hash],
) -> Result<Option<HashMap<Sha256Hash, Listing>>, SourceFailure> {
    let label = owner.label;
    let shown = redact_url(endpoint);
    let mut url = Url::parse(endpoint).map_err(|e| {
        SourceFailure::stopping(
            FailureCause::Setup,
            format!("{label}: bad API URL {shown}: {e}"),
        )
    })?;
    url.query_pairs_mut().append_pair("per_page", "100");
    let mut listed: HashMap<Sha256Hash, Listing> = HashMap::new();
    for batch in digests.chunks(BATCH) {
        let names: Vec<String> = batch
            .iter()
            .map(|d| format!("sha256:{}", d.to_hex()))
            .collect();
        let mut body = serde_json::json!({ "subject_digests": names });
        if let Some(predicate_type) = owner.predicate_type {
            body["predicate_type"] = predicate_type.into();
        }
        let mut pager = Pager::post(http, label, url.clone(), body.to_string().into_bytes());
        while let Some(page) = pager.next().await? {
            if page.response.status != StatusCode::OK {
                return Ok(None);
            }
            let read = read_page(&page.response.body, batch, &shown, page.response.from);
            let cursor = read
                .and_then(|(found, cursor)| {
                    merge(&mut listed, found)?;
                    Ok(cursor)
                })
                .map_err(|e| {
                    SourceFailure::new(FailureCause::Listing, format!("{label}: {shown}: {e}"))
                })?;
            if let Some(cursor) = cursor {
                pager.follow_cursor(&cursor);
            }
        }
    }
    for digest in digests {
        listed.entry(*digest).or_insert_with(|| Listing {
            endpoint: shown.clone(),
            from: AnswerFrom::Elsewhere,
            entries: Ok(Vec::new()),
        });
    }
    Ok(Some(listed))
}

/// One page read: its digests with their entries, and the next page's
/// cursor.
type ReadPage = (Vec<(Sha256Hash, Listing)>, Option<String>);

/// The digests of one page with their entries, and the next page's cursor.
fn read_page(
    body: &[u8],
    batch: &[Sha256Hash],
    endpoint: &str,
    from: AnswerFrom,
) -> Result<ReadPage, String> {
    let page: BulkPage =
        serde_json::from_slice(body).map_err(|e| format!("not a bulk-list answer: {e}"))?;
    let mut found = Vec::new();
    for (name, entries) in page
        .attestations_subject_digests
        .map_or(Vec::new(), |d| d.0)
    {
        let digest = name
            .strip_prefix("sha256:")
            .and_then(|hex| Sha256Hash::from_hex(hex).ok())
            .filter(|d| batch.contains(d))
            .ok_or_else(|| {
                format!(
                    "answered for `{}`, which was not asked for",
                    name.chars().take(80).collect::<String>()
                )
            })?;
        let entries = match entries.get() {
            "null" => Ok(Vec::new()),
            list => match json_list(list, MAX_BUNDLES_PER_FILE) {
                Ok(JsonList::Items(items)) => {
                    Ok(items.into_iter().map(AttestationEntry::read).collect())
                }
                Ok(JsonList::Over(count)) => Err(over_limit(count, &name)),
                Err(e) => return Err(format!("the entries of {name} are not a list: {e}")),
            },
        };
        let listing = Listing {
            endpoint: endpoint.to_string(),
            from,
            entries,
        };
        found.push((digest, listing));
    }
    let cursor = match page.page_info {
        Some(PageInfo {
            has_next: true,
            next: Some(next),
        }) if !next.is_empty() => Some(next),
        _ => None,
    };
    Ok((found, cursor))
}

fn over_limit(count: usize, digest: &str) -> String {
    format!("{count} attestations for {digest}, over the limit of {MAX_BUNDLES_PER_FILE} for one package")
}

/// Add a page's entries to what earlier pages listed: the limit of one
/// package holds over all of them; an answer from elsewhere makes the URLs
/// of all of them judged so.
fn merge(
    listed: &mut HashMap<Sha256Hash, Listing>,
    found: Vec<(Sha256Hash, Listing)>,
) -> Result<(), String> {
    for (digest, page) in found {
        let Some(earlier) = listed.get_mut(&digest) else {
            listed.insert(digest, page);
            continue;
        };
        if page.from == AnswerFrom::Elsewhere {
            earlier.from = AnswerFrom::Elsewhere;
        }
        earlier.entries = match (
            std::mem::replace(&mut earlier.entries, Ok(Vec::new())),
            page.entries,
        ) {
            (Ok(mut all), Ok(more)) if all.len() + more.len() <= MAX_BUNDLES_PER_FILE => {
                all.extend(more);
                Ok(all)
            }
            (Ok(all), Ok(more)) => Err(over_limit(
                all.len() + more.len(),
                &format!("sha256:{}", digest.to_hex()),
            )),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
    }
    Ok(())
}

/// What bulk listings gave, per source (by its position) and digest.
pub type Listed = Vec<HashMap<Sha256Hash, Listing>>;

/// Ask every GitHub source whose API the token is for its bulk-list
/// endpoints, before any package is fetched, for the packages of each owner
/// with at least two packages still to ask about (`needed` says which),
/// keeping for each package what the per-digest endpoint would list
/// ([`keep_own_repository`]). Returns what was listed, and per source why it
/// must not be asked again in this run (a rate limit, a refused token). An
/// owner refused by both endpoints is left out, and so is every owner once
/// the listings hold [`MAX_LISTED_BYTES`]: their packages are asked about
/// one digest at a time.
pub async fn prefetch(
    http: &Http,
    sources: &[SourceSpec],
    queries: &[PackageQuery],
    auth: &GitHubAuth,
    needed: impl Fn(usize, &PackageQuery) -> bool,
) -> (Listed, Vec<Option<SourceFailure>>) {
    let mut listed: Listed = vec![HashMap::new(); sources.len()];
    let mut stops = vec![None; sources.len()];
    let mut held = 0;
    for (index, spec) in sources.iter().enumerate() {
        let SourceSpec::GitHub {
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
        let wanted: Vec<&PackageQuery> = queries.iter().filter(|q| needed(index, q)).collect();
        let label = spec.label();
        for (owner, digests) in owners(org.as_deref(), &wanted) {
            if held >= MAX_LISTED_BYTES {
                break;
            }
            let target = Owner {
                api_url,
                login: &owner,
                organization: org.is_some(),
                predicate_type: predicate_type.as_deref(),
                label: &label,
            };
            match list(http, &target, &digests).await {
                Ok(BulkOutcome::Listed(mut found)) => {
                    if org.is_none() {
                        keep_own_repository(http, api_url, &wanted, &mut found).await;
                    }
                    held += found.values().map(Listing::size).sum::<usize>();
                    listed[index].extend(found);
                }
                Ok(BulkOutcome::Refused) => {}
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

/// The owners whose packages are listed together (those with at least two
/// digests to ask about), each with its digests: the source's organization,
/// else the owner of each package's repository.
fn owners(org: Option<&str>, queries: &[&PackageQuery]) -> BTreeMap<String, Vec<Sha256Hash>> {
    let mut owners: BTreeMap<String, Vec<Sha256Hash>> = BTreeMap::new();
    for query in queries {
        let owner = match org {
            Some(org) => Some(org.to_string()),
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
    owners.retain(|_, digests| digests.len() >= 2);
    owners
}

/// Keep, of each digest's entries, those of the repository its package
/// names (as the per-repository endpoint does), asking the API for each
/// repository's ID once. A digest whose repository's ID cannot be had, or
/// that packages of two repositories share, is left out of the listing.
async fn keep_own_repository(
    http: &Http,
    api_url: &str,
    queries: &[&PackageQuery],
    found: &mut HashMap<Sha256Hash, Listing>,
) {
    let mut ids: HashMap<(String, String), Option<u64>> = HashMap::new();
    let mut wanted: HashMap<Sha256Hash, Option<u64>> = HashMap::new();
    for query in queries {
        let Some(listing) = found.get(&query.checksum) else {
            continue;
        };
        let has_entries = listing.entries.as_ref().map_or(true, |e| !e.is_empty());
        let repository = query
            .repository_hint
            .as_deref()
            .and_then(repository_from_url);
        let id = match (has_entries, repository) {
            (false, _) => continue,
            (true, None) => None,
            (true, Some((owner, repo))) => {
                let key = (owner.to_ascii_lowercase(), repo.to_ascii_lowercase());
                if !ids.contains_key(&key) {
                    let id = repository_id(http, api_url, &owner, &repo).await;
                    ids.insert(key.clone(), id);
                }
                ids[&key]
            }
        };
        let previous = *wanted.entry(query.checksum).or_insert(id);
        if previous != id {
            wanted.insert(query.checksum, None);
        }
    }
    for (digest, id) in wanted {
        match id {
            Some(id) => {
                if let Some(Listing {
                    entries: Ok(entries),
                    ..
                }) = found.get_mut(&digest)
                {
                    entries.retain(|entry| entry.repository_id == Some(id));
                }
            }
            None => {
                found.remove(&digest);
            }
        }
    }
}

/// A repository's ID, as the API at `api_url` answers
/// `GET /repos/{owner}/{repo}`; `None` when it cannot be had.
async fn repository_id(http: &Http, api_url: &str, owner: &str, repo: &str) -> Option<u64> {
    #[derive(Deserialize)]
    struct Repository {
        id: u64,
    }
    let base = api_url.trim_end_matches('/');
    let url = Url::parse(&format!("{base}/repos/{owner}/{repo}")).ok()?;
    let response = http.get(&url, &api_headers()).await.ok()?;
    if response.status != StatusCode::OK {
        return None;
    }
    serde_json::from_slice::<Repository>(&response.body)
        .ok()
        .map(|r| r.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(byte: u8) -> Sha256Hash {
        Sha256Hash::new([byte; 32])
    }

    fn name(byte: u8) -> String {
        format!("sha256:{}", digest(byte).to_hex())
    }

    #[test]
    fn a_page_is_read_into_entries_as_text_and_its_cursor() {
        let body = format!(
            r#"{{"attestations_subject_digests":{{"{}":[{{"repository_id":1,"bundle_url":"u"}}],"{}":null}},"page_info":{{"has_next":true,"next":"C"}}}}"#,
            name(1),
            name(2)
        );
        let (found, cursor) = read_page(
            body.as_bytes(),
            &[digest(1), digest(2)],
            "e",
            AnswerFrom::Loopback,
        )
        .unwrap();
        assert_eq!(cursor.as_deref(), Some("C"));
        let entries: Vec<(Sha256Hash, usize)> = found
            .iter()
            .map(|(d, l)| (*d, l.entries.as_ref().unwrap().len()))
            .collect();
        assert_eq!(entries, [(digest(1), 1), (digest(2), 0)]);
        let entry = &found[0].1.entries.as_ref().unwrap()[0];
        assert_eq!(entry.repository_id, Some(1));
    }

    #[test]
    fn a_page_naming_what_was_not_asked_is_refused() {
        let body = format!(
            r#"{{"attestations_subject_digests":{{"{}":null}}}}"#,
            name(3)
        );
        let error = read_page(body.as_bytes(), &[digest(1)], "e", AnswerFrom::Loopback)
            .err()
            .unwrap();
        assert!(error.contains("not asked for"), "{error}");
        let many: Vec<String> = (0..=BATCH).map(|n| format!(r#""k{n}":null"#)).collect();
        let body = format!(
            r#"{{"attestations_subject_digests":{{{}}}}}"#,
            many.join(",")
        );
        let error = read_page(body.as_bytes(), &[digest(1)], "e", AnswerFrom::Loopback)
            .err()
            .unwrap();
        assert!(error.contains("more than the 100 digests"), "{error}");
    }

    #[test]
    fn entries_over_all_pages_are_held_to_the_limit_of_one_package() {
        let page = |count: usize| {
            let entries = vec![r#"{"repository_id":1}"#; count].join(",");
            format!(
                r#"{{"attestations_subject_digests":{{"{}":[{entries}]}}}}"#,
                name(1)
            )
        };
        let mut listed = HashMap::new();
        for count in [200, MAX_BUNDLES_PER_FILE - 200] {
            let (found, _) = read_page(
                page(count).as_bytes(),
                &[digest(1)],
                "e",
                AnswerFrom::Loopback,
            )
            .unwrap();
            merge(&mut listed, found).unwrap();
        }
        assert_eq!(
            listed[&digest(1)].entries.as_ref().unwrap().len(),
            MAX_BUNDLES_PER_FILE
        );
        let (found, _) =
            read_page(page(1).as_bytes(), &[digest(1)], "e", AnswerFrom::Elsewhere).unwrap();
        merge(&mut listed, found).unwrap();
        let error = listed[&digest(1)].entries.as_ref().unwrap_err();
        assert!(error.contains("257 attestations"), "{error}");
        assert_eq!(listed[&digest(1)].from, AnswerFrom::Elsewhere);
        let (found, _) = read_page(
            page(MAX_BUNDLES_PER_FILE + 1).as_bytes(),
            &[digest(1)],
            "e",
            AnswerFrom::Loopback,
        )
        .unwrap();
        assert!(found[0].1.entries.is_err());
    }
}
