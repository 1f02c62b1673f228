//! A Spotify-shaped HTTP/1.1 server on 127.0.0.1 for the `ingest spotify` tests: real sockets,
//! hand-written responses, a request log, and switchable failures (429 with Retry-After, a 500
//! then success, a 401 token expiry, a malformed body, a 404 track, an outage).

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

pub const CLIENT_ID: &str = "test-client-id";
pub const CLIENT_SECRET: &str = "sUpEr-SeCrEt-4c1d";
pub const MALFORMED: &str = "5malformedAnalysis0000";
pub const NOT_FOUND: &str = "6missingAnalysis00000";
pub const UNKNOWN: &str = "8unknownTrack000000000";
pub const VALID: [&str; 3] = ["4uLU6hMCjMI75M1A2tKUQC", "0VjIjW4GlUZAMYd2vXMi3b", "7qiZfU4dY1lWllzX7mPBI3"];
pub const PLAYLIST: &str = "37i9dQZF1DXcBWIGoYBM5M";

/// Which failures the server produces.
#[derive(Debug, Clone, Default)]
pub struct Failures {
    /// The first /v1/tracks request gets 429 with Retry-After: 1.
    pub rate_limit_tracks_once: bool,
    /// The first /v1/audio-features request gets 500.
    pub fail_features_once: bool,
    /// The first audio-analysis request finds its token expired (401).
    pub expire_first_token: bool,
    /// After this many audio analyses served, every further one gets 500 (an outage).
    pub analysis_outage_after: Option<usize>,
}

#[derive(Default)]
struct State {
    failures: Failures,
    log: Vec<String>,
    tokens_issued: usize,
    valid_tokens: HashSet<String>,
    analyses_served: usize,
}

pub struct Server {
    pub base_url: String,
    state: Arc<Mutex<State>>,
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

impl Server {
    pub fn start(failures: Failures) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State { failures, ..State::default() }));
        let catalogue: Value =
            serde_json::from_slice(&std::fs::read(fixtures().join("spotify/catalogue.json")).unwrap()).unwrap();
        let features: Value =
            serde_json::from_slice(&std::fs::read(fixtures().join("json/audio_features.json")).unwrap()).unwrap();
        let data = Arc::new(Data { catalogue, features, base_url: base_url.clone() });
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (state, data) = (shared.clone(), data.clone());
                std::thread::spawn(move || serve_connection(stream, &state, &data));
            }
        });
        Server { base_url, state }
    }

    /// Every request as `METHOD path?query`.
    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn count(&self, prefix: &str) -> usize {
        self.log().iter().filter(|l| l.starts_with(prefix)).count()
    }

    pub fn tokens_issued(&self) -> usize {
        self.state.lock().unwrap().tokens_issued
    }

    /// Track or artist ids named by a request (in `ids=` or the analysis path).
    pub fn requested_ids(&self, prefix: &str) -> Vec<String> {
        self.log()
            .iter()
            .filter(|l| l.starts_with(prefix))
            .flat_map(|l| {
                let tail = l.split_once("ids=").map(|(_, ids)| ids).unwrap_or_else(|| l.rsplit('/').next().unwrap());
                tail.split(',').map(str::to_string).collect::<Vec<_>>()
            })
            .collect()
    }
}

struct Data {
    catalogue: Value,
    features: Value,
    base_url: String,
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn respond(status: u16, body: impl Into<Vec<u8>>) -> Response {
    Response { status, headers: Vec::new(), body: body.into() }
}

fn serve_connection(stream: TcpStream, state: &Mutex<State>, data: &Data) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = HashMap::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let response = route(method, target, &headers, &body, state, data);
        let reason = match response.status {
            200 => "OK",
            401 => "Unauthorized",
            404 => "Not Found",
            429 => "Too Many Requests",
            _ => "Error",
        };
        let mut head = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            response.status,
            response.body.len()
        );
        for (k, v) in &response.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if writer.write_all(head.as_bytes()).and_then(|_| writer.write_all(&response.body)).is_err() {
            return;
        }
    }
}

fn basic_auth() -> String {
    format!("Basic {}", base64(format!("{CLIENT_ID}:{CLIENT_SECRET}").as_bytes()))
}

pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn route(
    method: &str,
    target: &str,
    headers: &HashMap<String, String>,
    body: &[u8],
    state: &Mutex<State>,
    data: &Data,
) -> Response {
    let mut s = state.lock().unwrap();
    s.log.push(format!("{method} {target}"));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let param = |name: &str| {
        query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).unwrap_or("").to_string()
    };
    if method == "POST" && path == "/api/token" {
        let form_ok = body == b"grant_type=client_credentials";
        if headers.get("authorization") != Some(&basic_auth()) || !form_ok {
            return respond(401, r#"{"error":"invalid_client"}"#);
        }
        s.tokens_issued += 1;
        let token = format!("tok-{}", s.tokens_issued);
        s.valid_tokens.insert(token.clone());
        return respond(200, json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600}).to_string());
    }
    let token = headers.get("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or("").to_string();
    if path.starts_with("/v1/audio-analysis/") && s.failures.expire_first_token {
        s.failures.expire_first_token = false;
        s.valid_tokens.remove(&token);
    }
    if !s.valid_tokens.contains(&token) {
        return respond(401, r#"{"error":{"status":401,"message":"The access token expired"}}"#);
    }
    let ids: Vec<String> = param("ids").split(',').filter(|i| !i.is_empty()).map(str::to_string).collect();
    let lookup = |table: &Value, id: &str| table.get(id).cloned().unwrap_or(Value::Null);
    match path {
        "/v1/tracks" => {
            if s.failures.rate_limit_tracks_once {
                s.failures.rate_limit_tracks_once = false;
                let mut r = respond(429, r#"{"error":{"status":429}}"#);
                r.headers.push(("Retry-After".into(), "1".into()));
                return r;
            }
            let list: Vec<Value> = ids.iter().map(|id| lookup(&data.catalogue["tracks"], id)).collect();
            respond(200, json!({ "tracks": list }).to_string())
        }
        "/v1/artists" => {
            let list: Vec<Value> = ids.iter().map(|id| lookup(&data.catalogue["artists"], id)).collect();
            respond(200, json!({ "artists": list }).to_string())
        }
        "/v1/audio-features" => {
            if s.failures.fail_features_once {
                s.failures.fail_features_once = false;
                return respond(500, "upstream failure");
            }
            let all = data.features["audio_features"].as_array().unwrap();
            let list: Vec<Value> = ids
                .iter()
                .map(|id| all.iter().find(|f| f["id"] == id.as_str()).cloned().unwrap_or(Value::Null))
                .collect();
            respond(200, json!({ "audio_features": list }).to_string())
        }
        _ if path.starts_with("/v1/audio-analysis/") => {
            let id = path.rsplit('/').next().unwrap();
            if s.failures.analysis_outage_after.is_some_and(|n| s.analyses_served >= n) {
                return respond(503, "down");
            }
            if id == MALFORMED {
                return respond(200, r#"{"track": {"duration": 3.0}, "segments": [{"start": 0.0, "dur"#);
            }
            let file = std::fs::read(fixtures().join("json/docs").join(format!("{id}.json")))
                .or_else(|_| std::fs::read(fixtures().join("json/docs/more").join(format!("{id}.json"))));
            match file {
                Ok(bytes) => {
                    s.analyses_served += 1;
                    respond(200, bytes)
                }
                Err(_) => respond(404, r#"{"error":{"status":404,"message":"analysis not found"}}"#),
            }
        }
        _ if path.starts_with(&format!("/v1/playlists/{PLAYLIST}/tracks")) => {
            let all: Vec<&str> = VALID.iter().copied().chain([NOT_FOUND]).collect();
            let offset: usize = param("offset").parse().unwrap_or(0);
            let page: Vec<Value> = all.iter().skip(offset).take(2).map(|id| json!({"track": {"id": id}})).collect();
            let next = (offset + 2 < all.len()).then(|| {
                format!("{}/v1/playlists/{PLAYLIST}/tracks?offset={}&limit=2", data.base_url, offset + 2)
            });
            respond(200, json!({"items": page, "next": next, "total": all.len()}).to_string())
        }
        _ => respond(404, r#"{"error":{"status":404}}"#),
    }
}
