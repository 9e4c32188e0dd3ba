//! Where git may connect for a repository a package's manifest names.
//!
//! The manifest is an answer from outside (anyone may publish a package
//! naming any URL), so its repository is held to the rule for URLs a
//! server's answer names ([`crate::http::rules`]): `https` to public
//! addresses only, redirects included. git itself has no such rule, so
//! the route is settled before git runs, and git is held to it:
//! 1. a URL the user's own git configuration chose (an `insteadOf` rule
//!    that rewrote it, a local path) is git's to fetch as configured;
//! 2. otherwise the host is asked for the repository's advertisement
//!    (`GET …/info/refs?service=git-upload-pack`, protocol v2) through the
//!    client, which follows redirects only to public `https` addresses and
//!    checks each address it connects to;
//! 3. the repository's URL after those redirects, its host resolved and
//!    every address checked, is what git fetches, pinned to the checked
//!    addresses ([`Pin`]), with redirects off.

use std::net::{IpAddr, ToSocketAddrs};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use reqwest::Url;

use crate::git::{is_local, Pin};
use crate::http::rules::{filter_resolved, reach, AnswerFrom, NamedBy, Reach, UrlRefused};
use crate::http::{Destination, Http, HttpError};

/// The suffix of a smart HTTP advertisement's URL.
const ADVERTISEMENT: &str = "/info/refs";
/// Enough for a protocol v2 advertisement (a few hundred bytes) and a
/// small repository's v0 list of references.
const MAX_ADVERTISEMENT_BYTES: usize = 1024 * 1024;

/// Why git may not fetch a repository; every URL in it redacted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum RouteError {
    #[error("not a URL: {0}")]
    NotAUrl(#[from] url::ParseError),
    #[error(transparent)]
    Refused(#[from] UrlRefused),
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("the host redirected to {0}, which is not a repository")]
    NotARepository(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("the URL has no port")]
    NoPort,
    #[error("cannot resolve {host}: {reason}")]
    Unresolved { host: String, reason: String },
    /// Without an HTTP client (offline), a host cannot be checked.
    #[error("no HTTP client to check the repository's host with")]
    NoClient,
}

/// Where git fetches from, and the addresses it may connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Route {
    pub url: String,
    /// `None` for a URL the user's configuration chose.
    pub pin: Option<Pin>,
}

/// The route to `fetch_url`, where git would fetch the manifest's
/// `repository` (the same text unless an `insteadOf` rule rewrote it); an
/// error, shown redacted, for a repository that may not be fetched.
pub(super) async fn route(
    http: &Http,
    repository: &str,
    fetch_url: &str,
) -> Result<Route, RouteError> {
    if fetch_url != repository || is_local(fetch_url) {
        return Ok(Route {
            url: fetch_url.to_string(),
            pin: None,
        });
    }
    let url = Url::parse(fetch_url)?;
    let remote = NamedBy::Answer(AnswerFrom::Elsewhere);
    reach(&url, remote)?;
    let asked = Url::parse(&format!(
        "{}{ADVERTISEMENT}?service=git-upload-pack",
        fetch_url.trim_end_matches('/')
    ))?;
    let mut headers = HeaderMap::new();
    headers.insert(
        ACCEPT,
        HeaderValue::from_static("application/x-git-upload-pack-advertisement"),
    );
    headers.insert("git-protocol", HeaderValue::from_static("version=2"));
    let destination = Destination {
        named_by: remote,
        hosts: None,
    };
    let answered = http
        .get_named(&asked, destination, &headers, MAX_ADVERTISEMENT_BYTES, None)
        .await?;
    let url = repository_of(&answered.url)?;
    let pin = pin(&url)?;
    Ok(Route {
        url: url.to_string(),
        pin: Some(pin),
    })
}

/// The repository whose advertisement `answered` is (the URL after
/// redirects, without `/info/refs` and its query).
fn repository_of(answered: &Url) -> Result<Url, RouteError> {
    let path = answered.path();
    let Some(base) = path.strip_suffix(ADVERTISEMENT) else {
        return Err(RouteError::NotARepository(crate::http::rules::redact_url(
            answered.as_str(),
        )));
    };
    let mut url = answered.clone();
    url.set_path(base);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// The public addresses of `url`'s host, resolved once: what git may
/// connect to.
///
/// Checks, in order: a host written as an address is public; a name
/// resolves; at least one of its addresses is public (only those are
/// pinned).
fn pin(url: &Url) -> Result<Pin, RouteError> {
    let host = url.host_str().ok_or(RouteError::NoHost)?;
    let port = url.port_or_known_default().ok_or(RouteError::NoPort)?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses = match bare.parse::<IpAddr>() {
        Ok(address) => vec![address],
        Err(_) => (bare, port)
            .to_socket_addrs()
            .map_err(|e| RouteError::Unresolved {
                host: bare.to_string(),
                reason: e.to_string(),
            })?
            .collect::<Vec<_>>()
            .into_iter()
            .map(|a| a.ip())
            .collect(),
    };
    let sockets = addresses
        .iter()
        .map(|ip| std::net::SocketAddr::new(*ip, port))
        .collect();
    let allowed = filter_resolved(bare, sockets, Reach::Public)?;
    Ok(Pin {
        host: bare.to_string(),
        port,
        addresses: allowed.iter().map(|a| a.ip()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_is_the_advertisement_without_its_suffix() {
        let answered =
            Url::parse("https://github.com/new/name/info/refs?service=git-upload-pack").unwrap();
        assert_eq!(
            repository_of(&answered).unwrap().as_str(),
            "https://github.com/new/name"
        );
        let elsewhere = Url::parse("https://example.com/login?next=x").unwrap();
        let refused = repository_of(&elsewhere).unwrap_err().to_string();
        assert!(refused.contains("not a repository"), "{refused}");
        assert!(!refused.contains("next=x"), "{refused}");
    }

    #[test]
    fn only_public_addresses_are_pinned() {
        for refused in [
            "https://127.0.0.1/o/r",
            "https://[::1]/o/r",
            "https://10.0.0.1/o/r",
            "https://169.254.169.254/o/r",
            "https://localhost/o/r",
        ] {
            let error = pin(&Url::parse(refused).unwrap()).unwrap_err().to_string();
            assert!(error.contains("public"), "{refused}: {error}");
        }
        let pinned = pin(&Url::parse("https://8.8.8.8:8443/o/r").unwrap()).unwrap();
        assert_eq!(
            pinned,
            Pin {
                host: "8.8.8.8".into(),
                port: 8443,
                addresses: vec!["8.8.8.8".parse().unwrap()],
            }
        );
        let v6 = pin(&Url::parse("https://[2606:4700::1111]/o/r").unwrap()).unwrap();
        assert_eq!(v6.host, "2606:4700::1111");
    }
}
