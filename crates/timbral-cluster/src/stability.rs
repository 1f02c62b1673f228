//! The stability check: UMAP, DBSCAN, HDBSCAN and K-Means refitted with the next seeds (on a
//! seeded sample at catalogue scale), scored by the mean pairwise adjusted Rand index.

use ndarray::{ArrayView2, Axis};
use rayon::prelude::*;
use timbral_core::Result;
use timbral_core::neighbors::seeded_sample;

use crate::density;
use crate::distance::{Graph, self_graph};
use crate::hyperparams::{ClusterValidParams, QUALITY_K};
use crate::kmeans;
use crate::metrics;
use crate::umap;

/// The base run's labels that the stability check compares refits with.
#[derive(Clone, Copy)]
pub(crate) struct Labelings<'a> {
    pub kmeans: &'a [usize],
    pub dbscan: &'a [i32],
}

/// Labels of every stability run (the base run first), and how many songs they cover.
pub(crate) struct Stability {
    pub songs: usize,
    kmeans: Vec<Vec<i32>>,
    dbscan: Vec<Vec<i32>>,
    /// HDBSCAN labels of the refits; the base run's are added by [`Stability::aris`] when the
    /// check covers every song.
    hdbscan: Vec<Vec<i32>>,
    whole_catalogue: bool,
}

impl Stability {
    /// Mean pairwise ARI of K-Means, DBSCAN and HDBSCAN across the runs.
    pub fn aris(mut self, base_hdbscan: &[i32]) -> [f64; 3] {
        if self.whole_catalogue {
            self.hdbscan.insert(0, base_hdbscan.to_vec());
        }
        [mean_pairwise_ari(&self.kmeans), mean_pairwise_ari(&self.dbscan), mean_pairwise_ari(&self.hdbscan)]
    }
}

/// Refits UMAP, DBSCAN, HDBSCAN and K-Means (at the chosen k) with the next seeds. Up to
/// `stability_max_songs` songs the refits are compared with the base run; above, every run,
/// the base seed's included, is refitted on one seeded sample of that many songs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn stability(
    standardised: ArrayView2<f64>,
    prepared: ArrayView2<f64>,
    graph: &Graph,
    base: Labelings,
    chosen_k: usize,
    params: &ClusterValidParams,
) -> Result<Stability> {
    let n = standardised.nrows();
    let whole_catalogue = n <= params.stability_max_songs;
    let rerun_seeds: Vec<u64> = (1..params.stability_seeds as u64).map(|i| params.seed.wrapping_add(i)).collect();
    let mut result = Stability { songs: n, kmeans: Vec::new(), dbscan: Vec::new(), hdbscan: Vec::new(), whole_catalogue };
    // Owned copies in both cases: the whole catalogue is at most `stability_max_songs` rows.
    let (standardised, prepared, graph, seeds) = if whole_catalogue {
        result.kmeans.push(base.kmeans.iter().map(|&l| l as i32).collect());
        result.dbscan.push(base.dbscan.to_vec());
        (standardised.to_owned(), prepared.to_owned(), graph.clone(), rerun_seeds)
    } else {
        let rows = seeded_sample(n, params.stability_max_songs, params.seed);
        let sub_standardised = standardised.select(Axis(0), &rows);
        let sub_prepared = prepared.select(Axis(0), &rows);
        let graph_k = params.n_neighbors.max(QUALITY_K);
        let (_, sub_graph) = self_graph(sub_prepared.view(), graph_k, params.metric, params.knn, params.seed)?;
        result.songs = rows.len();
        let mut seeds = vec![params.seed];
        seeds.extend(rerun_seeds);
        (sub_standardised, sub_prepared, sub_graph, seeds)
    };
    let settings = params.umap_settings(prepared.nrows());
    // UMAP is parallel inside; DBSCAN and HDBSCAN are not, so all seeds' density clusterings
    // run at once after the embeddings.
    let mut embeddings = Vec::with_capacity(seeds.len());
    let fuzzy = umap::FuzzyGraph::new(prepared.view(), &graph.indices, &graph.distances, &settings)?;
    for &seed in &seeds {
        embeddings.push(umap::fit_pair(&fuzzy, params.umap_dims, &settings, seed)?);
    }
    let density: Vec<(Vec<i32>, Result<density::HdbscanLabels>)> = embeddings
        .par_iter()
        .zip(&seeds)
        .map(|([map_2d, map_nd], &seed)| {
            rayon::join(
                || density::dbscan_at_knee(map_2d.view(), params.dbscan_min_samples).labels,
                || density::hdbscan_sampled(map_nd.view(), None, params.hdbscan_min_cluster_size, params.hdbscan_max_fit, seed),
            )
        })
        .collect();
    for (dbscan, hdbscan) in density {
        result.dbscan.push(dbscan);
        result.hdbscan.push(hdbscan?.labels);
    }
    let kmeans_runs = seeds
        .par_iter()
        .map(|&seed| kmeans::kmeans_labels(standardised.view(), chosen_k, params.kmeans_runs, seed))
        .collect::<Result<Vec<_>>>()?;
    result.kmeans.extend(kmeans_runs.into_iter().map(|labels| labels.into_iter().map(|l| l as i32).collect()));
    Ok(result)
}

/// Mean ARI over all pairs of runs; NaN with a single run (stability check off).
fn mean_pairwise_ari(runs: &[Vec<i32>]) -> f64 {
    let mut total = 0.0;
    let mut pairs = 0usize;
    for a in 0..runs.len() {
        for b in a + 1..runs.len() {
            total += metrics::adjusted_rand_index(&runs[a], &runs[b]);
            pairs += 1;
        }
    }
    if pairs == 0 { f64::NAN } else { total / pairs as f64 }
}
