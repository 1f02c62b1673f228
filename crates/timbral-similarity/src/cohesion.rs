//! Intra-artist similarity: how close an artist's songs are compared with random song sets of
//! the same size.
//!
//! The null distribution of "mean pairwise distance of m random songs" depends only on m, so
//! it is drawn once per distinct artist size (not once per artist) from an RNG seeded by
//! (seed, m): the result does not depend on thread scheduling or artist order.
//!
//! Cost per draw is the set's pairs, so a draw of more than [`NULL_PAIRS`] pairs (sets above
//! 200 songs) averages that many sampled pairs of the drawn set instead; at that size the null
//! spread (a few % of the mean) dwarfs the sampling error (~0.4%).

use std::collections::BTreeMap;

use ndarray::Array2;
use polars::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::Result;
use timbral_core::cols;

use crate::distance::{mean_pairwise, GROUP_PAIRS};

/// Distinct pairs one null draw visits exactly; larger draws average this many sampled pairs.
pub const NULL_PAIRS: usize = 20_000;
use crate::groups::ArtistGroups;

/// Cohesion of one artist with at least two songs.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohesion {
    /// Index into [`ArtistGroups`].
    pub artist: usize,
    pub songs: usize,
    pub mean_distance: f64,
    /// `mean_distance` over the library's mean pairwise distance (< 1: more cohesive).
    pub ratio: f64,
    /// Share (in %) of random same-size song sets at most as spread out as this artist:
    /// near 0 means far more cohesive than chance.
    pub percentile: f64,
    /// One-sided permutation p-value, `(count + 1) / (permutations + 1)`.
    pub p_value: f64,
}

/// Sorted null distributions of the mean pairwise distance, per set size.
pub struct NullDistributions {
    by_size: BTreeMap<usize, Vec<f64>>,
}

impl NullDistributions {
    /// Draws `permutations` random song sets (without replacement) for each size.
    pub fn draw(points: &Array2<f64>, sizes: &[usize], permutations: usize, seed: u64) -> Self {
        let n = points.nrows();
        let mut sizes: Vec<usize> = sizes.iter().copied().filter(|&m| m >= 2 && m <= n).collect();
        sizes.sort_unstable();
        sizes.dedup();
        let by_size = sizes
            .par_iter()
            .map(|&m| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (m as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let mut null: Vec<f64> = (0..permutations)
                    .map(|_| {
                        let members = rand::seq::index::sample(&mut rng, n, m).into_vec();
                        let pair_seed = rand::Rng::random(&mut rng);
                        mean_pairwise(points, &members, NULL_PAIRS, pair_seed).map_or(0.0, |p| p.mean)
                    })
                    .collect();
                null.sort_by(f64::total_cmp);
                (m, null)
            })
            .collect();
        NullDistributions { by_size }
    }

    /// How many null draws of size `m` are at most `observed`, out of how many.
    fn count_at_most(&self, m: usize, observed: f64) -> (usize, usize) {
        match self.by_size.get(&m) {
            Some(null) => (null.partition_point(|&v| v <= observed), null.len()),
            None => (0, 0),
        }
    }
}

/// Cohesion of every artist with at least two songs, in artist order.
pub fn cohesion(
    points: &Array2<f64>,
    groups: &ArtistGroups,
    library_mean: f64,
    permutations: usize,
    seed: u64,
) -> Vec<Cohesion> {
    let sizes: Vec<usize> = groups.members.iter().map(Vec::len).collect();
    let null = NullDistributions::draw(points, &sizes, permutations, seed);
    groups
        .members
        .par_iter()
        .enumerate()
        .filter_map(|(artist, members)| {
            let mean_distance = mean_pairwise(points, members, GROUP_PAIRS, seed ^ artist as u64)?.mean;
            let (count, total) = null.count_at_most(members.len(), mean_distance);
            Some(Cohesion {
                artist,
                songs: members.len(),
                mean_distance,
                ratio: mean_distance / library_mean,
                percentile: 100.0 * count as f64 / total.max(1) as f64,
                p_value: (count + 1) as f64 / (total + 1) as f64,
            })
        })
        .collect()
}

/// The `intra_artist` table, most cohesive (lowest ratio) first.
pub fn table(groups: &ArtistGroups, rows: &[Cohesion], library_mean: f64) -> Result<DataFrame> {
    let mut rows: Vec<&Cohesion> = rows.iter().collect();
    rows.sort_by(|x, y| {
        x.ratio
            .total_cmp(&y.ratio)
            .then_with(|| groups.ids[x.artist].cmp(&groups.ids[y.artist]))
    });
    df!(
        cols::intra_artist::ARTIST_ID => rows.iter().map(|r| groups.ids[r.artist].as_str()).collect::<Vec<_>>(),
        cols::intra_artist::ARTIST_NAME => rows.iter().map(|r| groups.names[r.artist].as_str()).collect::<Vec<_>>(),
        cols::intra_artist::SONGS => rows.iter().map(|r| r.songs as u32).collect::<Vec<_>>(),
        cols::intra_artist::MEAN_DISTANCE => rows.iter().map(|r| r.mean_distance).collect::<Vec<_>>(),
        cols::intra_artist::LIBRARY_MEAN => vec![library_mean; rows.len()],
        cols::intra_artist::RATIO => rows.iter().map(|r| r.ratio).collect::<Vec<_>>(),
        cols::intra_artist::PERCENTILE => rows.iter().map(|r| r.percentile).collect::<Vec<_>>(),
        cols::intra_artist::P_VALUE => rows.iter().map(|r| r.p_value).collect::<Vec<_>>(),
        cols::intra_artist::COHESION_RANK => (1..=rows.len() as u32).collect::<Vec<_>>(),
    )
    .ctx("building intra_artist")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;
    use crate::distance::library_mean_pairwise;
    use crate::test_data::random_catalogue;
    use ndarray::array;

    #[test]
    fn hand_checked_cohesion() {
        // Artist a: two songs 1 apart; artist b: two songs 9 apart; c alone (skipped).
        let cat = Catalogue::from_parts(
            (1..=5).map(|i| format!("t{i}")).collect(),
            vec!["s".into(); 5],
            ["a", "a", "b", "b", "c"].map(String::from).to_vec(),
            ["A", "A", "B", "B", "C"].map(String::from).to_vec(),
            vec![vec![]; 5],
            array![[0.0], [1.0], [0.0], [9.0], [4.0]],
            Array2::zeros((5, 2)),
            None,
        )
        .unwrap();
        let groups = ArtistGroups::of(&cat);
        // Pairs: 1,0,9,4, 1,8,3, 9,4, 5 -> sum 44 over 10 pairs.
        let library = library_mean_pairwise(&cat.points, 0).unwrap().mean;
        assert!((library - 4.4).abs() < 1e-12);
        let rows = cohesion(&cat.points, &groups, library, 200, 1);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].songs, rows[0].mean_distance), (2, 1.0));
        assert!((rows[0].ratio - 1.0 / 4.4).abs() < 1e-12);
        assert_eq!(rows[1].mean_distance, 9.0);
        // The 10 possible pairs have distances {0,1,1,3,4,4,5,8,9,9}: 1 is beaten by at most
        // 3 of 10 (<= 1), 9 by all. With 200 uniform draws the shares are near 30% and 100%.
        assert!(rows[0].percentile > 15.0 && rows[0].percentile < 45.0, "{rows:?}");
        assert_eq!(rows[1].percentile, 100.0);
        let frame = table(&groups, &rows, library).unwrap();
        timbral_core::Table::IntraArtist.spec().validate(&frame).unwrap();
    }

    #[test]
    fn tight_artists_score_low_percentiles_and_seed_is_reproducible() {
        let cat = random_catalogue(300, 30, 5, 11);
        let groups = ArtistGroups::of(&cat);
        let library = library_mean_pairwise(&cat.points, 0).unwrap().mean;
        let rows = cohesion(&cat.points, &groups, library, 100, 5);
        assert_eq!(rows.len(), 30);
        assert!(rows.iter().all(|r| r.percentile == 0.0 && r.ratio < 0.5), "{rows:?}");
        assert_eq!(rows, cohesion(&cat.points, &groups, library, 100, 5));
    }
}
