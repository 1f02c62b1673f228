//! The explorer (`reports/explorer.html`) in headless Chromium with software WebGL. Opened as
//! `explorer.html#selftest&hover=..&search=..&click=..`, the page drives itself through its
//! own event handlers (synthetic mouse and input events at the songs' screen positions) and
//! writes what it then shows into `<pre id="selftest">`, which `--dump-dom` prints. Checked on
//! the fixture catalogue, whose titles include hostile markup, and on the bundled sample run
//! through features, cluster and similarity (`TIMBRAL_SAMPLE_DIR=dir` keeps that workdir).
//! Skipped, with a message, only without Chromium.

mod common;

use std::collections::BTreeSet;

use common::chromium::{console_lines, file_url, find_chromium, run as chromium, CANDIDATES};
use common::{Fixture, HOSTILE_TITLES};
use polars::prelude::*;
use serde_json::Value;
use timbral_core::{Table, Workdir, cols};
use timbral_report::{write_report, ReportOptions};
use timbral_similarity::query::{recommend_songs, RecommendAnswer, TrackQuery};
use timbral_similarity::recommendations::Filters;

/// What the page showed after its self-test, and the DOM.
struct Explored {
    result: Value,
    dom: String,
}

/// Percent-encodes a self-test parameter for the URL fragment.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn explore(page: &std::path::Path, params: &[(&str, &str)]) -> Option<Explored> {
    let Some(binary) = find_chromium() else {
        println!("SKIPPED: no Chromium found (tried $TIMBRAL_CHROMIUM and {CANDIDATES:?} on PATH); `apt-get install chromium` to run the browser check");
        return None;
    };
    let fragment: String = std::iter::once("selftest".to_string())
        .chain(params.iter().map(|(k, v)| format!("{k}={}", encode(v))))
        .collect::<Vec<_>>()
        .join("&");
    let profile = tempfile::tempdir().unwrap();
    let args = ["--window-size=1280,900".to_string(), "--virtual-time-budget=30000".into(), "--dump-dom".into()];
    let (dom, stderr) = chromium(&binary, profile.path(), &args, &file_url(page, &fragment));
    let start = dom.find("<pre id=\"selftest\"").unwrap_or_else(|| panic!("no self-test element in the DOM; stderr:\n{stderr}"));
    let text = &dom[start..];
    let text = &text[text.find('>').unwrap() + 1..text.find("</pre>").unwrap()];
    assert!(!text.is_empty(), "the self-test did not finish; stderr:\n{stderr}");
    let text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&nbsp;", "\u{a0}").replace("&amp;", "&");
    let result: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(result["errors"], Value::Array(vec![]), "the page raised errors");
    // The self-test reads a pixel back to time each frame, and Chromium notes that stall.
    let console: Vec<&str> = console_lines(&stderr).into_iter().filter(|l| !l.contains("GPU stall due to ReadPixels")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    Some(Explored { result, dom })
}

fn texts(value: &Value) -> Vec<String> {
    value.as_array().unwrap_or_else(|| panic!("not a list: {value}")).iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// The page's recommendation rows (rank, title, artist, distance) against `timbral recommend`.
fn check_recommendations(shown: &Value, answer: &RecommendAnswer) {
    let rows: Vec<Vec<String>> = shown.as_array().unwrap().iter().map(texts).collect();
    assert_eq!(rows.len(), answer.recommendations.len(), "{rows:?}");
    for (rank, (row, rec)) in rows.iter().zip(&answer.recommendations).enumerate() {
        assert_eq!(row[0], (rank + 1).to_string());
        assert_eq!((&row[1], &row[2]), (&rec.title, &rec.artist_name), "rank {}", rank + 1);
        let distance: f64 = row[3].parse().unwrap();
        assert!((distance - rec.distance).abs() <= 1e-3 * rec.distance.max(1e-3), "{distance} vs {}", rec.distance);
    }
}

/// The `relation` artists of `artist_id` in `artist_similarity`, by rank, with distances.
fn similar_artists(workdir: &Workdir, artist_id: &str, relation: &str, k: u32) -> Vec<(String, f64)> {
    use cols::artist_similarity::{ARTIST_ID, DISTANCE, OTHER_ARTIST_NAME, RANK, RELATION};
    let frame = workdir
        .scan_table(Table::ArtistSimilarity)
        .unwrap()
        .filter(col(ARTIST_ID).eq(lit(artist_id)).and(col(RELATION).eq(lit(relation))).and(col(RANK).lt_eq(lit(k))))
        .sort([RANK], SortMultipleOptions::default())
        .collect()
        .unwrap();
    let names = frame.column(OTHER_ARTIST_NAME).unwrap().str().unwrap().iter().map(|n| n.unwrap().to_string());
    names.zip(frame.column(DISTANCE).unwrap().f64().unwrap().iter().map(Option::unwrap)).collect()
}

/// The page's "name (distance)" items against the table's rows.
fn check_artists(shown: &Value, expected: &[(String, f64)]) {
    let items = texts(shown);
    assert_eq!(items.len(), expected.len(), "{items:?} vs {expected:?}");
    for (item, (name, distance)) in items.iter().zip(expected) {
        let (shown_name, shown_distance) = item.rsplit_once(" (").unwrap();
        assert_eq!(shown_name, name);
        let shown_distance: f64 = shown_distance.trim_end_matches(')').parse().unwrap();
        assert!((shown_distance - distance).abs() <= 1e-3 * distance.max(1e-3), "{item} vs {distance}");
    }
}

/// Each colouring's legend, which differs from every other.
fn check_colourings(result: &Value, expected: usize) -> Vec<(String, Vec<String>)> {
    let legends: Vec<(String, Vec<String>)> = result["colourings"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), texts(v))).collect();
    assert_eq!(legends.len(), expected, "{legends:?}");
    let distinct: BTreeSet<&Vec<String>> = legends.iter().map(|(_, l)| l).collect();
    assert_eq!(distinct.len(), legends.len(), "switching the colouring must change the legend: {legends:?}");
    legends
}

#[test]
fn the_explorer_shows_hovers_searches_and_recommends_on_the_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let workdir = common::build(dir.path(), Fixture { evil: true, manifest: true, ..Fixture::default() });
    let summary = write_report(&workdir, &ReportOptions::default()).unwrap();
    assert_eq!(summary.explorer.songs, common::ARTISTS * common::SONGS_PER_ARTIST);
    let html = std::fs::read_to_string(&summary.explorer.path).unwrap();
    for hostile in HOSTILE_TITLES {
        assert!(!html.contains(hostile), "a hostile title is in the page's markup");
    }
    assert!(std::fs::read_to_string(&summary.index).unwrap().contains("<a href=\"explorer.html\">"), "index.html links the explorer");

    let params = [("hover", HOSTILE_TITLES[0]), ("search", "Artist C|sONG 1|artist e"), ("click", "Song 33")];
    let Some(Explored { result, dom, .. }) = explore(&summary.explorer.path, &params) else { return };
    assert_eq!((&result["songs"], &result["drawn"]), (&Value::from(120), &Value::from(120)));
    assert_eq!(result["tooltip"], HOSTILE_TITLES[0], "hovering the song shows its title, as text");
    assert!(dom.contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"), "the hostile title shows as text");
    // As text the second title holds `setAttribute('data-pwned','1')`; run, it sets the attribute.
    assert!(!dom.contains("data-pwned=\"1\"") && !dom.contains("<img") && !dom.contains("<svg"), "a title became markup");

    // Artist C (art02) has songs 20..29; no other title or artist contains the text.
    let artist = &result["searches"][0];
    let expected: BTreeSet<String> = (20..30).map(|i| format!("Song {i}")).collect();
    assert_eq!(artist["count"], 10);
    assert_eq!(texts(&artist["titles"]).into_iter().collect::<BTreeSet<_>>(), expected);
    // Case-insensitive substring of titles: Song 1, 10..19 and 100..119.
    let title = &result["searches"][1];
    let expected: BTreeSet<String> = [1].into_iter().chain(10..20).chain(100..120).map(|i| format!("Song {i}")).collect();
    assert_eq!(title["count"], expected.len());
    assert_eq!(texts(&title["titles"]).into_iter().collect::<BTreeSet<_>>(), expected);

    // Artist E's songs, the two hostile titles among them, listed as text.
    let hostile = texts(&result["searches"][2]["titles"]);
    assert_eq!(hostile.len(), 10);
    assert!(HOSTILE_TITLES.iter().all(|t| hostile.contains(&t.to_string())), "{hostile:?}");
    assert!(dom.contains("&lt;svg onload="), "the second hostile title shows as text");

    assert_eq!(result["selected"], "Song 33");
    let answer = recommend_songs(&workdir, &TrackQuery::Title("Song 33".into()), 5, Filters::default()).unwrap();
    check_recommendations(&result["recommendations"], &answer);
    assert_eq!(result["artistSongs"], "10 song(s) by this artist, marked with squares.");
    check_artists(&result["nearestArtists"], &similar_artists(&workdir, "art03", "nearest", 5));
    check_artists(&result["farthestArtists"], &similar_artists(&workdir, "art03", "farthest", 5));

    let legends = check_colourings(&result, 5);
    let hdbscan = &legends.iter().find(|(k, _)| k.starts_with("HDBSCAN")).unwrap().1;
    assert_eq!(hdbscan.len(), 4, "noise and three clusters: {hdbscan:?}");
    assert!(hdbscan[0].starts_with("noise") && hdbscan[1].starts_with("cluster 0"), "{hdbscan:?}");
}

/// The sample's interim tables, as `timbral run` installs them, run through the stages the
/// explorer reads in the default space, as `timbral run` runs them.
fn sample_workdir(dir: &std::path::Path) -> Workdir {
    let workdir = Workdir::new(dir);
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample");
    for table in [Table::Tracks, Table::Artists, Table::Segments, Table::Embeddings] {
        let path = workdir.table_path(table);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::copy(sample.join(format!("{}.parquet", table.name())), path).unwrap();
    }
    timbral_features::compute_features(&workdir, timbral_features::FeatureSet::default()).unwrap();
    use timbral_cluster::ParamGuard as _;
    let space = timbral_similarity::Space::default();
    let params = timbral_cluster::ClusterParams::new(42).check().unwrap();
    let input = timbral_similarity::representation::cluster_input(&workdir, space, params.feature_set(), params.seed()).unwrap();
    timbral_cluster::run_on(&workdir, input, &params, std::time::Instant::now()).unwrap();
    let params = timbral_similarity::SimilarityParams::builder().seed(42).space(space).check().unwrap();
    timbral_similarity::run(&workdir, &params).unwrap();
    workdir
}

#[test]
fn the_explorer_lists_what_timbral_recommend_lists_on_the_bundled_sample() {
    // TIMBRAL_SAMPLE_DIR keeps the sample's workdir and its report (for docs/explorer.png).
    let scratch = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("TIMBRAL_SAMPLE_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| scratch.path().to_path_buf());
    let workdir = sample_workdir(&dir);
    let summary = write_report(&workdir, &ReportOptions::default()).unwrap();
    let tracks = workdir.read_table(Table::Tracks).unwrap();
    let column = |name| -> Vec<String> { tracks.column(name).unwrap().str().unwrap().iter().map(|v| v.unwrap().to_string()).collect() };
    let (ids, titles, artists, artist_ids) = (
        column(cols::tracks::TRACK_ID),
        column(cols::tracks::TITLE),
        column(cols::tracks::ARTIST_NAME),
        column(cols::tracks::ARTIST_ID),
    );
    assert_eq!(summary.explorer.songs, ids.len());
    // A song whose title is unique, and its artist's name as the search.
    let song = (0..ids.len()).find(|&i| titles.iter().filter(|t| **t == titles[i]).count() == 1).unwrap();
    let params = [("hover", titles[song].as_str()), ("search", artists[song].as_str()), ("click", titles[song].as_str())];
    let Some(Explored { result, .. }) = explore(&summary.explorer.path, &params) else { return };
    assert_eq!((&result["songs"], &result["drawn"]), (&Value::from(ids.len()), &Value::from(ids.len())));
    assert_eq!(result["tooltip"], titles[song]);

    let query = artists[song].to_lowercase();
    let mut expected: Vec<&String> = (0..ids.len())
        .filter(|&i| titles[i].to_lowercase().contains(&query) || artists[i].to_lowercase().contains(&query))
        .map(|i| &titles[i])
        .collect();
    expected.sort();
    let mut found = texts(&result["searches"][0]["titles"]);
    found.sort();
    assert_eq!(found.iter().collect::<Vec<_>>(), expected, "search for {query}");

    let answer = recommend_songs(&workdir, &TrackQuery::Id(ids[song].clone()), 5, Filters::default()).unwrap();
    check_recommendations(&result["recommendations"], &answer);
    check_artists(&result["nearestArtists"], &similar_artists(&workdir, &artist_ids[song], "nearest", 5));
    check_artists(&result["farthestArtists"], &similar_artists(&workdir, &artist_ids[song], "farthest", 5));
    check_colourings(&result, 5);
}
