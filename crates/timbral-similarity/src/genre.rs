//! Genre density: where each genre lies on the map and in the clusters, and how concentrated
//! it is (entropy over clusters; mean pairwise distance against the library's).

use std::collections::BTreeMap;

use ndarray::Array2;
use polars::prelude::*;
use rayon::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::Result;
use timbral_core::cols;

use crate::catalogue::Catalogue;
use crate::distance::{mean_pairwise, GROUP_PAIRS};
use crate::groups::genre_members;

/// Concentration of one genre.
#[derive(Debug, Clone, PartialEq)]
pub struct GenreStats {
    pub genre: String,
    pub songs: usize,
    /// Songs per cluster label (-1 = noise), ascending label.
    pub clusters: Vec<(i32, usize)>,
    /// Shannon entropy (nats) of the genre's songs over cluster labels, noise as a label.
    pub entropy: Option<f64>,
    /// `entropy / ln(labels in the library)`, in [0, 1].
    pub normalised_entropy: Option<f64>,
    pub mean_distance: Option<f64>,
    /// `mean_distance / library mean` (< 1: more concentrated than the library).
    pub distance_ratio: Option<f64>,
    /// 1 = most concentrated, by distance ratio; only genres with enough songs are ranked.
    pub concentration_rank: Option<u32>,
}

/// Statistics of every genre, in genre order.
/// A genre's spread is exact up to [`GROUP_PAIRS`] song pairs, else sampled (seeded by `seed`
/// and the genre's position).
pub fn genre_stats(catalogue: &Catalogue, library_mean: f64, min_rank_songs: usize, seed: u64) -> Vec<GenreStats> {
    let library_labels = catalogue.clusters.as_ref().map(|labels| {
        let mut distinct = labels.clone();
        distinct.sort_unstable();
        distinct.dedup();
        distinct.len()
    });
    let members: Vec<(String, Vec<usize>)> = genre_members(catalogue).into_iter().collect();
    let mut stats: Vec<GenreStats> = members
        .par_iter()
        .enumerate()
        .map(|(g, (genre, songs))| {
            let clusters = catalogue
                .clusters
                .as_ref()
                .map(|labels| count_labels(songs.iter().map(|&i| labels[i])))
                .unwrap_or_default();
            let entropy = catalogue.clusters.as_ref().map(|_| entropy(&clusters, songs.len()));
            let normalised_entropy = match (entropy, library_labels) {
                (Some(h), Some(k)) if k > 1 => Some(h / (k as f64).ln()),
                (Some(_), Some(_)) => Some(0.0),
                _ => None,
            };
            let mean_distance = mean_pairwise(&catalogue.points, songs, GROUP_PAIRS, seed ^ g as u64).map(|p| p.mean);
            GenreStats {
                genre: genre.clone(),
                songs: songs.len(),
                clusters,
                entropy,
                normalised_entropy,
                mean_distance,
                distance_ratio: mean_distance.map(|d| d / library_mean),
                concentration_rank: None,
            }
        })
        .collect();
    let mut ranked: Vec<usize> = (0..stats.len())
        .filter(|&g| stats[g].songs >= min_rank_songs && stats[g].distance_ratio.is_some())
        .collect();
    ranked.sort_by(|&a, &b| {
        let ratio = |g: usize| stats[g].distance_ratio.unwrap_or(f64::INFINITY);
        ratio(a).total_cmp(&ratio(b)).then_with(|| stats[a].genre.cmp(&stats[b].genre))
    });
    for (rank, g) in ranked.into_iter().enumerate() {
        stats[g].concentration_rank = Some(rank as u32 + 1);
    }
    stats
}

fn count_labels(labels: impl Iterator<Item = i32>) -> Vec<(i32, usize)> {
    let mut counts: BTreeMap<i32, usize> = BTreeMap::new();
    for label in labels {
        *counts.entry(label).or_default() += 1;
    }
    counts.into_iter().collect()
}

fn entropy(counts: &[(i32, usize)], total: usize) -> f64 {
    let total = total as f64;
    let h: f64 = counts
        .iter()
        .map(|&(_, c)| {
            let p = c as f64 / total;
            -p * p.ln()
        })
        .sum();
    // -0.0 for a single label reads oddly in a table.
    h.max(0.0)
}

/// The `genre_density` table (one row per genre, most concentrated first, unranked last).
pub fn density_table(stats: &[GenreStats], library_songs: usize, library_mean: f64) -> Result<DataFrame> {
    let mut order: Vec<&GenreStats> = stats.iter().collect();
    order.sort_by(|a, b| {
        let rank = |s: &GenreStats| s.concentration_rank.unwrap_or(u32::MAX);
        rank(a)
            .cmp(&rank(b))
            .then_with(|| b.songs.cmp(&a.songs))
            .then_with(|| a.genre.cmp(&b.genre))
    });
    df!(
        cols::genre_density::GENRE => order.iter().map(|s| s.genre.as_str()).collect::<Vec<_>>(),
        cols::genre_density::SONGS => order.iter().map(|s| s.songs as u32).collect::<Vec<_>>(),
        cols::genre_density::LIBRARY_SHARE => order.iter().map(|s| s.songs as f64 / library_songs as f64).collect::<Vec<_>>(),
        cols::genre_density::CLUSTERS => order.iter().map(|s| s.clusters.len() as u32).collect::<Vec<_>>(),
        cols::genre_density::CLUSTER_ENTROPY => order.iter().map(|s| s.entropy).collect::<Vec<_>>(),
        cols::genre_density::NORMALISED_ENTROPY => order.iter().map(|s| s.normalised_entropy).collect::<Vec<_>>(),
        cols::genre_density::MEAN_DISTANCE => order.iter().map(|s| s.mean_distance).collect::<Vec<_>>(),
        cols::genre_density::LIBRARY_MEAN => vec![library_mean; order.len()],
        cols::genre_density::DISTANCE_RATIO => order.iter().map(|s| s.distance_ratio).collect::<Vec<_>>(),
        cols::genre_density::CONCENTRATION_RANK => order.iter().map(|s| s.concentration_rank).collect::<Vec<_>>(),
    )
    .ctx("building genre_density")
}

/// The `genre_clusters` table: songs and share of each genre per cluster label.
pub fn clusters_table(stats: &[GenreStats]) -> Result<DataFrame> {
    let mut genre = Vec::new();
    let mut cluster = Vec::new();
    let mut songs = Vec::new();
    let mut share = Vec::new();
    for s in stats {
        for &(label, count) in &s.clusters {
            genre.push(s.genre.as_str());
            cluster.push(label);
            songs.push(count as u32);
            share.push(count as f64 / s.songs as f64);
        }
    }
    df!(cols::genre_clusters::GENRE => genre, cols::genre_clusters::CLUSTER => cluster, cols::genre_clusters::SONGS => songs, cols::genre_clusters::SHARE => share)
        .ctx("building genre_clusters")
}

/// A square grid over the map's bounding box (padded by 5% per side), cell centres.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
}

impl Grid {
    pub fn over(map: &Array2<f64>, size: usize) -> Grid {
        let axis = |j: usize| {
            let column = map.column(j);
            let lo = column.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = column.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let pad = ((hi - lo) * 0.05).max(1e-6);
            let (lo, hi) = (lo - pad, hi + pad);
            let step = (hi - lo) / size as f64;
            (0..size).map(|i| lo + (i as f64 + 0.5) * step).collect::<Vec<f64>>()
        };
        Grid { xs: axis(0), ys: axis(1) }
    }
}

/// Scott's rule per axis, `sigma * n^(-1/6)` (the 2-D case of `n^(-1/(d+4))`).
pub fn scott_bandwidth(map: &Array2<f64>, songs: &[usize]) -> Option<[f64; 2]> {
    let n = songs.len();
    if n < 2 {
        return None;
    }
    let factor = (n as f64).powf(-1.0 / 6.0);
    let mut h = [0.0; 2];
    for (j, hj) in h.iter_mut().enumerate() {
        let mean = songs.iter().map(|&i| map[[i, j]]).sum::<f64>() / n as f64;
        let var = songs.iter().map(|&i| (map[[i, j]] - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        *hj = var.sqrt() * factor;
    }
    (h[0] > 0.0 && h[1] > 0.0).then_some(h)
}

/// Gaussian product-kernel density of `songs` at every grid cell, row-major in y then x
/// (`density[iy * size + ix]`); it integrates to 1 over the plane.
pub fn kde(map: &Array2<f64>, songs: &[usize], bandwidth: [f64; 2], grid: &Grid) -> Vec<f64> {
    // Songs per block of kernel weights: two blocks of 64 KB per grid column.
    const BLOCK: usize = 8192;
    let [hx, hy] = bandwidth;
    let norm = 1.0 / (songs.len() as f64 * 2.0 * std::f64::consts::PI * hx * hy);
    // The product kernel separates, exp(-(dx^2 + dy^2) / 2) = exp(-dx^2 / 2) exp(-dy^2 / 2), so
    // the density is one matrix product of per-axis weights, not an exp per song and cell
    // (4 x 10^9 of them for a million songs on the 64 x 64 grid).
    let weights = |block: &[usize], axis: usize, at: &[f64], h: f64| {
        Array2::from_shape_fn((block.len(), at.len()), |(s, c)| {
            let d = (at[c] - map[[block[s], axis]]) / h;
            (-0.5 * d * d).exp()
        })
    };
    let mut density = Array2::<f64>::zeros((grid.ys.len(), grid.xs.len()));
    for block in songs.chunks(BLOCK) {
        let (wx, wy) = (weights(block, 0, &grid.xs, hx), weights(block, 1, &grid.ys, hy));
        ndarray::linalg::general_mat_mul(norm, &wy.t(), &wx, 1.0, &mut density);
    }
    density.into_iter().collect()
}

/// The `genre_grid` table for the `top` largest genres: each genre's KDE on the map. A genre
/// whose own spread is degenerate (one song, or all on a line) borrows the library bandwidth.
pub fn grid_table(catalogue: &Catalogue, stats: &[GenreStats], size: usize, top: usize) -> Result<DataFrame> {
    let all: Vec<usize> = (0..catalogue.len()).collect();
    let library_bandwidth = scott_bandwidth(&catalogue.map, &all).unwrap_or([1.0, 1.0]);
    let grid = Grid::over(&catalogue.map, size);
    let members = genre_members(catalogue);
    let mut largest: Vec<&GenreStats> = stats.iter().collect();
    largest.sort_by(|a, b| b.songs.cmp(&a.songs).then_with(|| a.genre.cmp(&b.genre)));
    largest.truncate(top);
    let densities: Vec<(&str, Vec<f64>)> = largest
        .par_iter()
        .map(|s| {
            let songs = &members[&s.genre];
            let bandwidth = scott_bandwidth(&catalogue.map, songs).unwrap_or(library_bandwidth);
            (s.genre.as_str(), kde(&catalogue.map, songs, bandwidth, &grid))
        })
        .collect();
    let cells = size * size;
    let rows = densities.len() * cells;
    let mut genre = Vec::with_capacity(rows);
    let (mut ix, mut iy) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    let (mut x, mut y) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    let mut density = Vec::with_capacity(rows);
    for (name, values) in &densities {
        for (cell, value) in values.iter().enumerate() {
            let (row, col) = (cell / size, cell % size);
            genre.push(*name);
            ix.push(col as u32);
            iy.push(row as u32);
            x.push(grid.xs[col]);
            y.push(grid.ys[row]);
            density.push(*value);
        }
    }
    df!(cols::genre_grid::GENRE => genre, cols::genre_grid::IX => ix, cols::genre_grid::IY => iy, cols::genre_grid::X => x, cols::genre_grid::Y => y, cols::genre_grid::DENSITY => density)
        .ctx("building genre_grid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn four_songs() -> Catalogue {
        // rock: songs 0, 1 (cluster 0, 0); pop: 1, 2, 3 (clusters 0, 1, -1).
        Catalogue::from_parts(
            (0..4).map(|i| format!("t{i}")).collect(),
            vec!["s".into(); 4],
            vec!["a".into(); 4],
            vec!["A".into(); 4],
            vec![
                vec!["rock".into()],
                vec!["rock".into(), "pop".into()],
                vec!["pop".into()],
                vec!["pop".into()],
            ],
            array![[0.0], [1.0], [3.0], [7.0]],
            array![[0.0, 0.0], [1.0, 0.0], [3.0, 1.0], [7.0, 2.0]],
            Some(vec![0, 0, 1, -1]),
        )
        .unwrap()
    }

    #[test]
    fn hand_checked_genre_stats() {
        let cat = four_songs();
        let stats = genre_stats(&cat, 2.0, 2, 0);
        let (pop, rock) = (&stats[0], &stats[1]);
        assert_eq!((pop.genre.as_str(), pop.songs), ("pop", 3));
        assert_eq!(pop.clusters, vec![(-1, 1), (0, 1), (1, 1)]);
        // Uniform over 3 labels out of 3 in the library: entropy ln 3, normalised 1.
        assert!((pop.entropy.unwrap() - 3f64.ln()).abs() < 1e-12);
        assert!((pop.normalised_entropy.unwrap() - 1.0).abs() < 1e-12);
        // Pop distances |1-3|, |1-7|, |3-7| = 2, 6, 4 -> mean 4, ratio 2.
        assert_eq!(pop.mean_distance, Some(4.0));
        assert_eq!(pop.distance_ratio, Some(2.0));
        assert_eq!(rock.entropy, Some(0.0));
        assert_eq!(rock.distance_ratio, Some(0.5));
        assert_eq!((rock.concentration_rank, pop.concentration_rank), (Some(1), Some(2)));

        let density = density_table(&stats, 4, 2.0).unwrap();
        timbral_core::Table::GenreDensity.spec().validate(&density).unwrap();
        assert_eq!(density.column("genre").unwrap().str().unwrap().get(0), Some("rock"));
        let clusters = clusters_table(&stats).unwrap();
        timbral_core::Table::GenreClusters.spec().validate(&clusters).unwrap();
        assert_eq!(clusters.height(), 4);
    }

    #[test]
    fn kde_integrates_to_one_and_peaks_at_the_songs() {
        let map = array![[0.0, 0.0], [1.0, 1.0], [0.5, 0.2], [10.0, 10.0]];
        let songs = [0, 1, 2];
        let h = scott_bandwidth(&map, &songs).unwrap();
        // A fine grid wide enough to hold the mass: a Riemann sum of the density is ~1.
        let grid = Grid {
            xs: (0..200).map(|i| -3.0 + 7.0 * (i as f64 + 0.5) / 200.0).collect(),
            ys: (0..200).map(|i| -3.0 + 7.0 * (i as f64 + 0.5) / 200.0).collect(),
        };
        let density = kde(&map, &songs, h, &grid);
        let cell = (7.0 / 200.0) * (7.0 / 200.0);
        let mass: f64 = density.iter().sum::<f64>() * cell;
        assert!((mass - 1.0).abs() < 1e-3, "mass {mass}");
        let peak = density.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap().0;
        let (px, py) = (grid.xs[peak % 200], grid.ys[peak / 200]);
        assert!(px > -0.5 && px < 1.5 && py > -0.5 && py < 1.5, "peak at {px},{py}");
        assert_eq!(scott_bandwidth(&map, &[3]), None);
    }

    #[test]
    fn grid_table_has_one_row_per_cell_and_genre() {
        let cat = four_songs();
        let stats = genre_stats(&cat, 2.0, 2, 0);
        let frame = grid_table(&cat, &stats, 8, 1).unwrap();
        timbral_core::Table::GenreGrid.spec().validate(&frame).unwrap();
        assert_eq!(frame.height(), 64);
        // The largest genre (pop, 3 songs) is the one kept.
        assert_eq!(frame.column("genre").unwrap().str().unwrap().get(0), Some("pop"));
    }
}
