//! The one HTTP client of the program, and the rules every request follows.
//!
//! Everything that goes over the network (provenance sources, the TUF
//! refresh of trust roots) goes through [`Http`], so the limits below hold
//! everywhere:
//! - where a request may go is decided by who named its URL
//!   ([`rules`]): the configuration may name `https` anywhere and plain
//!   `http` to a loopback address; a server's answer (a `bundle_url`, a
//!   redirect) only `https` to a public address, checked against the
//!   addresses actually connected to, and loopback only when that answer
//!   came from loopback itself;
//! - redirects are followed here, at most [`HttpConfig::max_redirects`],
//!   each target judged as a URL its answer named; a POST is never
//!   redirected; no `Referer` header is ever sent;
//! - a credential ([`Credential`]) is sent to its own origin only, on
//!   every hop: never to another host, port or scheme, whoever names it;
//! - URLs in errors are redacted ([`redact_url`]): no userinfo, no query;
//! - a connect timeout and a total timeout per attempt;
//! - retries with exponential backoff and jitter on broken connections,
//!   timeouts and 5xx answers, but none when the host cannot be reached at
//!   all (its name does not resolve, it refuses the connection, the TLS
//!   handshake fails): asking again at once cannot help;
//! - a host that could not be reached [`GIVE_UP_AFTER`] times in a row for
//!   the same reason is not asked again by this client (every task shares
//!   it), so a run without a network ends in moments;
//! - names under `.invalid` (RFC 6761) fail to resolve without asking any
//!   name server;
//! - rate limits (429, or 403 with rate-limit headers) are waited out when
//!   the wait is short, and reported as [`HttpError::RateLimited`] otherwise;
//! - response bodies are streamed and refused past a size cap, and past
//!   what the package's [`Budget`] has left, while they are read;
//! - a User-Agent naming the tool and its version.

mod connect;
mod health;
mod rate;
pub(crate) mod rules;

use std::sync::Arc;
use std::time::Duration;

use miette::Diagnostic;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, LOCATION};
use reqwest::{StatusCode, Url};

pub use crate::failure_kind::FailureKind;
use crate::limits::Budget;
use connect::Clients;
use health::HostHealth;
#[cfg(test)]
use health::GIVE_UP_AFTER;
pub use rate::RateLimiter;
pub use rules::{redact_url, redact_url_keyed, AnswerFrom, NamedBy, UrlRefused};

/// `cargo-verify-provenance/VERSION (+REPOSITORY)`.
pub const USER_AGENT_VALUE: &str = concat!(
    env!("CARGO_PKG_NAME"),
    "/",
    env!("CARGO_PKG_VERSION"),
    " (+",
    env!("CARGO_PKG_REPOSITORY"),
    ")"
);

/// How requests are made. The defaults suit real registries; tests and
/// benchmarks shorten the timeouts and backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Time to establish a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time for one whole attempt, body included.
    pub timeout: Duration,
    /// Retries after the first attempt, on connection errors, timeouts and 5xx.
    pub retries: u32,
    /// The first backoff delay; doubled for each retry, up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// A rate limit that resets within this time is waited out; a longer one
    /// stops the request with `HttpError::RateLimited`.
    pub max_rate_limit_wait: Duration,
    /// Responses with a larger body are refused.
    pub max_body_bytes: usize,
    /// Redirects followed per request.
    pub max_redirects: usize,
    /// The least time between two requests to crates.io's API, across the
    /// whole run: its data access policy allows one a second.
    pub crates_io_interval: Duration,
    /// Judge answers from a loopback address as answers from elsewhere:
    /// the URLs they name may then lead to public addresses only. Tests
    /// use it to stand a loopback server in for a remote one; it can only
    /// refuse more.
    pub loopback_answers_are_remote: bool,
}

/// crates.io's API rate: at most one request a second.
pub const CRATES_IO_INTERVAL: Duration = Duration::from_secs(1);

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_rate_limit_wait: Duration::from_secs(60),
            // Four times the largest bundle: one page of GitHub's API holds many.
            max_body_bytes: crate::limits::MAX_DOCUMENT_BYTES,
            max_redirects: 5,
            crates_io_interval: CRATES_IO_INTERVAL,
            loopback_answers_are_remote: false,
        }
    }
}

/// A request that did not produce a usable response. Every URL in it is
/// redacted ([`redact_url`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
pub enum HttpError {
    #[error("{url}: not fetched: {reason}")]
    #[diagnostic(
        code("http-refused-url"),
        help("sources are fetched over https; a server's answer may only lead to https URLs on public addresses")
    )]
    Refused { url: String, reason: String },
    #[error("`{url}` is not a valid URL: {reason}")]
    #[diagnostic(code("http-bad-url"))]
    BadUrl { url: String, reason: String },
    #[error("{url}: connection failed after {attempts} attempt(s): {message}")]
    #[diagnostic(
        code("http-connection-failed"),
        help("check the network, or run with --offline to use only the cache and local sources")
    )]
    Connection {
        url: String,
        attempts: u32,
        message: String,
    },
    #[error("{url}: cannot reach {host}: {}{}", kind.describe(), if *given_up { " before, so it is not asked again in this run".to_string() } else { format!(" ({detail})") })]
    #[diagnostic(
        code("http-unreachable"),
        help("check the network, or run with --offline to use only the cache and local sources")
    )]
    Unreachable {
        url: String,
        /// `host`, or `host:port` for a port other than the scheme's.
        host: String,
        kind: FailureKind,
        detail: String,
        /// Not even tried: the host had already failed [`GIVE_UP_AFTER`] times.
        given_up: bool,
    },
    #[error("{url}: no complete answer within {timeout_ms} ms after {attempts} attempt(s)")]
    #[diagnostic(
        code("http-timeout"),
        help("the server is slow or unreachable; try again later")
    )]
    Timeout {
        url: String,
        attempts: u32,
        timeout_ms: u128,
    },
    #[error("{url}: server error {status} after {attempts} attempt(s)")]
    #[diagnostic(
        code("http-server-error"),
        help("the server is failing; try again later")
    )]
    ServerError {
        url: String,
        status: u16,
        attempts: u32,
    },
    #[error("{url}: the response is over the {limit}-byte limit")]
    #[diagnostic(
        code("http-response-too-large"),
        help("no provenance document is this large; the server is misbehaving")
    )]
    TooLarge { url: String, limit: usize },
    #[error("{url}: {over}")]
    #[diagnostic(
        code("http-over-budget"),
        help("no package has this much provenance; the server is misbehaving")
    )]
    OverBudget {
        url: String,
        over: crate::limits::OverBudget,
    },
    #[error("{url}: rate limited{}", reset_in.map(|d| format!(" for another {} s", d.as_secs().max(1))).unwrap_or_default())]
    #[diagnostic(code("http-rate-limited"))]
    RateLimited {
        url: String,
        reset_in: Option<Duration>,
    },
    #[error("cannot build the HTTP client: {0}")]
    #[diagnostic(code("http-client"))]
    Client(String),
}

impl HttpError {
    /// What kind of failure this is.
    pub fn kind(&self) -> FailureKind {
        match self {
            Self::Unreachable { kind, .. } => *kind,
            Self::Connection { .. } => FailureKind::ConnectionFailed,
            Self::Timeout { .. } => FailureKind::Timeout,
            Self::ServerError { .. } => FailureKind::ServerError,
            Self::RateLimited { .. } => FailureKind::RateLimited,
            Self::Refused { .. }
            | Self::BadUrl { .. }
            | Self::TooLarge { .. }
            | Self::OverBudget { .. }
            | Self::Client(_) => FailureKind::Failed,
        }
    }

    /// The host that could not be reached, for [`HttpError::Unreachable`].
    pub fn unreachable_host(&self) -> Option<&str> {
        match self {
            Self::Unreachable { host, .. } => Some(host),
            _ => None,
        }
    }
}

/// A complete response: status, headers and the whole (capped) body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The URL that answered, after redirects.
    pub url: Url,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Where the answer came from: judges the URLs it names.
    pub from: AnswerFrom,
}

/// A secret sent as `Authorization` to one origin (scheme, host and port)
/// and nowhere else, whatever URL a request or a redirect names.
#[derive(Clone)]
pub struct Credential {
    origin: url::Origin,
    value: HeaderValue,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential(for {})", self.origin.ascii_serialization())
    }
}

impl Credential {
    /// `Authorization: Bearer TOKEN` for the origin of `api`; an error when
    /// the token cannot be a header value.
    pub fn bearer(api: &Url, token: &str) -> Result<Self, CredentialError> {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| CredentialError::NotAHeaderValue)?;
        value.set_sensitive(true);
        Ok(Self {
            origin: api.origin(),
            value,
        })
    }

    /// Whether a request to `url` carries it.
    pub fn is_for(&self, url: &Url) -> bool {
        self.origin.is_tuple() && url.origin() == self.origin
    }
}

/// Why a token cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("the token contains characters not allowed in a header")]
    NotAHeaderValue,
}

/// Where a request may go beyond what its URL's [`NamedBy`] allows.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    pub named_by: NamedBy,
    /// When set, every hop must be to one of these hosts.
    pub hosts: Option<&'a [String]>,
}

impl Destination<'_> {
    /// A URL of the configuration, to any host.
    pub const CONFIGURED: Destination<'static> = Destination {
        named_by: NamedBy::Configuration,
        hosts: None,
    };
}

/// What one request sends and may read.
struct Ask<'a> {
    headers: &'a HeaderMap,
    /// A POST body; `None` for a GET.
    body: Option<&'a [u8]>,
    max_bytes: usize,
    budget: Option<&'a Budget>,
    limiter: Option<&'a RateLimiter>,
}

/// The shared client and the rules it is used with. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Http {
    clients: Arc<Clients>,
    config: HttpConfig,
    hosts: Arc<HostHealth>,
    credential: Option<Credential>,
}

/// `host`, or `host:port` when the port is not the scheme's.
fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// A URL as errors show it.
fn shown(url: &Url) -> String {
    redact_url(url.as_str())
}

/// Parse a URL the configuration names and check it may be fetched
/// ([`rules::check_configured`]).
pub fn parse_url(text: &str) -> Result<Url, HttpError> {
    rules::check_configured(text).map_err(|error| match error {
        rules::ConfiguredUrlError::NotAUrl { url, source } => HttpError::BadUrl {
            url,
            reason: source.to_string(),
        },
        rules::ConfiguredUrlError::Refused { url, reason } => HttpError::Refused { url, reason },
    })
}

/// What to do after an attempt.
enum Attempt {
    Done(Response),
    /// Retry after the backoff delay.
    Retry(HttpError),
    /// Retry after this wait (a rate limit); does not use up a retry.
    Wait(Duration, HttpError),
    Fail(HttpError),
}

impl Http {
    /// Build the client (its connections are made when first needed).
    pub fn new(config: HttpConfig) -> Result<Self, HttpError> {
        let http = Self {
            clients: Arc::default(),
            config,
            hosts: Arc::default(),
            credential: None,
        };
        // A client that cannot be built fails here, not at the first request.
        http.clients
            .for_reach(rules::Reach::Anywhere, &http.config)?;
        Ok(http)
    }

    /// The same client, sending `credential` to its origin.
    pub fn with_credential(mut self, credential: Option<Credential>) -> Self {
        self.credential = credential;
        self
    }

    /// Whether requests to `url` carry the credential.
    pub fn sends_credential_to(&self, url: &Url) -> bool {
        self.credential.as_ref().is_some_and(|c| c.is_for(url))
    }

    /// A client for a library that takes one and asks the configured URL
    /// `home` (the TUF refresh): this module's timeouts and User-Agent, no
    /// `Referer`, and redirects followed by the same rule as
    /// [`Http::get`]'s, on the addresses connected to (see
    /// `connect::Clients::following`). Retries, the body cap and the
    /// credential apply only through [`Http::get`].
    pub fn client_for(&self, home: &Url) -> Result<reqwest::Client, HttpError> {
        self.clients.following(&self.config, home)
    }

    /// GET a URL the configuration names, with extra headers, following
    /// the rules of this module.
    ///
    /// Returns the response for every status except 5xx and rate limits,
    /// which are retried or waited out first: 404 and other 4xx answers are
    /// the caller's to interpret.
    pub async fn get(&self, url: &Url, headers: &HeaderMap) -> Result<Response, HttpError> {
        self.get_within(url, headers, None).await
    }

    /// [`Http::get`], the body counted against `budget` while it is read.
    pub async fn get_within(
        &self,
        url: &Url,
        headers: &HeaderMap,
        budget: Option<&Budget>,
    ) -> Result<Response, HttpError> {
        let ask = Ask {
            headers,
            body: None,
            max_bytes: self.config.max_body_bytes,
            budget,
            limiter: None,
        };
        self.request(url, Destination::CONFIGURED, &ask).await
    }

    /// [`Http::get`] for a service that allows a limited rate: every
    /// attempt (retries included) first waits its turn at `limiter`.
    pub async fn get_limited(
        &self,
        url: &Url,
        headers: &HeaderMap,
        limiter: &RateLimiter,
    ) -> Result<Response, HttpError> {
        let ask = Ask {
            headers,
            body: None,
            max_bytes: self.config.max_body_bytes,
            budget: None,
            limiter: Some(limiter),
        };
        self.request(url, Destination::CONFIGURED, &ask).await
    }

    /// GET a URL a server's answer named (such as the pre-signed storage
    /// URL behind GitHub's `bundle_url`), held to `destination`. No header
    /// but `Accept` and the User-Agent is sent (the credential included:
    /// its origin is never a blob host), and the body is capped at
    /// `max_bytes`, the configured cap and what `budget` has left.
    pub async fn get_anonymous(
        &self,
        url: &Url,
        destination: Destination<'_>,
        accept: &'static str,
        max_bytes: usize,
        budget: Option<&Budget>,
    ) -> Result<Response, HttpError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(accept));
        self.get_named(url, destination, &headers, max_bytes, budget)
            .await
    }

    /// [`Http::get_anonymous`] with the caller's `headers` (a protocol's
    /// own, never a credential: the credential is not sent either).
    pub async fn get_named(
        &self,
        url: &Url,
        destination: Destination<'_>,
        headers: &HeaderMap,
        max_bytes: usize,
        budget: Option<&Budget>,
    ) -> Result<Response, HttpError> {
        let anonymous = Self {
            credential: None,
            ..self.clone()
        };
        let ask = Ask {
            headers,
            body: None,
            max_bytes: max_bytes.min(self.config.max_body_bytes),
            budget,
            limiter: None,
        };
        anonymous.request(url, destination, &ask).await
    }

    /// POST a JSON body to a URL the configuration names, following the
    /// rules of this module: as [`Http::get`] (a POST that only reads, such
    /// as GitHub's bulk-list queries, is retried as a GET is), except that
    /// a redirect is not followed but returned.
    pub async fn post_json(
        &self,
        url: &Url,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Response, HttpError> {
        let mut headers = headers.clone();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let ask = Ask {
            headers: &headers,
            body: Some(body),
            max_bytes: self.config.max_body_bytes,
            budget: None,
            limiter: None,
        };
        self.request(url, Destination::CONFIGURED, &ask).await
    }

    /// One request and its redirects: each hop with retries and waits
    /// ([`Http::hop`]); a redirect of a GET is followed to its target,
    /// judged as a URL the redirecting answer named.
    async fn request(
        &self,
        first: &Url,
        destination: Destination<'_>,
        ask: &Ask<'_>,
    ) -> Result<Response, HttpError> {
        let mut url = first.clone();
        let mut named_by = destination.named_by;
        for _ in 0..=self.config.max_redirects {
            let hop = Destination {
                named_by,
                hosts: destination.hosts,
            };
            let response = self.hop(&url, hop, ask).await?;
            let Some(target) = redirect_target(&url, &response, ask)? else {
                return Ok(response);
            };
            named_by = NamedBy::Answer(response.from);
            url = target;
        }
        Err(HttpError::Refused {
            url: shown(first),
            reason: format!("more than {} redirects", self.config.max_redirects),
        })
    }

    /// One hop: the URL checked against `destination`, then attempts with
    /// retries and waits.
    async fn hop(
        &self,
        url: &Url,
        destination: Destination<'_>,
        ask: &Ask<'_>,
    ) -> Result<Response, HttpError> {
        let refused = |refused: UrlRefused| HttpError::Refused {
            url: shown(url),
            reason: refused.to_string(),
        };
        let reach = rules::reach(url, destination.named_by).map_err(refused)?;
        if let Some(hosts) = destination.hosts {
            rules::check_host(url, hosts).map_err(refused)?;
        }
        if let Some(budget) = ask.budget {
            budget.check_room().map_err(|over| HttpError::OverBudget {
                url: shown(url),
                over,
            })?;
        }
        let client = self.clients.for_reach(reach, &self.config)?;
        let host = host_of(url);
        let mut retries_left = self.config.retries;
        let mut waits_left = 3u32;
        let mut attempt_number = 0u32;
        loop {
            attempt_number += 1;
            // Checked before and after a rate-limit wait: a host given up
            // on costs no wait.
            self.refuse_given_up(url, &host)?;
            // Held until the attempt is over, answer read or failure seen.
            let turn = match ask.limiter {
                Some(limiter) => Some(limiter.turn().await),
                None => None,
            };
            // Given up on while waiting: the turn asked nothing, and the
            // next caller need not wait for it.
            if let Err(error) = self.refuse_given_up(url, &host) {
                if let Some(turn) = turn {
                    turn.unused();
                }
                return Err(error);
            }
            let outcome = self.attempt(&client, url, reach, ask, attempt_number).await;
            drop(turn);
            match outcome {
                Attempt::Done(response) => return Ok(response),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry(error) => {
                    if retries_left == 0 {
                        return Err(error);
                    }
                    retries_left -= 1;
                    let exponent = self.config.retries - retries_left - 1;
                    tokio::time::sleep(self.backoff(exponent)).await;
                }
                Attempt::Wait(wait, error) => {
                    if waits_left == 0 {
                        return Err(error);
                    }
                    waits_left -= 1;
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// [`HttpError::Unreachable`] for a host given up on in this run.
    fn refuse_given_up(&self, url: &Url, host: &str) -> Result<(), HttpError> {
        match self.hosts.given_up(host) {
            Some(state) => Err(HttpError::Unreachable {
                url: shown(url),
                host: host.to_string(),
                kind: state.kind,
                detail: state.detail,
                given_up: true,
            }),
            None => Ok(()),
        }
    }

    /// Exponential backoff with "equal jitter": half the delay is fixed, the
    /// other half random, so clients retrying together spread out.
    fn backoff(&self, exponent: u32) -> Duration {
        let factor = 2u32.saturating_pow(exponent.min(16));
        let delay = self
            .config
            .backoff
            .saturating_mul(factor)
            .min(self.config.max_backoff);
        let half = delay / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// Send one attempt; what to do next.
    async fn attempt(
        &self,
        client: &reqwest::Client,
        url: &Url,
        reach: rules::Reach,
        ask: &Ask<'_>,
        attempts: u32,
    ) -> Attempt {
        let request = match ask.body {
            Some(body) => client.post(url.clone()).body(body.to_vec()),
            None => client.get(url.clone()),
        };
        let mut headers = ask.headers.clone();
        headers.remove(AUTHORIZATION);
        if let Some(credential) = self.credential.as_ref().filter(|c| c.is_for(url)) {
            headers.insert(AUTHORIZATION, credential.value.clone());
        }
        let response = match request.headers(headers).send().await {
            Ok(response) => response,
            Err(error) => return self.failed(url, error.without_url(), attempts),
        };
        self.hosts.answered(&host_of(url));
        let from = match response.remote_addr().map(|a| rules::classify(a.ip())) {
            Some(rules::AddressClass::Loopback) if !self.config.loopback_answers_are_remote => {
                AnswerFrom::Loopback
            }
            _ => AnswerFrom::Elsewhere,
        };
        // The resolver let only allowed addresses through; a connection
        // elsewhere all the same (a literal address, a reused connection)
        // is refused before anything is read.
        if let Some(peer) = response.remote_addr() {
            if !reach.allows(rules::classify(peer.ip())) {
                return Attempt::Fail(HttpError::Refused {
                    url: shown(url),
                    reason: format!("connected to {}, which this URL may not lead to", peer.ip()),
                });
            }
        }
        self.answered(url, response, from, ask, attempts).await
    }

    /// An attempt that got no answer: retried, or not.
    fn failed(&self, url: &Url, error: reqwest::Error, attempts: u32) -> Attempt {
        if let Some(refused) = connect::refused_address(&error) {
            return Attempt::Fail(HttpError::Refused {
                url: shown(url),
                reason: refused.to_string(),
            });
        }
        let Some(kind) = connect::unreachable_kind(&error) else {
            return Attempt::Retry(self.transport(url, &error, attempts));
        };
        let host = host_of(url);
        let detail = innermost_cause(&error);
        self.hosts.failed(&host, kind, &detail);
        let unreachable = HttpError::Unreachable {
            url: shown(url),
            host,
            kind,
            detail,
            given_up: false,
        };
        // A connect timeout may pass; the others cannot.
        if kind == FailureKind::ConnectTimeout {
            Attempt::Retry(unreachable)
        } else {
            Attempt::Fail(unreachable)
        }
    }

    /// A broken transfer: a timeout, or a connection that failed.
    fn transport(&self, url: &Url, error: &reqwest::Error, attempts: u32) -> HttpError {
        if error.is_timeout() {
            HttpError::Timeout {
                url: shown(url),
                attempts,
                timeout_ms: self.config.timeout.as_millis(),
            }
        } else {
            HttpError::Connection {
                url: shown(url),
                attempts,
                message: error_chain(error),
            }
        }
    }

    /// An attempt that got an answer: the status judged, the body read.
    async fn answered(
        &self,
        url: &Url,
        mut response: reqwest::Response,
        from: AnswerFrom,
        ask: &Ask<'_>,
        attempts: u32,
    ) -> Attempt {
        let status = response.status();
        let headers = response.headers().clone();
        let done = |body: Vec<u8>| {
            Attempt::Done(Response {
                url: url.clone(),
                status,
                headers: headers.clone(),
                body,
                from,
            })
        };
        if status.is_server_error() {
            return Attempt::Retry(HttpError::ServerError {
                url: shown(url),
                status: status.as_u16(),
                attempts,
            });
        }
        if let Some(reset_in) = rate::rate_limit(status, &headers) {
            let error = HttpError::RateLimited {
                url: shown(url),
                reset_in,
            };
            return match reset_in {
                Some(wait) if wait <= self.config.max_rate_limit_wait => Attempt::Wait(wait, error),
                Some(_) => Attempt::Fail(error),
                // A 429 that says nothing of when to come back: back off as for 5xx.
                None => Attempt::Retry(error),
            };
        }
        // A redirect to follow: its body is not needed.
        if is_followed_redirect(status, &headers, ask) {
            return done(Vec::new());
        }
        match self.read_body(url, &mut response, ask).await {
            Ok(body) => done(body),
            Err(Ok(error)) => Attempt::Fail(error),
            // A body cut short is a transport failure: retry.
            Err(Err(error)) => Attempt::Retry(self.transport(url, &error.without_url(), attempts)),
        }
    }

    /// The whole body, refused past the cap or the budget: by its
    /// `Content-Length` before anything is read, and by the running count
    /// while reading. What is read is spent from the budget.
    async fn read_body(
        &self,
        url: &Url,
        response: &mut reqwest::Response,
        ask: &Ask<'_>,
    ) -> Result<Vec<u8>, Result<HttpError, reqwest::Error>> {
        let left = ask.budget.map_or(usize::MAX, Budget::bytes_left);
        let limit = ask.max_bytes.min(left);
        let refuse = || {
            Ok(match ask.budget {
                Some(_) if left < ask.max_bytes => HttpError::OverBudget {
                    url: shown(url),
                    over: crate::limits::OverBudget::Bytes,
                },
                _ => HttpError::TooLarge {
                    url: shown(url),
                    limit: ask.max_bytes,
                },
            })
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(refuse());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(Err)? {
            if body.len() + chunk.len() > limit {
                return Err(refuse());
            }
            body.extend_from_slice(&chunk);
        }
        if let Some(budget) = ask.budget {
            budget.spend_bytes(body.len()).map_err(|over| {
                Ok(HttpError::OverBudget {
                    url: shown(url),
                    over,
                })
            })?;
        }
        Ok(body)
    }
}

/// Whether a response is a redirect this module follows: a GET answered
/// with 301, 302, 303, 307 or 308 and a `Location`.
fn is_followed_redirect(status: StatusCode, headers: &HeaderMap, ask: &Ask<'_>) -> bool {
    ask.body.is_none()
        && matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
        && headers.contains_key(LOCATION)
}

/// Where a followed redirect leads, resolved against the URL that answered.
fn redirect_target(
    url: &Url,
    response: &Response,
    ask: &Ask<'_>,
) -> Result<Option<Url>, HttpError> {
    if !is_followed_redirect(response.status, &response.headers, ask) {
        return Ok(None);
    }
    let location = response.headers[LOCATION]
        .to_str()
        .map_err(|_| HttpError::BadUrl {
            url: shown(url),
            reason: "a redirect's Location is not text".into(),
        })?;
    url.join(location).map(Some).map_err(|e| HttpError::BadUrl {
        url: shown(url),
        reason: format!("a redirect's Location `{}`: {e}", redact_url(location)),
    })
}

/// The last error in a chain of sources: what went wrong, without the
/// layers that only say where.
fn innermost_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(cause) = last.source() {
        last = cause;
    }
    last.to_string()
}

/// An error and its sources, on one line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_capped() {
        let http = Http::new(HttpConfig {
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            ..HttpConfig::default()
        })
        .unwrap();
        for exponent in 0..10 {
            let delay = http.backoff(exponent);
            let nominal = Duration::from_millis(100 * 2u64.pow(exponent.min(2)));
            assert!(delay >= nominal / 2 && delay <= nominal, "{delay:?}");
        }
    }

    fn get_now(http: &Http, url: &str) -> Result<Response, HttpError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(http.get(&Url::parse(url).unwrap(), &HeaderMap::new()))
    }

    /// A client that would retry anything retryable three times, quickly.
    fn retrying() -> Http {
        Http::new(HttpConfig {
            retries: 3,
            backoff: Duration::from_millis(1),
            ..HttpConfig::default()
        })
        .unwrap()
    }

    /// A server on 127.0.0.1 that answers every connection with plain HTTP
    /// (so a TLS handshake with it fails) and counts the connections.
    fn plain_http_server() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::Write as _;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
            }
        });
        (port, count)
    }

    #[test]
    fn a_failed_tls_handshake_is_not_retried_and_the_host_is_given_up_on() {
        let (port, connections) = plain_http_server();
        let http = retrying();
        let url = format!("https://127.0.0.1:{port}/x");
        let count = || connections.load(std::sync::atomic::Ordering::SeqCst);
        for attempt in 1..=GIVE_UP_AFTER {
            let error = get_now(&http, &url).unwrap_err();
            assert!(
                matches!(&error, HttpError::Unreachable { kind: FailureKind::TlsFailed, given_up: false, host, .. } if *host == format!("127.0.0.1:{port}")),
                "{error:?}"
            );
            assert_eq!(count(), attempt as usize, "one connection per request");
        }
        // Given up on: no further connection.
        for _ in 0..5 {
            let error = get_now(&http, &url).unwrap_err();
            assert!(
                matches!(
                    &error,
                    HttpError::Unreachable {
                        kind: FailureKind::TlsFailed,
                        given_up: true,
                        ..
                    }
                ),
                "{error:?}"
            );
        }
        assert_eq!(count(), GIVE_UP_AFTER as usize);
        // Another client (another run) asks again.
        assert!(get_now(&retrying(), &url).is_err());
        assert_eq!(count(), GIVE_UP_AFTER as usize + 1);
    }

    #[test]
    fn refused_connections_and_unresolvable_names_are_unreachable_hosts() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let http = retrying();
        let error = get_now(&http, &format!("http://127.0.0.1:{port}/")).unwrap_err();
        assert_eq!(error.kind(), FailureKind::ConnectionRefused, "{error}");
        assert_eq!(
            error.unreachable_host(),
            Some(format!("127.0.0.1:{port}").as_str())
        );

        // `.invalid` never resolves, and no name server is asked.
        for url in ["https://api.example.invalid/x", "https://INVALID./x"] {
            let error = get_now(&http, url).unwrap_err();
            assert_eq!(error.kind(), FailureKind::DnsFailed, "{error}");
            assert!(error.to_string().contains("cannot reach"), "{error}");
        }
        // Each host is judged on its own.
        assert!(http.hosts.given_up("api.example.invalid").is_none());
    }

    #[test]
    fn crates_io_is_asked_at_most_once_a_second_by_default() {
        assert_eq!(
            HttpConfig::default().crates_io_interval,
            Duration::from_secs(1)
        );
    }

    #[test]
    fn user_agent_names_tool_and_version() {
        assert!(USER_AGENT_VALUE.starts_with(concat!(
            "cargo-verify-provenance/",
            env!("CARGO_PKG_VERSION")
        )));
    }
}
