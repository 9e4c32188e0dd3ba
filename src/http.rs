//! The one HTTP client of the program, and the rules every request follows.
//!
//! Everything that goes over the network (provenance sources, the TUF
//! refresh of trust roots) uses the [`reqwest::Client`] built here, so the
//! limits below hold everywhere:
//! - `https` only, except `http` to a loopback address (tests, local mirrors);
//!   redirects are limited in number and held to the same rule;
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
//! - response bodies are streamed and refused past a size cap;
//! - a User-Agent naming the tool and its version.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use miette::Diagnostic;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, RETRY_AFTER, USER_AGENT};
use reqwest::{StatusCode, Url};

pub use crate::origin::FailureKind;

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
    /// stops the request with [`HttpError::RateLimited`].
    pub max_rate_limit_wait: Duration,
    /// Responses with a larger body are refused.
    pub max_body_bytes: usize,
    /// Redirects followed per request.
    pub max_redirects: usize,
    /// The least time between two requests to crates.io's API, across the
    /// whole run: its data access policy allows one a second.
    pub crates_io_interval: Duration,
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
        }
    }
}

/// A request that did not produce a usable response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
pub enum HttpError {
    #[error("{url}: only https URLs are fetched (plain http only to a loopback address)")]
    #[diagnostic(code("http-insecure-url"), help("use an https URL for remote sources"))]
    Insecure { url: String },
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
    /// The URL the error is about, when there is one.
    pub fn request_url(&self) -> Option<&str> {
        match self {
            Self::Insecure { url }
            | Self::BadUrl { url, .. }
            | Self::Connection { url, .. }
            | Self::Unreachable { url, .. }
            | Self::Timeout { url, .. }
            | Self::ServerError { url, .. }
            | Self::TooLarge { url, .. }
            | Self::RateLimited { url, .. } => Some(url),
            Self::Client(_) => None,
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> FailureKind {
        match self {
            Self::Unreachable { kind, .. } => *kind,
            Self::Connection { .. } => FailureKind::ConnectionFailed,
            Self::Timeout { .. } => FailureKind::Timeout,
            Self::ServerError { .. } => FailureKind::ServerError,
            Self::RateLimited { .. } => FailureKind::RateLimited,
            Self::Insecure { .. }
            | Self::BadUrl { .. }
            | Self::TooLarge { .. }
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
}

/// The shared client and the rules it is used with. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    config: HttpConfig,
    hosts: Arc<HostHealth>,
}

/// A host that could not be reached this many times in a row, for the same
/// reason, is not asked again by the same client.
pub const GIVE_UP_AFTER: u32 = 3;

/// Per host: the connection failures since its last answer. Shared by
/// every task using one client.
#[derive(Debug, Default)]
struct HostHealth {
    hosts: Mutex<HashMap<String, HostState>>,
}

#[derive(Debug, Clone)]
struct HostState {
    kind: FailureKind,
    detail: String,
    in_a_row: u32,
}

impl HostHealth {
    /// The failure the host was given up on for, if it was.
    fn given_up(&self, host: &str) -> Option<HostState> {
        let hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .get(host)
            .filter(|state| state.in_a_row >= GIVE_UP_AFTER)
            .cloned()
    }

    fn failed(&self, host: &str, kind: FailureKind, detail: &str) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let state = hosts.entry(host.to_string()).or_insert(HostState {
            kind,
            detail: detail.to_string(),
            in_a_row: 0,
        });
        if state.in_a_row >= GIVE_UP_AFTER {
            return;
        }
        if state.kind != kind {
            state.kind = kind;
            state.in_a_row = 0;
        }
        state.detail = detail.to_string();
        state.in_a_row += 1;
    }

    fn answered(&self, host: &str) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if hosts.get(host).is_some_and(|s| s.in_a_row < GIVE_UP_AFTER) {
            hosts.remove(host);
        }
    }
}

/// `host`, or `host:port` when the port is not the scheme's.
fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// Why a failed request could not reach its host, if that is why it failed.
fn unreachable_kind(error: &reqwest::Error) -> Option<FailureKind> {
    if !error.is_connect() {
        return None;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.is::<NameNotResolved>() {
            return Some(FailureKind::DnsFailed);
        }
        // The TLS layer wraps its I/O error in another one, whose `source`
        // skips it: look inside I/O errors too.
        let mut io = cause.downcast_ref::<std::io::Error>();
        while let Some(error) = io {
            if error
                .get_ref()
                .is_some_and(|inner| inner.is::<NameNotResolved>())
            {
                return Some(FailureKind::DnsFailed);
            }
            match error.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    return Some(FailureKind::ConnectionRefused)
                }
                // What the TLS layer reports a failed handshake as.
                std::io::ErrorKind::InvalidData => return Some(FailureKind::TlsFailed),
                _ => {}
            }
            io = error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<std::io::Error>());
        }
        source = cause.source();
    }
    error.is_timeout().then_some(FailureKind::ConnectTimeout)
}

/// A host name that did not resolve.
#[derive(Debug, thiserror::Error)]
#[error("{host} does not resolve: {detail}")]
struct NameNotResolved {
    host: String,
    detail: String,
}

/// The system's name resolution, except for names under `.invalid`, which
/// never resolve (RFC 6761) and fail without asking any name server.
struct Resolver;

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
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
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether a URL may be fetched: `https`, or `http` to a loopback address.
pub fn check_url(url: &Url) -> Result<(), HttpError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        _ => Err(HttpError::Insecure {
            url: url.to_string(),
        }),
    }
}

/// Parse and check a URL.
pub fn parse_url(text: &str) -> Result<Url, HttpError> {
    let url = Url::parse(text).map_err(|e| HttpError::BadUrl {
        url: text.to_string(),
        reason: e.to_string(),
    })?;
    check_url(&url)?;
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
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
    /// Build the client.
    pub fn new(config: HttpConfig) -> Result<Self, HttpError> {
        let max_redirects = config.max_redirects;
        let redirect = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                attempt.error(format!("more than {max_redirects} redirects"))
            } else if check_url(attempt.url()).is_err() {
                let url = attempt.url().to_string();
                attempt.error(format!(
                    "redirect to {url}, which is neither https nor loopback"
                ))
            } else {
                attempt.follow()
            }
        });
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(redirect)
            .dns_resolver(Resolver)
            .build()
            .map_err(|e| HttpError::Client(error_chain(&e)))?;
        Ok(Self {
            client,
            config,
            hosts: Arc::default(),
        })
    }

    /// The client itself, for libraries that take one (the TUF refresh).
    /// Its timeouts, redirect rules and User-Agent are those of this module;
    /// retries and the body cap apply only through [`Http::get`].
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// GET a URL with extra headers, following the rules of this module.
    ///
    /// Returns the response for every status except 5xx and rate limits,
    /// which are retried or waited out first: 404 and other 4xx answers are
    /// the caller's to interpret.
    pub async fn get(&self, url: &Url, headers: &HeaderMap) -> Result<Response, HttpError> {
        self.get_capped(url, headers, self.config.max_body_bytes, None)
            .await
    }

    /// [`Http::get`] for a service that allows a limited rate: every
    /// attempt (retries included) first waits its turn at `limiter`.
    pub async fn get_limited(
        &self,
        url: &Url,
        headers: &HeaderMap,
        limiter: &RateLimiter,
    ) -> Result<Response, HttpError> {
        self.get_capped(url, headers, self.config.max_body_bytes, Some(limiter))
            .await
    }

    /// GET a pre-signed URL on a host that must see no credentials (such as
    /// the storage behind GitHub's `bundle_url`): no header but `Accept` and
    /// the User-Agent is sent, whatever the caller holds, and the body is
    /// capped at `max_bytes` (and at the configured cap). Otherwise as
    /// [`Http::get`]: same timeouts, retries, redirect rules.
    pub async fn get_anonymous(
        &self,
        url: &Url,
        accept: &'static str,
        max_bytes: usize,
    ) -> Result<Response, HttpError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(accept));
        self.get_capped(
            url,
            &headers,
            max_bytes.min(self.config.max_body_bytes),
            None,
        )
        .await
    }

    /// POST a JSON body, following the rules of this module: as
    /// [`Http::get`] (a POST that only reads, such as GitHub's bulk-list
    /// queries, is retried as a GET is).
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
        self.request(url, &headers, Some(body), self.config.max_body_bytes, None)
            .await
    }

    async fn get_capped(
        &self,
        url: &Url,
        headers: &HeaderMap,
        max_bytes: usize,
        limiter: Option<&RateLimiter>,
    ) -> Result<Response, HttpError> {
        self.request(url, headers, None, max_bytes, limiter).await
    }

    /// One request (a GET, or a POST of `body`), with retries and waits.
    async fn request(
        &self,
        url: &Url,
        headers: &HeaderMap,
        body: Option<&[u8]>,
        max_bytes: usize,
        limiter: Option<&RateLimiter>,
    ) -> Result<Response, HttpError> {
        check_url(url)?;
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
            let turn = match limiter {
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
            let outcome = self
                .attempt(url, headers, body, attempt_number, max_bytes)
                .await;
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
                url: url.to_string(),
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

    async fn attempt(
        &self,
        url: &Url,
        headers: &HeaderMap,
        body: Option<&[u8]>,
        attempts: u32,
        limit: usize,
    ) -> Attempt {
        let url_text = url.to_string();
        let transport = |error: reqwest::Error| {
            if error.is_timeout() {
                HttpError::Timeout {
                    url: url_text.clone(),
                    attempts,
                    timeout_ms: self.config.timeout.as_millis(),
                }
            } else {
                HttpError::Connection {
                    url: url_text.clone(),
                    attempts,
                    message: error_chain(&error),
                }
            }
        };
        let request = match body {
            Some(body) => self.client.post(url.clone()).body(body.to_vec()),
            None => self.client.get(url.clone()),
        };
        let mut response = match request.headers(headers.clone()).send().await {
            Ok(response) => response,
            // A refused redirect is a decision, not a transient failure.
            Err(error) if error.is_redirect() => {
                return Attempt::Fail(HttpError::Insecure {
                    url: format!("{url_text} ({})", error_chain(&error)),
                })
            }
            Err(error) => {
                let Some(kind) = unreachable_kind(&error) else {
                    return Attempt::Retry(transport(error));
                };
                let host = host_of(url);
                let detail = innermost_cause(&error);
                self.hosts.failed(&host, kind, &detail);
                let unreachable = HttpError::Unreachable {
                    url: url_text,
                    host,
                    kind,
                    detail,
                    given_up: false,
                };
                // A connect timeout may pass; the others cannot.
                return if kind == FailureKind::ConnectTimeout {
                    Attempt::Retry(unreachable)
                } else {
                    Attempt::Fail(unreachable)
                };
            }
        };
        self.hosts.answered(&host_of(url));
        let status = response.status();
        let final_url = response.url().clone();
        let response_headers = response.headers().clone();

        if status.is_server_error() {
            return Attempt::Retry(HttpError::ServerError {
                url: url_text,
                status: status.as_u16(),
                attempts,
            });
        }
        if let Some(reset_in) = rate_limit(status, &response_headers) {
            let error = HttpError::RateLimited {
                url: url_text,
                reset_in,
            };
            return match reset_in {
                Some(wait) if wait <= self.config.max_rate_limit_wait => Attempt::Wait(wait, error),
                Some(_) => Attempt::Fail(error),
                // A 429 that says nothing of when to come back: back off as for 5xx.
                None => Attempt::Retry(error),
            };
        }

        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Attempt::Fail(HttpError::TooLarge {
                url: url_text,
                limit,
            });
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Attempt::Fail(HttpError::TooLarge {
                            url: url_text,
                            limit,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                // A body cut short is a transport failure: retry.
                Err(error) => return Attempt::Retry(transport(error)),
            }
        }
        Attempt::Done(Response {
            url: final_url,
            status,
            headers: response_headers,
            body,
        })
    }
}

/// Spaces requests to one service: one request at a time, and each one
/// starts at least `interval` after the previous one *finished* (its answer
/// read, or its failure seen), however many tasks wait at once (they take
/// turns in the order they came). Measuring from the end rather than the
/// start keeps the gap the service sees at `interval` or more even when a
/// request is slow to leave this machine. One per service per run, shared by
/// every task.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    /// When the last request finished; `None` before the first.
    last_done: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

/// A caller's turn at a [`RateLimiter`]: the next turn waits until this one
/// is dropped, then `interval` more.
#[derive(Debug)]
pub struct Turn<'a> {
    last_done: tokio::sync::MutexGuard<'a, Option<tokio::time::Instant>>,
    /// No request was made in this turn: the next one need not wait for it.
    unused: bool,
}

impl Turn<'_> {
    /// Give the turn back without having asked anything.
    pub fn unused(mut self) {
        self.unused = true;
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if !self.unused {
            *self.last_done = Some(tokio::time::Instant::now());
        }
    }
}

impl RateLimiter {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_done: tokio::sync::Mutex::new(None),
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Wait for this caller's turn; hold it for the whole request.
    pub async fn turn(&self) -> Turn<'_> {
        let last_done = self.last_done.lock().await;
        if let Some(done) = *last_done {
            tokio::time::sleep_until(done + self.interval).await;
        }
        Turn {
            last_done,
            unused: false,
        }
    }
}

/// Whether a response is a rate limit, and when it resets.
///
/// `Some(None)`: rate limited, no reset time given. A 403 counts only with
/// rate-limit headers (`Retry-After`, or `x-ratelimit-remaining: 0`), since
/// a plain 403 means "forbidden".
fn rate_limit(status: StatusCode, headers: &HeaderMap) -> Option<Option<Duration>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let retry_after = header(RETRY_AFTER.as_str()).and_then(parse_retry_after);
    let exhausted = header("x-ratelimit-remaining").map(str::trim) == Some("0");
    let reset = header("x-ratelimit-reset")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|epoch| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            Duration::from_secs(epoch.saturating_sub(now))
        });
    let limited = match status {
        StatusCode::TOO_MANY_REQUESTS => true,
        StatusCode::FORBIDDEN => retry_after.is_some() || exhausted,
        _ => false,
    };
    if !limited {
        return None;
    }
    Some(
        retry_after
            .or(if exhausted { reset } else { None })
            .or(reset),
    )
}

/// `Retry-After` in seconds (the HTTP-date form is read as "unknown").
fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
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
    fn only_https_or_loopback_http_is_allowed() {
        for ok in [
            "https://api.github.com/x",
            "http://127.0.0.1:8080/x",
            "http://127.3.4.5/x",
            "http://[::1]:1/x",
            "http://localhost/x",
        ] {
            assert!(parse_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/x",
            "http://10.0.0.1/x",
            "ftp://127.0.0.1/x",
            "file:///etc/passwd",
        ] {
            assert!(
                matches!(parse_url(bad), Err(HttpError::Insecure { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_url("not a url"),
            Err(HttpError::BadUrl { .. })
        ));
    }

    #[test]
    fn rate_limits_are_told_from_plain_forbidden() {
        let mut headers = HeaderMap::new();
        assert_eq!(rate_limit(StatusCode::FORBIDDEN, &headers), None);
        assert_eq!(
            rate_limit(StatusCode::TOO_MANY_REQUESTS, &headers),
            Some(None)
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(
            rate_limit(StatusCode::FORBIDDEN, &headers),
            Some(Some(Duration::from_secs(7)))
        );
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("1"));
        // A reset in the past: no wait at all.
        assert_eq!(
            rate_limit(StatusCode::FORBIDDEN, &headers),
            Some(Some(Duration::ZERO))
        );
        assert_eq!(rate_limit(StatusCode::OK, &headers), None);
    }

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
    fn an_answer_resets_the_count_of_failures() {
        let health = HostHealth::default();
        for _ in 0..GIVE_UP_AFTER - 1 {
            health.failed("h", FailureKind::ConnectionRefused, "x");
        }
        health.answered("h");
        health.failed("h", FailureKind::ConnectionRefused, "x");
        // A different failure starts counting again.
        health.failed("h", FailureKind::DnsFailed, "x");
        health.failed("h", FailureKind::DnsFailed, "x");
        assert!(health.given_up("h").is_none());
        health.failed("h", FailureKind::DnsFailed, "x");
        assert_eq!(
            health.given_up("h").map(|s| s.kind),
            Some(FailureKind::DnsFailed)
        );
        // Given up on stays given up on.
        health.answered("h");
        assert!(health.given_up("h").is_some());
    }

    #[test]
    fn crates_io_is_asked_at_most_once_a_second_by_default() {
        assert_eq!(
            HttpConfig::default().crates_io_interval,
            Duration::from_secs(1)
        );
    }

    #[test]
    fn the_limiter_spaces_every_caller_from_the_end_of_the_previous_turn() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let interval = Duration::from_millis(30);
        // Each turn is held as long as a slow request would be.
        let held = Duration::from_millis(20);
        let limiter = std::sync::Arc::new(RateLimiter::new(interval));
        let mut turns: Vec<(tokio::time::Instant, tokio::time::Instant)> =
            runtime.block_on(async {
                let tasks: Vec<_> = (0..5)
                    .map(|_| {
                        let limiter = limiter.clone();
                        tokio::spawn(async move {
                            let turn = limiter.turn().await;
                            let start = tokio::time::Instant::now();
                            tokio::time::sleep(held).await;
                            let end = tokio::time::Instant::now();
                            drop(turn);
                            (start, end)
                        })
                    })
                    .collect();
                let mut turns = Vec::new();
                for task in tasks {
                    turns.push(task.await.unwrap());
                }
                turns
            });
        turns.sort();
        for pair in turns.windows(2) {
            let (_, previous_end) = pair[0];
            let (next_start, _) = pair[1];
            assert!(
                next_start - previous_end >= interval,
                "{:?} after the previous turn ended",
                next_start.saturating_duration_since(previous_end)
            );
        }
    }

    #[test]
    fn user_agent_names_tool_and_version() {
        assert!(USER_AGENT_VALUE.starts_with(concat!(
            "cargo-verify-provenance/",
            env!("CARGO_PKG_VERSION")
        )));
    }
}
