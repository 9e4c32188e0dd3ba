//! The `reqwest` clients behind [`super::Http`], one per [`Reach`]: each
//! resolves names through a [`Resolver`] that hands the connector only the
//! addresses its reach allows, so the address connected to is the address
//! checked. None follows redirects or sends `Referer` (the request loop
//! follows redirects itself, judging each target by [`super::rules`]); the
//! clients for answers' URLs never go through a proxy, whose connections
//! could not be checked.

use std::net::SocketAddr;
use std::sync::OnceLock;

use reqwest::header::{HeaderMap, HeaderValue, USER_AGENT};

use super::rules::{filter_resolved, reach, AnswerFrom, NamedBy, Reach, UrlRefused};
use super::{error_chain, FailureKind, HttpConfig, HttpError, USER_AGENT_VALUE};

/// The clients, built when first needed.
#[derive(Debug, Default)]
pub(super) struct Clients {
    anywhere: OnceLock<Result<reqwest::Client, HttpError>>,
    loopback: OnceLock<Result<reqwest::Client, HttpError>>,
    public: OnceLock<Result<reqwest::Client, HttpError>>,
    public_or_loopback: OnceLock<Result<reqwest::Client, HttpError>>,
    /// For libraries that follow redirects themselves (the TUF refresh).
    following: OnceLock<Result<reqwest::Client, HttpError>>,
}

impl Clients {
    /// The client whose connections go only where `reach` allows.
    pub(super) fn for_reach(
        &self,
        reach: Reach,
        config: &HttpConfig,
    ) -> Result<reqwest::Client, HttpError> {
        let cell = match reach {
            Reach::Anywhere => &self.anywhere,
            Reach::Loopback => &self.loopback,
            Reach::Public => &self.public,
            Reach::PublicOrLoopback => &self.public_or_loopback,
        };
        cell.get_or_init(|| build(config, reach, reqwest::redirect::Policy::none()))
            .clone()
    }

    /// A client that follows redirects itself, each target held to the rule
    /// for a URL an answer from elsewhere names ([`NamedBy::Answer`]): `https`
    /// only, never to an address written as a non-public IP.
    pub(super) fn following(&self, config: &HttpConfig) -> Result<reqwest::Client, HttpError> {
        let max_redirects = config.max_redirects;
        self.following
            .get_or_init(|| {
                let policy = reqwest::redirect::Policy::custom(move |attempt| {
                    if attempt.previous().len() > max_redirects {
                        return attempt.error(format!("more than {max_redirects} redirects"));
                    }
                    match reach(attempt.url(), NamedBy::Answer(AnswerFrom::Elsewhere)) {
                        Ok(_) => attempt.follow(),
                        Err(refused) => attempt.error(refused),
                    }
                });
                build(config, Reach::Anywhere, policy)
            })
            .clone()
    }
}

fn build(
    config: &HttpConfig,
    reach: Reach,
    redirect: reqwest::redirect::Policy,
) -> Result<reqwest::Client, HttpError> {
    let mut headers = HeaderMap::new();
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    let mut builder = reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .redirect(redirect)
        .referer(false)
        .dns_resolver(Resolver { reach });
    if reach != Reach::Anywhere {
        builder = builder.no_proxy();
    }
    builder
        .build()
        .map_err(|e| HttpError::Client(error_chain(&e)))
}

/// A host name that did not resolve.
#[derive(Debug, thiserror::Error)]
#[error("{host} does not resolve: {detail}")]
struct NameNotResolved {
    host: String,
    detail: String,
}

/// A host name that resolved only to addresses the request may not go to.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct AddressRefused(UrlRefused);

/// The system's name resolution, keeping only the addresses `reach`
/// allows; names under `.invalid` never resolve (RFC 6761) and fail
/// without asking any name server.
struct Resolver {
    reach: Reach,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let reach = self.reach;
        Box::pin(async move {
            let failure = |detail: String| -> Box<dyn std::error::Error + Send + Sync> {
                Box::new(NameNotResolved {
                    host: host.clone(),
                    detail,
                })
            };
            let bare = host.trim_end_matches('.').to_ascii_lowercase();
            if bare == "invalid" || bare.ends_with(".invalid") {
                return Err(failure("a name under .invalid never resolves".into()));
            }
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| failure(e.to_string()))?
                .collect();
            if addresses.is_empty() {
                return Err(failure("no address".into()));
            }
            let allowed = filter_resolved(&host, addresses, reach).map_err(
                |refused| -> Box<dyn std::error::Error + Send + Sync> {
                    Box::new(AddressRefused(refused))
                },
            )?;
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Every error in the chain of `error`, I/O errors' inner errors included
/// (the TLS layer wraps its I/O error in another one, whose `source` skips
/// it).
fn causes<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    let mut stack = vec![error];
    std::iter::from_fn(move || {
        let cause = stack.pop()?;
        if let Some(source) = cause.source() {
            stack.push(source);
        }
        if let Some(inner) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            stack.push(inner);
        }
        Some(cause)
    })
}

/// The refusal of the resolver, when that is why a request failed.
pub(super) fn refused_address(error: &reqwest::Error) -> Option<UrlRefused> {
    causes(error).find_map(|cause| cause.downcast_ref::<AddressRefused>().map(|r| r.0.clone()))
}

/// Why a failed request could not reach its host, if that is why it failed.
pub(super) fn unreachable_kind(error: &reqwest::Error) -> Option<FailureKind> {
    if !error.is_connect() {
        return None;
    }
    for cause in causes(error) {
        if cause.is::<NameNotResolved>() {
            return Some(FailureKind::DnsFailed);
        }
        match cause.downcast_ref::<std::io::Error>().map(|io| io.kind()) {
            Some(std::io::ErrorKind::ConnectionRefused) => {
                return Some(FailureKind::ConnectionRefused)
            }
            // What the TLS layer reports a failed handshake as.
            Some(std::io::ErrorKind::InvalidData) => return Some(FailureKind::TlsFailed),
            _ => {}
        }
    }
    error.is_timeout().then_some(FailureKind::ConnectTimeout)
}
