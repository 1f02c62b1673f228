//! Section 5: where genres sit on the map and how they spread over clusters.

use std::collections::{BTreeSet, HashMap, HashSet};

use polars::prelude::DataFrame;
use timbral_core::{Result, Table, cols};

use super::{Ctx, Figures};
use crate::format::{int, num};
use crate::html::{Block, Section, TableBlock};
use crate::inputs::{f64s, has, i64s, strs};
use crate::plot::heatmap::{draw_density_panels, draw_matrix, DensityPanel, Matrix};
use crate::plot::Size;

/// Rows of the concentration table.
const CONCENTRATION_ROWS: usize = 10;

pub fn build(ctx: &Ctx, figures: &mut Figures) -> Result<Section> {
    let mut s = Section::new("genres", "Genre density");
    s.read(
        "If audio alone carries genre, each genre should gather in its own part of the map and in few clusters. The small multiples show where each of the most common genres is densest; the heatmap shows what share of a genre's songs falls in each cluster. A genre spread evenly over all clusters is one that timbre does not separate.",
    );
    let ranking = genre_ranking(ctx);
    if ranking.is_empty() {
        s.notice("No song has a genre label, so there is no genre density to show. Genres come from the source's metadata (for example Spotify artist genres or the audio files' tags); a catalogue ingested without them leaves this section empty.");
        return Ok(s);
    }
    density_panels(ctx, figures, &mut s, &ranking)?;
    cluster_heatmap(ctx, figures, &mut s, &ranking)?;
    concentration_table(ctx, &mut s);
    Ok(s)
}

/// Genres by song count: from the catalogue, else from `genre_density`.
fn genre_ranking(ctx: &Ctx) -> Vec<String> {
    if let Ok(c) = &ctx.catalogue {
        return c.genres.iter().map(|g| g.0.clone()).collect();
    }
    let Ok(frame) = ctx.inputs.get(Table::GenreDensity) else {
        return Vec::new();
    };
    let (Ok(names), Ok(songs)) = (strs(frame, Table::GenreDensity, cols::genre_density::GENRE), f64s(frame, Table::GenreDensity, cols::genre_density::SONGS)) else {
        return Vec::new();
    };
    let mut rows: Vec<(String, f64)> = names.into_iter().zip(songs).filter_map(|(g, n)| Some((g?, n.unwrap_or(0.0)))).collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows.into_iter().map(|r| r.0).collect()
}

/// The genres read for a figure of `shown` genres: the most common ones, with room for some
/// that the table lacks (a genre too small for a density, say), never the whole list.
fn candidates(ranking: &[String], shown: usize) -> Vec<&str> {
    ranking.iter().take(shown.saturating_mul(4)).map(String::as_str).collect()
}

fn density_panels(ctx: &Ctx, figures: &mut Figures, s: &mut Section, ranking: &[String]) -> Result<()> {
    let wanted = candidates(ranking, ctx.opts.top_genres);
    let frame = match ctx.inputs.rows_where_in(Table::GenreGrid, cols::genre_grid::GENRE, &wanted, &[cols::genre_grid::GENRE, cols::genre_grid::X, cols::genre_grid::Y, cols::genre_grid::DENSITY]) {
        Ok(f) => f,
        Err(why) => {
            s.notice(why);
            return Ok(());
        }
    };
    let read = || -> timbral_core::Result<_> {
        let t = Table::GenreGrid;
        Ok((strs(&frame, t, cols::genre_density::GENRE)?, f64s(&frame, t, cols::genre_grid::X)?, f64s(&frame, t, cols::genre_grid::Y)?, f64s(&frame, t, cols::genre_grid::DENSITY)?))
    };
    let (genres, xs, ys, densities) = match read() {
        Ok(columns) => columns,
        Err(e) => {
            s.notice(format!("The density small multiples cannot be drawn: {e}."));
            return Ok(());
        }
    };
    let mut cells: HashMap<String, Vec<(f64, f64, f64)>> = HashMap::new();
    for i in 0..genres.len() {
        if let (Some(g), Some(x), Some(y), Some(d)) = (&genres[i], xs[i], ys[i], densities[i]) {
            cells.entry(g.clone()).or_default().push((x, y, d));
        }
    }
    let panels: Vec<DensityPanel> = ranking
        .iter()
        .filter_map(|g| Some(DensityPanel { title: g.clone(), cells: cells.remove(g)? }))
        .take(ctx.opts.top_genres)
        .collect();
    if panels.is_empty() {
        s.notice("genre_grid has no density for any of the top genres, so there are no small multiples.");
        return Ok(());
    }
    let columns = panels.len().min(4);
    let rows = panels.len().div_ceil(columns);
    let size = Size { width: 1120, height: 40 + 280 * rows as u32 };
    let caption = format!(
        "Kernel density of each of the {} most common genres over the 2-D map (from genre_grid), each scaled to its own maximum so that small genres stay visible.",
        panels.len()
    );
    figures.add(
        s,
        "genre_density.png",
        size,
        ("Density of the top genres over the map", &caption),
        |area| draw_density_panels(area, &panels, columns),
    )
}

fn cluster_heatmap(ctx: &Ctx, figures: &mut Figures, s: &mut Section, ranking: &[String]) -> Result<()> {
    let wanted = candidates(ranking, ctx.opts.heatmap_genres);
    let frame = match ctx.inputs.rows_where_in(Table::GenreClusters, cols::genre_clusters::GENRE, &wanted, &[cols::genre_clusters::GENRE, cols::genre_clusters::CLUSTER, cols::genre_clusters::SHARE]) {
        Ok(f) => f,
        Err(why) => {
            s.notice(why);
            return Ok(());
        }
    };
    let read = || -> timbral_core::Result<_> {
        let t = Table::GenreClusters;
        Ok((strs(&frame, t, cols::genre_density::GENRE)?, i64s(&frame, t, cols::genre_clusters::CLUSTER)?, f64s(&frame, t, cols::genre_clusters::SHARE)?))
    };
    let (genres, clusters, shares) = match read() {
        Ok(columns) => columns,
        Err(e) => {
            s.notice(format!("The genre x cluster heatmap cannot be drawn: {e}."));
            return Ok(());
        }
    };
    let present: HashSet<&str> = genres.iter().flatten().map(String::as_str).collect();
    let rows: Vec<String> = ranking
        .iter()
        .filter(|g| present.contains(g.as_str()))
        .take(ctx.opts.heatmap_genres)
        .cloned()
        .collect();
    let cluster_ids: BTreeSet<i64> = clusters.iter().flatten().copied().collect();
    let real_clusters = cluster_ids.iter().filter(|&&c| c >= 0).count();
    if rows.is_empty() || cluster_ids.is_empty() {
        s.notice("genre_clusters has no rows for the top genres, so there is no genre x cluster heatmap.");
        return Ok(());
    }
    if real_clusters <= 1 {
        s.notice(format!(
            "There is only {real_clusters} cluster besides noise, so the genre x cluster heatmap cannot separate genres: every genre falls in the same cluster (or in noise)."
        ));
    }
    let row_of: HashMap<&str, usize> = rows.iter().enumerate().map(|(i, g)| (g.as_str(), i)).collect();
    let col_of: HashMap<i64, usize> = cluster_ids.iter().enumerate().map(|(j, &c)| (c, j)).collect();
    let mut values = vec![vec![Some(0.0); cluster_ids.len()]; rows.len()];
    for i in 0..genres.len() {
        if let (Some(g), Some(c), Some(v)) = (&genres[i], clusters[i], shares[i])
            && let (Some(&r), Some(&k)) = (row_of.get(g.as_str()), col_of.get(&c)) {
                values[r][k] = Some(v);
            }
    }
    let matrix = Matrix {
        rows,
        cols: cluster_ids.iter().map(|&c| if c < 0 { "noise".to_string() } else { c.to_string() }).collect(),
        values,
    };
    let height = (140 + 26 * matrix.rows.len() as u32).max(360);
    figures.add(
        s,
        "genre_clusters.png",
        Size { width: 1120, height },
        (
            "Genre x cluster heatmap",
            "Share of each genre's songs in each cluster (rows sum to 1 over clusters and noise); genres ordered by song count.",
        ),
        |area| draw_matrix(area, "Share of each genre's songs by cluster", &matrix, ("genre", "cluster"), "share of the genre's songs", true),
    )
}

/// The most concentrated genres, with whichever measures `genre_density` provides.
fn concentration_table(ctx: &Ctx, s: &mut Section) {
    let frame = match ctx.inputs.get(Table::GenreDensity) {
        Ok(f) => f,
        Err(why) => {
            s.notice(why);
            return;
        }
    };
    match concentration_rows(frame) {
        Ok(Some(table)) => s.push(Block::Table(table)),
        Ok(None) => s.notice("genre_density has no rows."),
        Err(e) => s.notice(format!("The concentration table cannot be shown: {e}.")),
    }
}

/// Measure columns shown when present, with their headers.
const MEASURES: [(&str, &str); 6] = [
    (cols::genre_density::SONGS, "songs"),
    (cols::genre_density::CLUSTERS, "clusters"),
    (cols::genre_density::NORMALISED_ENTROPY, "entropy over clusters (0-1)"),
    (cols::genre_density::MEAN_DISTANCE, "mean pairwise distance"),
    (cols::genre_density::DISTANCE_RATIO, "ratio to library"),
    (cols::genre_density::CONCENTRATION_RANK, "rank"),
];

fn concentration_rows(frame: &DataFrame) -> timbral_core::Result<Option<TableBlock>> {
    let t = Table::GenreDensity;
    let genres = strs(frame, t, cols::genre_density::GENRE)?;
    if genres.is_empty() {
        return Ok(None);
    }
    let shown: Vec<(&str, &str)> = MEASURES.iter().copied().filter(|(c, _)| has(frame, c)).collect();
    let values: Vec<Vec<Option<f64>>> = shown.iter().map(|(c, _)| f64s(frame, t, c)).collect::<timbral_core::Result<_>>()?;
    // Rank by the stage's own rank when it wrote one, else by entropy (low = concentrated).
    let key = [cols::genre_density::CONCENTRATION_RANK, cols::genre_density::NORMALISED_ENTROPY].into_iter().find(|c| has(frame, c));
    let mut order: Vec<usize> = (0..genres.len()).collect();
    let (sort_note, order) = match key {
        Some(k) => {
            let by = f64s(frame, t, k)?;
            order.sort_by(|&a, &b| by[a].unwrap_or(f64::INFINITY).total_cmp(&by[b].unwrap_or(f64::INFINITY)));
            (format!("sorted by `{k}`, most concentrated first"), order)
        }
        None => ("in table order; genre_density has no rank or entropy column".to_string(), order),
    };
    let mut header = vec!["genre".to_string()];
    header.extend(shown.iter().map(|(_, h)| h.to_string()));
    let rows = order
        .iter()
        .take(CONCENTRATION_ROWS)
        .map(|&i| {
            let mut row = vec![genres[i].clone().unwrap_or_default()];
            row.extend(shown.iter().zip(&values).map(|((c, _), v)| match v[i] {
                Some(x) if matches!(*c, cols::genre_density::SONGS | cols::genre_density::CLUSTERS | cols::genre_density::CONCENTRATION_RANK) => int(x.max(0.0) as usize),
                Some(x) => num(x),
                None => "–".to_string(),
            }));
            row
        })
        .collect();
    Ok(Some(TableBlock {
        caption: format!("Most concentrated genres ({} of {}, {sort_note})", CONCENTRATION_ROWS.min(genres.len()), genres.len()),
        header,
        rows,
        half: false,
    }))
}
