//! `timbral report`: an HTML page (`reports/index.html`) with PNG figures
//! (`reports/figures/*.png`) summarising every stage of the analysis: the data, PCA, the
//! UMAP map and its clusters, model selection, genre density, artist similarity,
//! recommendations and the run itself; and `reports/explorer.html`, every song on an
//! interactive WebGL map.
//!
//! The report reads whatever tables exist. A missing table or column, an empty genre list or a
//! single cluster never stops it: the affected section says what is missing and why it is
//! thin. All text taken from the data is HTML-escaped, and the page needs no network.

mod catalogue;
mod explorer;
pub mod format;
pub mod html;
mod inputs;
pub mod plot;
mod sections;

use std::path::PathBuf;

pub use explorer::ExplorerSummary;

pub use linfa::ParamGuard;
use timbral_core::error::at_least_one;
use timbral_core::io::write_bytes_atomic;
use timbral_core::{Error, Result, Workdir};

/// What to show, checked by [`ReportParams`]; the defaults follow the study.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// Genres coloured on the map and drawn as density small multiples.
    pub(crate) top_genres: usize,
    /// Genres (rows) of the genre x cluster heatmap.
    pub(crate) heatmap_genres: usize,
    /// Artists (by song count) in the artist distance heatmap.
    pub(crate) heatmap_artists: usize,
    /// Most prolific artists whose nearest and farthest artists are listed.
    pub(crate) prolific_artists: usize,
    /// Rows of each nearest/farthest table and neighbours per example song.
    pub(crate) neighbours: usize,
    /// Example songs in the recommendations section.
    pub(crate) example_songs: usize,
    /// Rows of the most/least cohesive artist tables.
    pub(crate) cohesion_rows: usize,
    /// Seed of the sampled songs of prolific artists in the artist distance heatmap.
    pub(crate) seed: u64,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            top_genres: 8,
            heatmap_genres: 15,
            heatmap_artists: 30,
            prolific_artists: 3,
            neighbours: 5,
            example_songs: 4,
            cohesion_rows: 5,
            seed: 42,
        }
    }
}

/// The report's options as a linfa [`ParamGuard`] builder: the defaults, setters, and
/// [`ParamGuard::check`] into [`ReportOptions`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReportParams(ReportOptions);

impl ReportParams {
    /// The defaults with the run's seed.
    pub fn new(seed: u64) -> Self {
        ReportParams(ReportOptions { seed, ..ReportOptions::default() })
    }
}

timbral_core::param_fields! {
    ReportParams, 0 => ReportOptions {
        /// Genres coloured on the map and drawn as density small multiples.
        top_genres: usize,
        /// Artists (by song count) in the artist distance heatmap.
        heatmap_artists: usize,
        /// Most prolific artists whose nearest and farthest artists are listed.
        prolific_artists: usize,
        /// Example songs in the recommendations section.
        example_songs: usize,
    }
}

timbral_core::param_guard!(ReportParams, 0 => ReportOptions, Error, |o| {
    at_least_one(&[
        ("top_genres", o.top_genres),
        ("heatmap_genres", o.heatmap_genres),
        ("heatmap_artists", o.heatmap_artists),
        ("neighbours", o.neighbours),
    ])?;
});

/// What a report run wrote.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    /// `reports/index.html`.
    pub index: PathBuf,
    /// Every PNG written, in page order.
    pub figures: Vec<PathBuf>,
    /// For each section, its title and the notices explaining what is thin or missing.
    pub sections: Vec<(String, Vec<String>)>,
    /// `reports/explorer.html`, the interactive map.
    pub explorer: ExplorerSummary,
}

impl ReportSummary {
    /// The number of notices over all sections.
    pub fn notice_count(&self) -> usize {
        self.sections.iter().map(|(_, n)| n.len()).sum()
    }
}

/// Writes `reports/index.html`, `reports/figures/*.png` and `reports/explorer.html` under
/// `workdir`.
///
/// Only I/O failures on the report files are errors; problems with the input tables are
/// explained in the page.
pub fn write_report(workdir: &Workdir, opts: &ReportOptions) -> Result<ReportSummary> {
    let figures_dir = workdir.figures_dir();
    std::fs::create_dir_all(&figures_dir).map_err(|e| Error::io(&figures_dir, e))?;
    let progress = timbral_core::progress::spinner("report");
    let ctx = sections::Ctx::new(workdir, opts);
    let mut figures = sections::Figures::new(figures_dir);
    let sections = sections::build_all(&ctx, &mut figures)?;
    let explorer = explorer::write_explorer(&ctx)?;
    progress.finish_and_clear();

    let subtitle = subtitle(&ctx);
    let page = html::render_page("timbral: music catalogue report", &subtitle, &sections);
    let index = workdir.reports_dir().join("index.html");
    write_bytes_atomic(&index, page.as_bytes())?;
    let summary = ReportSummary {
        index,
        figures: figures.written,
        sections: sections
            .iter()
            .map(|s| (s.title.to_string(), s.notices().into_iter().map(str::to_string).collect()))
            .collect(),
        explorer,
    };
    tracing::info!(
        figures = summary.figures.len(),
        notices = summary.notice_count(),
        "wrote {}",
        summary.index.display()
    );
    Ok(summary)
}

fn subtitle(ctx: &sections::Ctx) -> String {
    match &ctx.catalogue {
        Ok(c) => format!(
            "{} songs by {} artists · timbral {}",
            format::int(c.tracks.len()),
            format::int(c.artists_by_songs.len()),
            env!("CARGO_PKG_VERSION")
        ),
        Err(_) => format!("timbral {}", env!("CARGO_PKG_VERSION")),
    }
}
