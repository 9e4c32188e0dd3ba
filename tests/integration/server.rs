//! A real HTTP server on 127.0.0.1 for the network tests: scripted answers
//! per path, counted connections and requests, recorded request headers.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::serve::ListenerExt;

/// One scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering.
    pub delay: Duration,
    /// Send the body's first half, then break the connection.
    pub truncate: bool,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
            truncate: false,
        }
    }

    pub fn json(body: impl Into<Vec<u8>>) -> Self {
        Self {
            body: body.into(),
            ..Self::status(200)
        }
        .header("content-type", "application/json; charset=utf-8")
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn truncated(mut self) -> Self {
        self.truncate = true;
        self
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path_and_query: String,
    pub headers: HeaderMap,
    /// When the request arrived.
    pub at: std::time::Instant,
    pub method: String,
    pub body: Vec<u8>,
}

/// Answers made from the request's path and query.
type Responder = Arc<dyn Fn(&str) -> Reply + Send + Sync>;

#[derive(Default)]
struct State {
    /// path prefix → an answer made for each request (after the scripts).
    responders: Mutex<Vec<(String, Responder)>>,
    /// path (without query) → answers; the last one repeats.
    script: Mutex<HashMap<String, VecDeque<Reply>>>,
    /// path with query → answers (takes precedence).
    script_exact: Mutex<HashMap<String, VecDeque<Reply>>>,
    seen: Mutex<Vec<Seen>>,
    connections: AtomicUsize,
    /// Added to every answer.
    latency: Mutex<Duration>,
    /// Requests answered so far, and how many are answered before the
    /// rest wait for [`Server::release`] (`usize::MAX`: none wait).
    answered: AtomicUsize,
    hold_after: AtomicUsize,
    released: AtomicBool,
    release: tokio::sync::Notify,
}

/// The running server; stops when dropped.
pub struct Server {
    pub base: String,
    state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Self {
        Self::start_on("127.0.0.1:0").expect("bind 127.0.0.1")
    }

    /// A server on `address` (such as `[::1]:0`); `None` when this machine
    /// cannot bind it.
    pub fn start_on(address: &str) -> Option<Self> {
        let listener = std::net::TcpListener::bind(address).ok()?;
        listener.set_nonblocking(true).ok()?;
        let state = Arc::new(State {
            hold_after: AtomicUsize::new(usize::MAX),
            ..State::default()
        });
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let server_state = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime for the test server");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                let address = listener.local_addr().expect("local address");
                ready_tx.send(address).expect("report the address");
                let counter = server_state.clone();
                let listener = listener.tap_io(move |_| {
                    counter.connections.fetch_add(1, Ordering::SeqCst);
                });
                let handler_state = server_state.clone();
                let app = axum::Router::new().fallback(
                    move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                        let state = handler_state.clone();
                        async move { answer(&state, method, uri, headers, body).await }
                    },
                );
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = shutdown_rx.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        let address = ready_rx.recv().expect("the server starts");
        Some(Self {
            base: format!("http://{address}"),
            state,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// Answer requests for `path` (any query) with `replies` in turn; the
    /// last one repeats.
    pub fn route(&self, path: &str, replies: Vec<Reply>) {
        self.state
            .script
            .lock()
            .unwrap()
            .insert(path.to_string(), replies.into());
    }

    /// Answer requests for exactly `path_and_query`.
    pub fn route_exact(&self, path_and_query: &str, replies: Vec<Reply>) {
        self.state
            .script_exact
            .lock()
            .unwrap()
            .insert(path_and_query.to_string(), replies.into());
    }

    /// Answer requests whose path starts with `prefix`, and that no script
    /// answers, with what `responder` makes of their path and query (a
    /// service's answers computed per request, as a benchmark needs).
    pub fn respond(&self, prefix: &str, responder: impl Fn(&str) -> Reply + Send + Sync + 'static) {
        self.state
            .responders
            .lock()
            .unwrap()
            .push((prefix.to_string(), Arc::new(responder)));
    }

    /// Answer the next `count` requests, and hold every later one
    /// unanswered until [`Server::release`]: a client then cannot finish,
    /// whatever the time it takes to get that far.
    pub fn hold_after(&self, count: usize) {
        self.state.hold_after.store(count, Ordering::SeqCst);
    }

    /// Answer the held requests and every later one.
    pub fn release(&self) {
        self.state.released.store(true, Ordering::SeqCst);
        self.state.release.notify_waiters();
    }

    pub fn set_latency(&self, latency: Duration) {
        *self.state.latency.lock().unwrap() = latency;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn requests_to(&self, path: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.path_and_query.split('?').next() == Some(path))
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Held requests would keep the graceful shutdown waiting.
        self.release();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn next_reply(script: &Mutex<HashMap<String, VecDeque<Reply>>>, key: &str) -> Option<Reply> {
    let mut script = script.lock().unwrap();
    let queue = script.get_mut(key)?;
    if queue.len() > 1 {
        queue.pop_front()
    } else {
        queue.front().cloned()
    }
}

async fn answer(
    state: &State,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    state.seen.lock().unwrap().push(Seen {
        path_and_query: path_and_query.clone(),
        headers,
        at: std::time::Instant::now(),
        method: method.to_string(),
        body: body.to_vec(),
    });
    let reply = next_reply(&state.script_exact, &path_and_query)
        .or_else(|| next_reply(&state.script, uri.path()))
        .or_else(|| {
            let responder = state
                .responders
                .lock()
                .unwrap()
                .iter()
                .find(|(prefix, _)| uri.path().starts_with(prefix.as_str()))
                .map(|(_, responder)| responder.clone());
            responder.map(|responder| responder(&path_and_query))
        })
        .unwrap_or_else(|| Reply::status(404));
    if state.answered.fetch_add(1, Ordering::SeqCst) >= state.hold_after.load(Ordering::SeqCst) {
        loop {
            // Registered before the flag is read, so a release in between is not missed.
            let released = state.release.notified();
            if state.released.load(Ordering::SeqCst) {
                break;
            }
            released.await;
        }
    }
    let latency = *state.latency.lock().unwrap();
    tokio::time::sleep(latency + reply.delay).await;
    let mut builder = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in &reply.headers {
        builder = builder.header(name, value);
    }
    let body = if reply.truncate {
        // Promise the whole body, send half, then fail the stream: the
        // connection is cut mid-body.
        builder = builder.header("content-length", reply.body.len().to_string());
        let half = reply.body[..reply.body.len() / 2].to_vec();
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
            Ok(half),
            Err(std::io::Error::other("connection cut by the test")),
        ];
        Body::from_stream(futures_util::stream::iter(chunks))
    } else {
        Body::from(reply.body.clone())
    };
    builder.body(body).unwrap()
}
