//! `ingest spotify` against a Spotify-shaped server on 127.0.0.1 (see `spotify_server`).

mod spotify_server;

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use polars::prelude::*;
use spotify_server::{
    CLIENT_ID, CLIENT_SECRET, Failures, MALFORMED, NOT_FOUND, PLAYLIST, Server, UNKNOWN, VALID, fixtures,
};
use timbral_core::{Table, Workdir};
use timbral_ingest::json::{JsonParams, ingest_json};
use timbral_ingest::spotify::{ClientConfig, Credentials, SpotifyParams, SpotifySummary, ingest_spotify};

fn config(server: &Server, max_retries: u32) -> ClientConfig {
    ClientConfig {
        concurrency: CONCURRENCY.with(|c| c.get()),
        max_retries,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        timeout: Duration::from_secs(10),
        ..ClientConfig::default()
    }
    .with_base_url(&server.base_url)
}

fn run(wd: &Workdir, server: &Server, ids: &[&str], max_retries: u32) -> SpotifySummary {
    let ids_file = wd.root().join("ids.txt");
    std::fs::write(&ids_file, ids.iter().map(|i| format!("spotify:track:{i}\n")).collect::<String>()).unwrap();
    let params = SpotifyParams { ids_file: Some(ids_file), playlists: vec![], client: config(server, max_retries) };
    ingest_spotify(wd, &params, Credentials::new(CLIENT_ID, CLIENT_SECRET)).unwrap()
}

thread_local! {
    /// Requests in flight for the tests of this thread (each test runs on its own thread).
    static CONCURRENCY: std::cell::Cell<usize> = const { std::cell::Cell::new(3) };
}

fn all_ids() -> Vec<&'static str> {
    VALID.iter().copied().chain([MALFORMED, NOT_FOUND, UNKNOWN]).collect()
}

fn strs(frame: &DataFrame, column: &str) -> Vec<String> {
    frame.column(column).unwrap().str().unwrap().iter().map(|s| s.unwrap().to_string()).collect()
}

fn errors(wd: &Workdir) -> Vec<(String, String)> {
    let e = wd.read_table(Table::IngestErrors).unwrap();
    strs(&e, "location").into_iter().zip(strs(&e, "error")).collect()
}

fn has_error(errors: &[(String, String)], id: &str, text: &str) -> bool {
    errors.iter().any(|(l, e)| l == &format!("spotify:track:{id}") && e.contains(text))
}

fn cached(root: &Path, kind: &str) -> HashSet<String> {
    std::fs::read_dir(root.join("data/raw/spotify").join(kind))
        .map(|d| d.flatten().map(|e| e.path().file_stem().unwrap().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn collection_survives_every_failure_and_builds_the_tables() {
    let server = Server::start(Failures {
        rate_limit_tracks_once: true,
        fail_features_once: true,
        expire_first_token: true,
        analysis_outage_after: None,
    });
    // One request at a time, so that exactly one request meets the expired token.
    CONCURRENCY.with(|c| c.set(1));
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    let started = std::time::Instant::now();
    let summary = run(&wd, &server, &all_ids(), 3);
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was not honoured");

    // Request counts: 429 then success, 500 then success, one 401 answered by a new token.
    assert_eq!(server.count("GET /v1/tracks"), 2, "{:#?}", server.log());
    assert_eq!(server.count("GET /v1/audio-features"), 2);
    assert_eq!(server.count("GET /v1/artists"), 1);
    assert_eq!(server.count("GET /v1/audio-analysis/"), 5 + 1, "{:#?}", server.log());
    assert_eq!(server.tokens_issued(), 2);
    assert_eq!(summary.requests, server.log().len());
    // The unknown track has no track object, so nothing else is asked about it.
    let analysed: HashSet<String> = server.requested_ids("GET /v1/audio-analysis/").into_iter().collect();
    assert!(!analysed.contains(UNKNOWN));
    // Only the primary artists (not the featured one) are fetched.
    let mut artists = server.requested_ids("GET /v1/artists");
    artists.sort();
    assert_eq!(artists, ["1aaaaaaaaaaaaaaaaaaaaa", "2bbbbbbbbbbbbbbbbbbbbb", "3ccccccccccccccccccccc"]);

    assert_eq!(summary.ingest.ingested, 3);
    let tracks = wd.read_table(Table::Tracks).unwrap();
    assert_eq!(strs(&tracks, "track_id"), ["0VjIjW4GlUZAMYd2vXMi3b", "4uLU6hMCjMI75M1A2tKUQC", "7qiZfU4dY1lWllzX7mPBI3"]);
    assert_eq!(strs(&tracks, "title"), ["Nocturne Op. 9 No. 2", "Toccata and Fugue", "Prelude in C"]);
    assert_eq!(strs(&tracks, "artist_name"), ["Chopin", "Bach", "Bach"]);
    assert_eq!(strs(&tracks, "album"), ["Nocturnes", "Organ Works", "The Well-Tempered Clavier"]);
    assert_eq!(strs(&tracks, "location")[0], "spotify:track:0VjIjW4GlUZAMYd2vXMi3b");
    let artists = wd.read_table(Table::Artists).unwrap();
    assert_eq!(strs(&artists, "artist_name").len(), 2);
    let bach = artists.column("genres").unwrap().list().unwrap().get_as_series(
        strs(&artists, "artist_name").iter().position(|n| n == "Bach").unwrap(),
    );
    let bach: Vec<String> = bach.unwrap().str().unwrap().iter().map(|g| g.unwrap().to_string()).collect();
    assert_eq!(bach, ["baroque", "classical"]);
    assert_eq!(wd.read_table(Table::AudioFeatures).unwrap().height(), 3);

    // The same documents through `ingest json` give the same segments and sections.
    let json_dir = tempfile::tempdir().unwrap();
    let json_wd = Workdir::new(json_dir.path());
    ingest_json(&json_wd, &JsonParams { dir: fixtures().join("json/docs"), ..Default::default() }).unwrap();
    for table in [Table::Segments, Table::Sections] {
        let (a, b) = (wd.read_table(table).unwrap(), json_wd.read_table(table).unwrap());
        assert!(a.equals_missing(&b), "{} differs", table.name());
    }

    let errors = errors(&wd);
    assert!(has_error(&errors, MALFORMED, "malformed audio analysis"), "{errors:#?}");
    assert!(has_error(&errors, NOT_FOUND, "not found (404)"), "{errors:#?}");
    assert!(has_error(&errors, UNKNOWN, "not found"), "{errors:#?}");
    assert!(errors.iter().all(|(l, _)| !VALID.iter().any(|v| l.ends_with(v))), "{errors:#?}");

    // Every raw response is cached per object.
    assert_eq!(cached(dir.path(), "tracks").len(), 5);
    assert_eq!(cached(dir.path(), "audio-analysis"), VALID.iter().map(|s| s.to_string()).collect());
}

#[test]
fn a_rerun_requests_only_what_the_cache_lacks() {
    let server = Server::start(Failures::default());
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    run(&wd, &server, &all_ids(), 1);
    let first_tables = wd.read_table(Table::Segments).unwrap();
    let before = server.log().len();
    let cached_tracks = cached(dir.path(), "tracks");
    let cached_analyses = cached(dir.path(), "audio-analysis");

    let rerun = Server::start(Failures::default());
    run(&wd, &rerun, &all_ids(), 1);
    assert!(before > rerun.log().len());
    for id in rerun.requested_ids("GET /v1/tracks") {
        assert!(!cached_tracks.contains(&id), "track {id} was cached but requested again");
    }
    for id in rerun.requested_ids("GET /v1/audio-analysis/") {
        assert!(!cached_analyses.contains(&id), "analysis {id} was cached but requested again");
    }
    assert_eq!(rerun.requested_ids("GET /v1/tracks"), [UNKNOWN]);
    assert_eq!(rerun.count("GET /v1/artists"), 0);
    let mut retried = rerun.requested_ids("GET /v1/audio-analysis/");
    retried.sort();
    assert_eq!(retried, [MALFORMED, NOT_FOUND]);
    assert!(wd.read_table(Table::Segments).unwrap().equals(&first_tables));
}

#[test]
fn an_interrupted_collection_resumes_without_refetching() {
    // An outage after the first analysis: the rest fail after their retries.
    let outage = Server::start(Failures { analysis_outage_after: Some(1), ..Failures::default() });
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    let first = run(&wd, &outage, &VALID, 1);
    assert_eq!(first.ingest.ingested, 1);
    let errors = errors(&wd);
    assert_eq!(errors.iter().filter(|(_, e)| e.contains("gave up after retries: HTTP 503")).count(), 2, "{errors:#?}");
    // 1 success + 2 ids x (1 try + 1 retry).
    assert_eq!(outage.count("GET /v1/audio-analysis/"), 5);
    let done = cached(dir.path(), "audio-analysis");
    assert_eq!(done.len(), 1);

    let healthy = Server::start(Failures::default());
    let second = run(&wd, &healthy, &VALID, 1);
    assert_eq!(second.ingest.ingested, 3);
    let asked = healthy.requested_ids("GET /v1/audio-analysis/");
    assert_eq!(asked.len(), 2);
    assert!(asked.iter().all(|id| !done.contains(id)), "{asked:?} vs {done:?}");
    assert_eq!(healthy.count("GET /v1/tracks") + healthy.count("GET /v1/artists") + healthy.count("GET /v1/audio-features"), 0);
    // The rerun cleared the error rows of the ids it retried.
    assert_eq!(wd.read_table(Table::IngestErrors).unwrap().height(), 0);

    // Same tables as one uninterrupted run.
    let one_go = tempfile::tempdir().unwrap();
    let one_wd = Workdir::new(one_go.path());
    run(&one_wd, &Server::start(Failures::default()), &VALID, 1);
    for table in [Table::Tracks, Table::Artists, Table::Segments, Table::Sections, Table::AudioFeatures] {
        let (a, b) = (wd.read_table(table).unwrap(), one_wd.read_table(table).unwrap());
        assert!(a.equals_missing(&b), "{} differs", table.name());
    }
}

#[test]
fn playlists_are_paged_and_their_tracks_collected() {
    let server = Server::start(Failures::default());
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    let params = SpotifyParams { ids_file: None, playlists: vec![PLAYLIST.into()], client: config(&server, 1) };
    let summary = ingest_spotify(&wd, &params, Credentials::new(CLIENT_ID, CLIENT_SECRET)).unwrap();
    assert_eq!(server.count(&format!("GET /v1/playlists/{PLAYLIST}/tracks")), 2, "{:#?}", server.log());
    assert_eq!(summary.ingest.ingested, 3);
    assert!(has_error(&errors(&wd), NOT_FOUND, "404"));
}

#[test]
fn wrong_credentials_fail_every_track_without_leaking_them() {
    let server = Server::start(Failures::default());
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    let ids_file = dir.path().join("ids.txt");
    std::fs::write(&ids_file, VALID[0]).unwrap();
    let params = SpotifyParams { ids_file: Some(ids_file), playlists: vec![], client: config(&server, 1) };
    let summary = ingest_spotify(&wd, &params, Credentials::new(CLIENT_ID, "wrong-secret-77")).unwrap();
    assert_eq!(summary.ingest.ingested, 0);
    let errors = errors(&wd);
    assert!(errors.iter().any(|(_, e)| e.contains("refused the client credentials")), "{errors:#?}");
    assert!(errors.iter().all(|(_, e)| !e.contains("wrong-secret-77")));
}

/// The Spotify seeds of the fuzz campaign (`crates/timbral-fuzz/seeds/spotify`) are the raw
/// cache this server's bodies produce for two valid tracks. `TIMBRAL_WRITE_FUZZ_SEEDS=1`
/// rewrites them after a change to the server or its catalogue.
#[test]
fn the_fuzz_seeds_are_the_bodies_this_server_serves() {
    let server = Server::start(Failures::default());
    let dir = tempfile::tempdir().unwrap();
    let wd = Workdir::new(dir.path());
    run(&wd, &server, &VALID[..2], 1);
    let cache = dir.path().join("data/raw/spotify");
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../timbral-fuzz/seeds/spotify");
    let write = std::env::var_os("TIMBRAL_WRITE_FUZZ_SEEDS").is_some();
    let mut compared = 0;
    for kind in ["tracks", "artists", "audio-features", "audio-analysis"] {
        for entry in std::fs::read_dir(cache.join(kind)).unwrap() {
            let path = entry.unwrap().path();
            let seed = seeds.join(kind).join(path.file_name().unwrap());
            let body = std::fs::read(&path).unwrap();
            if write {
                std::fs::create_dir_all(seed.parent().unwrap()).unwrap();
                std::fs::write(&seed, &body).unwrap();
            }
            let committed = std::fs::read(&seed).unwrap_or_else(|e| panic!("{}: {e}", seed.display()));
            assert_eq!(committed, body, "{} differs from what the server serves", seed.display());
            compared += 1;
        }
    }
    assert!(compared >= 8, "{compared} cached bodies");
}
