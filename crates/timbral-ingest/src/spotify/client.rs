//! HTTP access to the Spotify Web API: client-credentials token (refreshed before expiry and on
//! a 401), a bounded number of requests in flight, Retry-After on 429, exponential backoff with
//! seeded jitter on 5xx and transport errors. Nothing secret is logged: requests are logged by
//! path only, never with headers or the token.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::{RequestBuilder, StatusCode, header};
use tokio::sync::Semaphore;

use super::credentials::Credentials;
use timbral_core::{Error, Result};

/// Where and how to call the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API root, `https://api.spotify.com` (paths start with `/v1/`).
    pub base_url: String,
    /// Token endpoint, `https://accounts.spotify.com/api/token`.
    pub token_url: String,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Retries of a 5xx or transport error before giving up.
    pub max_retries: u32,
    /// First backoff; doubles per retry, up to `max_backoff`, times a jitter in [0.5, 1).
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Longest Retry-After honoured and how many 429s one request may meet.
    pub max_retry_after: Duration,
    pub max_rate_limited: u32,
    pub timeout: Duration,
    /// Seed of the jitter.
    pub seed: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: "https://api.spotify.com".into(),
            token_url: "https://accounts.spotify.com/api/token".into(),
            concurrency: 4,
            max_retries: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            max_rate_limited: 10,
            timeout: Duration::from_secs(30),
            seed: 42,
        }
    }
}

impl ClientConfig {
    /// A compatible service (or a test server) at `base_url`, with its token endpoint at
    /// `<base_url>/api/token`.
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        self.base_url = base.to_string();
        self.token_url = format!("{base}/api/token");
        self
    }
}

/// Why a request produced no usable body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 404.
    NotFound,
    /// Retries used up on 5xx, 429 or transport errors; the last reason.
    GaveUp(String),
    /// Another status the API will not change its mind about (400, 403, ...).
    Rejected(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NotFound => f.write_str("not found (404)"),
            Failure::GaveUp(why) => write!(f, "gave up after retries: {why}"),
            Failure::Rejected(why) => write!(f, "rejected: {why}"),
        }
    }
}

/// A bearer token; not `Debug`, so it cannot be logged by accident.
struct Token {
    value: String,
    expires: Instant,
}

/// Result of one HTTP exchange.
enum Exchange {
    Body(Vec<u8>),
    Unauthorized,
    RateLimited(Duration),
    NotFound,
    Transient(String),
    Rejected(String),
}

pub struct Client {
    http: reqwest::Client,
    credentials: Credentials,
    config: ClientConfig,
    token: tokio::sync::Mutex<Option<Token>>,
    jitter: Mutex<ChaCha8Rng>,
    in_flight: Semaphore,
    requests: AtomicUsize,
}

impl Client {
    pub fn new(credentials: Credentials, config: ClientConfig) -> Result<Client> {
        if config.concurrency == 0 {
            return Err(Error::InvalidParameter { name: "concurrency", why: "must be at least 1".into() });
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| Error::Startup { what: "the HTTP client".into(), why: e.to_string() })?;
        Ok(Client {
            http,
            credentials,
            jitter: Mutex::new(ChaCha8Rng::seed_from_u64(config.seed)),
            in_flight: Semaphore::new(config.concurrency),
            requests: AtomicUsize::new(0),
            token: tokio::sync::Mutex::new(None),
            config,
        })
    }

    /// HTTP requests sent so far, token requests and retries included.
    pub fn requests_sent(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// GETs `path` (starting with `/v1/`) under the base URL.
    pub async fn get(&self, path: &str) -> Result<Vec<u8>, Failure> {
        let url = format!("{}{path}", self.config.base_url);
        let mut retries = 0;
        let mut rate_limited = 0;
        let mut refreshed = false;
        loop {
            // The token is taken once a slot is free, so a queued request never leaves with a
            // token that expired while it waited.
            let Ok(permit) = self.in_flight.acquire().await else {
                return Err(Failure::Rejected("client closed".into()));
            };
            let token = self.token().await?;
            let request = self.http.get(&url).bearer_auth(&token);
            let exchange = self.exchange(path, request).await;
            drop(permit);
            match exchange {
                Exchange::Body(body) => return Ok(body),
                Exchange::NotFound => return Err(Failure::NotFound),
                Exchange::Rejected(why) => return Err(Failure::Rejected(why)),
                Exchange::Unauthorized if !refreshed => {
                    tracing::debug!(path, "401: refreshing the access token");
                    self.invalidate(&token).await;
                    refreshed = true;
                }
                Exchange::Unauthorized => {
                    return Err(Failure::Rejected("401 unauthorized with a fresh token".into()));
                }
                Exchange::RateLimited(wait) => {
                    rate_limited += 1;
                    if rate_limited > self.config.max_rate_limited {
                        return Err(Failure::GaveUp("429 rate limited".into()));
                    }
                    tracing::info!(path, wait_s = wait.as_secs_f64(), "429: waiting as Retry-After asks");
                    tokio::time::sleep(wait).await;
                }
                Exchange::Transient(why) => {
                    retries += 1;
                    self.back_off(path, retries, why).await?;
                }
            }
        }
    }

    /// Sleeps before retry number `retry`, or gives up when retries are used up.
    async fn back_off(&self, path: &str, retry: u32, why: String) -> Result<(), Failure> {
        if retry > self.config.max_retries {
            return Err(Failure::GaveUp(why));
        }
        let exponential = self.config.initial_backoff.saturating_mul(1 << (retry - 1).min(16));
        let factor: f64 = self.jitter.lock().map(|mut rng| rng.random_range(0.5..1.0)).unwrap_or(0.75);
        let wait = exponential.min(self.config.max_backoff).mul_f64(factor);
        tracing::debug!(path, retry, wait_ms = wait.as_millis() as u64, "retrying: {why}");
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// One request; the caller holds an in-flight permit.
    async fn exchange(&self, path: &str, request: RequestBuilder) -> Exchange {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = match request.send().await {
            Ok(r) => r,
            // Without the URL: it is known, and keeps messages short.
            Err(e) => return Exchange::Transient(e.without_url().to_string()),
        };
        let status = response.status();
        tracing::debug!(path, status = status.as_u16(), "response");
        match status {
            s if s.is_success() => match response.bytes().await {
                Ok(body) => Exchange::Body(body.to_vec()),
                Err(e) => Exchange::Transient(format!("reading the body: {}", e.without_url())),
            },
            StatusCode::UNAUTHORIZED => Exchange::Unauthorized,
            StatusCode::NOT_FOUND => Exchange::NotFound,
            StatusCode::TOO_MANY_REQUESTS => {
                let seconds = response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(1);
                Exchange::RateLimited(Duration::from_secs(seconds).min(self.config.max_retry_after))
            }
            s if s.is_server_error() => Exchange::Transient(format!("HTTP {s}")),
            s => {
                let body = response.text().await.unwrap_or_default();
                Exchange::Rejected(format!("HTTP {s}: {}", body.chars().take(200).collect::<String>()))
            }
        }
    }

    /// A valid access token, fetched when absent or about to expire.
    async fn token(&self) -> Result<String, Failure> {
        let mut slot = self.token.lock().await;
        if let Some(token) = slot.as_ref().filter(|t| t.expires > Instant::now()) {
            return Ok(token.value.clone());
        }
        let token = self.fetch_token().await?;
        let value = token.value.clone();
        *slot = Some(token);
        Ok(value)
    }

    /// Drops `used` unless another request already replaced it.
    async fn invalidate(&self, used: &str) {
        let mut slot = self.token.lock().await;
        if slot.as_ref().is_some_and(|t| t.value == used) {
            *slot = None;
        }
    }

    async fn fetch_token(&self) -> Result<Token, Failure> {
        #[derive(serde::Deserialize)]
        struct Answer {
            access_token: String,
            expires_in: Option<u64>,
        }
        let mut retries = 0;
        loop {
            let request = self
                .http
                .post(&self.config.token_url)
                .basic_auth(self.credentials.client_id(), Some(self.credentials.client_secret()))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials");
            let why = match self.exchange("token", request).await {
                Exchange::Body(body) => {
                    let answer: Answer = serde_json::from_slice(&body).map_err(|_| {
                        Failure::Rejected("token endpoint answered without an access_token".into())
                    })?;
                    // Refresh a minute early so a request never leaves with a dying token.
                    let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600).saturating_sub(60));
                    tracing::debug!(lifetime_s = lifetime.as_secs(), "obtained an access token");
                    return Ok(Token { value: answer.access_token, expires: Instant::now() + lifetime });
                }
                Exchange::Unauthorized | Exchange::NotFound => {
                    return Err(Failure::Rejected("token endpoint refused the client credentials".into()));
                }
                Exchange::Rejected(_) => {
                    // The body may echo the request; keep it out of messages.
                    return Err(Failure::Rejected("token endpoint refused the request".into()));
                }
                Exchange::RateLimited(wait) => {
                    tokio::time::sleep(wait).await;
                    "429 on the token endpoint".to_string()
                }
                Exchange::Transient(why) => why,
            };
            retries += 1;
            self.back_off("token", retries, why).await?;
        }
    }
}
