//! A full collection logged at DEBUG level from every thread never shows the client secret,
//! the client id, the Basic credentials or an access token. Its own test binary: the log
//! capture is process-global.

mod spotify_server;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use spotify_server::{CLIENT_ID, CLIENT_SECRET, Failures, MALFORMED, NOT_FOUND, Server, VALID, base64};
use timbral_core::Workdir;
use timbral_ingest::spotify::{ClientConfig, Credentials, SpotifyParams, ingest_spotify};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn debug_logs_hold_no_secret() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let server = Server::start(Failures { expire_first_token: true, fail_features_once: true, ..Failures::default() });
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    let ids_file = dir.path().join("ids.txt");
    let ids: Vec<&str> = VALID.iter().copied().chain([MALFORMED, NOT_FOUND]).collect();
    std::fs::write(&ids_file, ids.join("\n")).unwrap();
    let client = ClientConfig { initial_backoff: Duration::from_millis(5), ..ClientConfig::default() }
        .with_base_url(&server.base_url);
    let credentials = Credentials::new(CLIENT_ID, CLIENT_SECRET);
    tracing::debug!(?credentials, "credentials as Debug");
    let params = SpotifyParams { ids_file: Some(ids_file), playlists: vec![], client };
    ingest_spotify(&wd, &params, credentials).unwrap();

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    // The capture works: debug lines of the client are there.
    assert!(logs.contains("DEBUG") && logs.contains("/v1/audio-analysis/"), "{logs}");
    assert!(logs.contains("refreshing the access token"), "{logs}");
    for secret in [
        CLIENT_SECRET.to_string(),
        CLIENT_ID.to_string(),
        base64(format!("{CLIENT_ID}:{CLIENT_SECRET}").as_bytes()),
        "tok-1".to_string(),
        "tok-2".to_string(),
    ] {
        assert!(!logs.contains(&secret), "`{secret}` appears in the logs");
    }
}
