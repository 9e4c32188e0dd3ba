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

use super::rules::{
    filter_resolved, is_loopback_host, reach, AnswerFrom, NamedBy, Reach, UrlRefused,
};
use super::{error_chain, FailureKind, HttpConfig, HttpError, USER_AGENT_VALUE};

/// The clients, built when first needed.
#[derive(Debug, Default)]
pub(super) struct Clients {
    anywhere: OnceLock<Result<reqwest::Client, HttpError>>,
    loopback: OnceLock<Result<reqwest::Client, HttpError>>,
    public: OnceLock<Result<reqwest::Client, HttpError>>,
    public_or_loopback: OnceLock<Result<reqwest::Client, HttpError>>,
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

    /// A client that follows redirects itself, for a library that asks
    /// the configured URL `home` (the TUF refresh). Connections to `home`'s
    /// host go where a configured URL may ([`NamedBy::Configuration`]);
    /// every redirect target is a URL an answer named, held to the same
    /// rule as the request loop's redirects: [`reach`] for the URL, and for
    /// a name the addresses it resolves to ([`filter_resolved`]), so the
    /// address connected to is the address checked. An answer counts as
    /// from loopback only when it came from `home` and `home` is this
    /// machine (tests), unless `loopback_answers_are_remote`.
    pub(super) fn following(
        &self,
        config: &HttpConfig,
        home: &url::Url,
    ) -> Result<reqwest::Client, HttpError> {
        let refused = |refused: UrlRefused| HttpError::Refused {
            url: super::redact_url(home.as_str()),
            reason: refused.to_string(),
        };
        let home_reach = reach(home, NamedBy::Configuration).map_err(refused)?;
        let home_host = home.host_str().unwrap_or_default().to_ascii_lowercase();
        let home_is_loopback = home.host().as_ref().is_some_and(is_loopback_host);
        let from_home = if home_is_loopback && !config.loopback_answers_are_remote {
            AnswerFrom::Loopback
        } else {
            AnswerFrom::Elsewhere
        };
        let answers = NamedBy::Answer(from_home);
        let answers_reach = reach(home, answers).unwrap_or(Reach::Public);
        let max_redirects = config.max_redirects;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                return attempt.error(format!("more than {max_redirects} redirects"));
            }
            let named_by = match attempt.previous().last() {
                Some(from) if from.host_str() == Some(home_host.as_str()) => answers,
                _ => NamedBy::Answer(AnswerFrom::Elsewhere),
            };
            match reach(attempt.url(), named_by) {
                Ok(_) => attempt.follow(),
                Err(refused) => attempt.error(refused),
            }
        });
        let resolver = Resolver {
            reach: answers_reach,
            home: Some((home.host_str().unwrap_or_default().to_string(), home_reach)),
        };
        build_with(config, resolver, policy, false)
    }
}

fn build(
    config: &HttpConfig,
    reach: Reach,
    redirect: reqwest::redirect::Policy,
) -> Result<reqwest::Client, HttpError> {
    let resolver = Resolver { reach, home: None };
    build_with(config, resolver, redirect, reach == Reach::Anywhere)
}

fn build_with(
    config: &HttpConfig,
    resolver: Resolver,
    redirect: reqwest::redirect::Policy,
    proxy: bool,
) -> Result<reqwest::Client, HttpError> {
    let mut headers = HeaderMap::new();
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    let mut builder = reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .redirect(redirect)
        .referer(false)
        .dns_resolver(resolver);
    if !proxy {
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
/// allows (`home`'s reach for the name `home`); names under `.invalid`
/// never resolve (RFC 6761) and fail without asking any name server.
struct Resolver {
    reach: Reach,
    home: Option<(String, Reach)>,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let reach = match &self.home {
            Some((home, reach)) if home.eq_ignore_ascii_case(&host) => *reach,
            _ => self.reach,
        };
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
