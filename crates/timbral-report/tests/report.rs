//! End-to-end tests of `write_report` on fixture workdirs.

mod common;

use common::{images, png_size, Fixture, EVIL_ARTIST, EVIL_GENRE, EVIL_TITLE, PCA_RATIOS};
use timbral_core::Workdir;
use timbral_report::{write_report, ReportOptions, ReportSummary};

const SECTIONS: [(&str, &str); 8] = [
    ("data", "Data"),
    ("pca", "Features and PCA"),
    ("map", "The map"),
    ("model-selection", "Model selection"),
    ("genres", "Genre density"),
    ("artists", "Artist similarity"),
    ("recommendations", "Recommendations"),
    ("run", "Run"),
];

const FIGURES: [&str; 11] = [
    "data_song_length.png",
    "data_segment_rate.png",
    "pca_scree.png",
    "map_acousticness.png",
    "map_clusters.png",
    "map_genres.png",
    "model_selection.png",
    "kdistance.png",
    "genre_density.png",
    "genre_clusters.png",
    "artist_distances.png",
];

fn report(fixture: Option<Fixture>) -> (tempfile::TempDir, Workdir, ReportSummary, String) {
    let dir = tempfile::tempdir().unwrap();
    let workdir = match fixture {
        Some(f) => common::build(dir.path(), f),
        None => Workdir::new(dir.path()),
    };
    let summary = write_report(&workdir, &ReportOptions::default()).unwrap();
    let html = std::fs::read_to_string(&summary.index).unwrap();
    (dir, workdir, summary, html)
}

/// Every section is on the page, and every image it links exists, decodes and is 2x its
/// displayed width. Returns the linked file names.
fn check_page(workdir: &Workdir, html: &str) -> Vec<String> {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    for (id, title) in SECTIONS {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "section {id} missing");
        assert!(html.contains(&format!(". {title}</h2>")), "title {title} missing");
    }
    let (opens, closes) = (html.matches("<section").count(), html.matches("</section>").count());
    assert_eq!((opens, closes), (8, 8));
    assert!(!html.contains("http://") && !html.contains("https://"), "the page must not reach the network");
    let mut files = Vec::new();
    for (src, width) in images(html) {
        let name = src.strip_prefix("figures/").expect("images are relative links into figures/");
        let (w, h) = png_size(&workdir.figures_dir().join(name));
        assert_eq!(w, 2 * width, "{name} is not rendered at 2x");
        assert!(h > 100, "{name} is {w}x{h}");
        files.push(name.to_string());
    }
    files
}

#[test]
fn full_report_has_every_section_and_figure() {
    let fixture = Fixture { audio_features: true, manifest: true, ..Fixture::default() };
    let (_dir, workdir, summary, html) = report(Some(fixture));
    let files = check_page(&workdir, &html);
    assert_eq!(files, FIGURES.to_vec());
    assert_eq!(summary.figures.len(), FIGURES.len());
    assert_eq!(summary.sections.len(), 8);
    // Every input is present, so nothing needs explaining.
    assert_eq!(summary.notice_count(), 0, "{:#?}", summary.sections);
    assert!(!html.contains("class=\"notice\""));

    // The readings state what the tables hold.
    let two = PCA_RATIOS[0] + PCA_RATIOS[1];
    assert!(html.contains(&format!("The first two principal components hold {:.1}%", two * 100.0)), "PCA reading");
    assert!(html.contains("in the study they held 25%"));
    assert!(html.contains("The run kept k = 3."));
    // DBSCAN: every 4th song is noise; HDBSCAN: every 8th.
    assert!(html.contains("DBSCAN leaves 25.0% of the songs as noise"));
    assert!(html.contains("HDBSCAN, the default clustering, leaves 12.5% as noise"));
    assert!(html.contains("Spotify&#39;s acousticness"), "measured acousticness is used when present");
    assert!(html.contains("Nearest to Artist A (10 songs)"));
    assert!(html.contains("class=\"fail\">FAIL</td>") && html.contains("class=\"pass\">pass</td>"));
    assert!(html.contains("<td>cluster</td><td class=\"num\">4.500</td>"), "stage timings from the manifest");
}

#[test]
fn acousticness_falls_back_to_the_documented_proxy() {
    let (_dir, workdir, summary, html) = report(Some(Fixture::default()));
    check_page(&workdir, &html);
    assert!(summary.figures.iter().any(|f| f.ends_with("map_acousticness.png")));
    assert!(html.contains("acousticness proxy"));
    assert!(html.contains("percentile rank of −(z(t1) + z(t2))"));
    // Without a manifest the Run section says so, and nothing else is missing.
    let notices: Vec<&String> = summary.sections.iter().flat_map(|s| &s.1).collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("no run manifest"));
}

#[test]
fn data_text_is_escaped() {
    let fixture = Fixture { evil: true, manifest: true, ..Fixture::default() };
    let (_dir, workdir, _summary, html) = report(Some(fixture));
    check_page(&workdir, &html);
    assert!(!html.to_lowercase().contains("<script"), "a data string became markup");
    assert!(!html.contains("<b>bold") && !html.contains("<i>tags"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the artist name is shown as text");
    assert!(html.contains("&lt;b&gt;bold&lt;/b&gt; &amp; co"), "the genre is shown as text");
    assert!(html.contains("&quot;Quotes&quot; &amp; &lt;i&gt;tags&lt;/i&gt;"), "the title is shown as text");
    // The raw strings are what the fixture holds.
    assert!(EVIL_ARTIST.contains("<script>") && EVIL_GENRE.contains("<b>") && EVIL_TITLE.contains("<i>"));
}

#[test]
fn empty_genres_and_a_single_cluster_give_a_thin_but_valid_report() {
    let fixture = Fixture { thin: true, manifest: true, ..Fixture::default() };
    let (_dir, workdir, summary, html) = report(Some(fixture));
    let files = check_page(&workdir, &html);
    for absent in ["map_genres.png", "genre_density.png", "genre_clusters.png"] {
        assert!(!files.contains(&absent.to_string()), "{absent} drawn without genres");
    }
    for present in ["map_clusters.png", "pca_scree.png", "artist_distances.png"] {
        assert!(files.contains(&present.to_string()), "{present} missing");
    }
    let notices = |title: &str| -> Vec<String> {
        summary.sections.iter().find(|s| s.0 == title).map(|s| s.1.clone()).unwrap()
    };
    assert!(notices("Genre density").iter().any(|n| n.contains("No song has a genre label")));
    assert!(notices("The map").iter().any(|n| n.contains("HDBSCAN found 1 cluster(s)")));
    assert!(notices("The map").iter().any(|n| n.contains("cannot be coloured by genre")));
    assert!(notices("Data").iter().any(|n| n.contains("No song has a genre label")));
    assert!(html.contains("class=\"notice\">No song has a genre label"));
}

#[test]
fn an_empty_workdir_still_gives_a_report_that_names_what_is_missing() {
    let (_dir, workdir, summary, html) = report(None);
    let files = check_page(&workdir, &html);
    assert!(files.is_empty());
    assert!(summary.figures.is_empty());
    for (title, notices) in &summary.sections {
        assert!(!notices.is_empty(), "section {title} explains nothing");
    }
    assert!(html.contains("table `tracks` is missing"));
    assert!(html.contains("`timbral cluster` writes it"));
    assert!(html.contains("`timbral similarity` writes it"));
}

#[test]
fn a_corrupt_table_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let workdir = common::build(dir.path(), Fixture::default());
    std::fs::write(workdir.table_path(timbral_core::Table::Pca), b"not parquet").unwrap();
    let summary = write_report(&workdir, &ReportOptions::default()).unwrap();
    let pca = &summary.sections[1];
    assert_eq!(pca.0, "Features and PCA");
    assert!(pca.1.iter().any(|n| n.contains("table `pca` could not be read")), "{pca:?}");
    assert!(!summary.figures.iter().any(|f| f.ends_with("pca_scree.png")));
}

#[test]
fn same_input_gives_identical_pages_and_figures() {
    let fixture = Fixture { manifest: true, ..Fixture::default() };
    let (_dir, workdir, first, html) = report(Some(fixture));
    let pngs: Vec<Vec<u8>> = first.figures.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let again = write_report(&workdir, &ReportOptions::default()).unwrap();
    assert_eq!(std::fs::read_to_string(&again.index).unwrap(), html);
    let repeat: Vec<Vec<u8>> = again.figures.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(pngs == repeat, "figures differ between two runs on the same input");
}

#[test]
fn a_catalogue_above_the_raster_threshold_gives_a_bounded_page_that_states_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let workdir = Workdir::new(dir.path());
    let songs = timbral_report::plot::scatter::RASTER_ABOVE + 5_000;
    common::scale::write_catalogue(&workdir, songs, 2_500, 300);
    let summary = write_report(&workdir, &ReportOptions::default()).unwrap();
    let html = std::fs::read_to_string(&summary.index).unwrap();
    check_page(&workdir, &html);
    assert_eq!(summary.notice_count(), 1, "only the run manifest is missing: {:#?}", summary.sections);
    // Each map states that its points are a raster, and how many songs it holds.
    let note = format!("All {} songs are drawn as a density raster (above 20,000 points)", "25,000");
    assert_eq!(html.matches(&note).count(), 3, "one note per map");
    assert!(html.contains("Each pixel holds some of 25,000 songs"));
    // Tables stay top-N with their totals; the page is small whatever the catalogue.
    assert!(html.contains("Most concentrated genres (10 of "), "the genre table states its total");
    assert_eq!(html.matches("; 5 of ").count(), 2, "both cohesion tables state their totals");
    assert!(html.len() < 100_000, "the page is {} bytes", html.len());
    assert!(html.matches("<tr>").count() < 200, "tables are top-N");
    assert!(html.contains("represented by a seeded sample of 200"), "prolific artists are sampled in the heatmap");
    let figures: u64 = summary.figures.iter().map(|f| std::fs::metadata(f).unwrap().len()).sum();
    // Eleven figures of fixed pixel size: about 7 MB at any catalogue size.
    assert!(figures < 10_000_000, "figures take {figures} bytes");
}
