//! Inter-artist similarity: the study's mean euclidean distance over all song pairs of two
//! artists, and every artist's nearest and farthest artists.
//!
//! Visiting all song pairs of all artist pairs costs as much as all song pairs of the library,
//! so candidates are pruned with exact bounds from each artist's moments (see
//! [`Moments::distance_bounds`]): `|mu_a - mu_b| <= D(a, b) <= sqrt(|mu_a - mu_b|^2 + tr S_a +
//! tr S_b)`. If the N-th smallest upper bound is `tau`, no artist whose lower bound exceeds
//! `tau` can be among the N nearest (N artists are already within `tau`); symmetrically for
//! the farthest. The distance is then computed exactly over all song pairs for the candidates
//! only, so the result equals brute force.

use std::cmp::Ordering;

use ndarray::Array2;
use polars::prelude::*;
use rayon::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::Result;

use crate::distance::{mean_between, Moments};
use crate::groups::ArtistGroups;

/// Relative slack on the pruning thresholds, so that rounding in the bounds never drops a
/// true neighbour.
const BOUND_SLACK: f64 = 1e-9;

/// Another artist at the exact mean song-pair distance.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtistNeighbour {
    /// Index into [`ArtistGroups`].
    pub other: usize,
    pub distance: f64,
    /// Song pairs averaged: songs of one artist times songs of the other.
    pub pairs: u64,
}

/// One artist's nearest (ascending distance) and farthest (descending) artists.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtistNeighbours {
    pub nearest: Vec<ArtistNeighbour>,
    pub farthest: Vec<ArtistNeighbour>,
    /// Artist pairs whose exact distance was computed (the rest were pruned by the bounds).
    pub exact_pairs: usize,
}

/// Artists with their moments in one space, ready for neighbour queries.
pub struct ArtistSpace<'a> {
    points: &'a Array2<f64>,
    groups: &'a ArtistGroups,
    moments: Vec<Moments>,
}

impl<'a> ArtistSpace<'a> {
    pub fn new(points: &'a Array2<f64>, groups: &'a ArtistGroups) -> ArtistSpace<'a> {
        let moments = groups
            .members
            .par_iter()
            .map(|members| Moments::of(points, members))
            .collect();
        ArtistSpace {
            points,
            groups,
            moments,
        }
    }

    /// The `n` nearest and `n` farthest artists of artist `a` (fewer when there are fewer
    /// other artists), ties broken by artist id.
    pub fn neighbours(&self, a: usize, n: usize) -> ArtistNeighbours {
        let others = self.groups.len() - 1;
        let n = n.min(others);
        let bounds: Vec<(usize, f64, f64)> = (0..self.groups.len())
            .filter(|&b| b != a)
            .map(|b| {
                let (low, high) = self.moments[a].distance_bounds(&self.moments[b]);
                (b, low, high)
            })
            .collect();
        if n == 0 {
            return ArtistNeighbours {
                nearest: Vec::new(),
                farthest: Vec::new(),
                exact_pairs: 0,
            };
        }
        let tau = nth(bounds.iter().map(|b| b.2), n - 1, false) * (1.0 + BOUND_SLACK);
        let kappa = nth(bounds.iter().map(|b| b.1), n - 1, true) * (1.0 - BOUND_SLACK);
        let mut exact: Vec<Option<ArtistNeighbour>> = vec![None; self.groups.len()];
        let mut nearest = Vec::new();
        let mut farthest = Vec::new();
        for &(b, low, high) in &bounds {
            let near = low <= tau;
            let far = high >= kappa;
            if !(near || far) {
                continue;
            }
            let neighbour = exact[b].get_or_insert_with(|| self.exact(a, b)).clone();
            if near {
                nearest.push(neighbour.clone());
            }
            if far {
                farthest.push(neighbour);
            }
        }
        let exact_pairs = exact.iter().filter(|e| e.is_some()).count();
        let ids = &self.groups.ids;
        nearest.sort_by(|x, y| by_distance(x, y, ids));
        farthest.sort_by(|x, y| farthest_first(x, y, ids));
        nearest.truncate(n);
        farthest.truncate(n);
        ArtistNeighbours {
            nearest,
            farthest,
            exact_pairs,
        }
    }

    /// [`ArtistSpace::neighbours`] of every artist, in artist order.
    pub fn all_neighbours(&self, n: usize) -> Vec<ArtistNeighbours> {
        let bar = timbral_core::progress::bar(self.groups.len() as u64, "artists");
        let all = (0..self.groups.len())
            .into_par_iter()
            .map(|a| {
                let result = self.neighbours(a, n);
                bar.inc(1);
                result
            })
            .collect();
        bar.finish_and_clear();
        all
    }

    fn exact(&self, a: usize, b: usize) -> ArtistNeighbour {
        let (ma, mb) = (&self.groups.members[a], &self.groups.members[b]);
        ArtistNeighbour {
            other: b,
            distance: mean_between(self.points, ma, mb),
            pairs: (ma.len() * mb.len()) as u64,
        }
    }
}

/// Ascending distance, then ascending artist id.
fn by_distance(x: &ArtistNeighbour, y: &ArtistNeighbour, ids: &[String]) -> Ordering {
    x.distance
        .total_cmp(&y.distance)
        .then_with(|| ids[x.other].cmp(&ids[y.other]))
}

/// Descending distance, then ascending artist id.
fn farthest_first(x: &ArtistNeighbour, y: &ArtistNeighbour, ids: &[String]) -> Ordering {
    y.distance
        .total_cmp(&x.distance)
        .then_with(|| ids[x.other].cmp(&ids[y.other]))
}

/// The `k`-th smallest (or largest) value, 0-based.
fn nth(values: impl Iterator<Item = f64>, k: usize, largest: bool) -> f64 {
    let mut values: Vec<f64> = values.collect();
    let (_, v, _) = if largest {
        values.select_nth_unstable_by(k, |x, y| y.total_cmp(x))
    } else {
        values.select_nth_unstable_by(k, |x, y| x.total_cmp(y))
    };
    *v
}

/// The `artist_similarity` table: one row per (artist, relation, rank).
pub fn table(groups: &ArtistGroups, all: &[ArtistNeighbours], space: &str) -> Result<DataFrame> {
    let mut artist_id = Vec::new();
    let mut artist_name = Vec::new();
    let mut other_id = Vec::new();
    let mut other_name = Vec::new();
    let mut relation = Vec::new();
    let mut rank = Vec::new();
    let mut distance = Vec::new();
    let mut pairs = Vec::new();
    for (a, neighbours) in all.iter().enumerate() {
        for (kind, list) in [("nearest", &neighbours.nearest), ("farthest", &neighbours.farthest)] {
            for (r, neighbour) in list.iter().enumerate() {
                artist_id.push(groups.ids[a].as_str());
                artist_name.push(groups.names[a].as_str());
                other_id.push(groups.ids[neighbour.other].as_str());
                other_name.push(groups.names[neighbour.other].as_str());
                relation.push(kind);
                rank.push(r as u32 + 1);
                distance.push(neighbour.distance);
                pairs.push(neighbour.pairs as i64);
            }
        }
    }
    let rows = artist_id.len();
    df!(
        "artist_id" => artist_id,
        "artist_name" => artist_name,
        "other_artist_id" => other_id,
        "other_artist_name" => other_name,
        "relation" => relation,
        "rank" => rank,
        "distance" => distance,
        "pairs" => pairs,
        "space" => vec![space; rows],
    )
    .ctx("building artist_similarity")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;
    use crate::test_data::random_catalogue;
    use ndarray::array;

    /// Every pair computed exactly, no pruning.
    fn brute_force(space: &ArtistSpace, a: usize, n: usize) -> (Vec<usize>, Vec<usize>) {
        let ids = &space.groups.ids;
        let mut all: Vec<ArtistNeighbour> = (0..space.groups.len())
            .filter(|&b| b != a)
            .map(|b| space.exact(a, b))
            .collect();
        all.sort_by(|x, y| by_distance(x, y, ids));
        let nearest = all.iter().take(n).map(|x| x.other).collect();
        all.sort_by(|x, y| farthest_first(x, y, ids));
        let farthest = all.iter().take(n).map(|x| x.other).collect();
        (nearest, farthest)
    }

    #[test]
    fn hand_checked_artist_distances() {
        // Artist A at x=0 and x=2, B at x=10, C at x=5 (1-D in a 2-D space).
        let cat = Catalogue::from_parts(
            vec!["t1".into(), "t2".into(), "t3".into(), "t4".into()],
            vec!["s".into(); 4],
            vec!["a".into(), "a".into(), "b".into(), "c".into()],
            vec!["A".into(), "A".into(), "B".into(), "C".into()],
            vec![vec![]; 4],
            array![[0.0, 0.0], [2.0, 0.0], [10.0, 0.0], [5.0, 0.0]],
            Array2::zeros((4, 2)),
            None,
        )
        .unwrap();
        let groups = ArtistGroups::of(&cat);
        let space = ArtistSpace::new(&cat.points, &groups);
        let result = space.neighbours(0, 1);
        // A-C: (5 + 3) / 2 = 4 over 2 pairs; A-B: (10 + 8) / 2 = 9.
        assert_eq!(
            result.nearest,
            vec![ArtistNeighbour { other: 2, distance: 4.0, pairs: 2 }]
        );
        assert_eq!(
            result.farthest,
            vec![ArtistNeighbour { other: 1, distance: 9.0, pairs: 2 }]
        );
        let frame = table(&groups, &[result], "umap").unwrap();
        assert_eq!(frame.height(), 2);
        timbral_core::Table::ArtistSimilarity.spec().validate(&frame).unwrap();
    }

    #[test]
    fn pruned_search_equals_brute_force() {
        for (dims, seed) in [(2, 1), (10, 2), (90, 3)] {
            let cat = random_catalogue(400, 120, dims, seed);
            let groups = ArtistGroups::of(&cat);
            let space = ArtistSpace::new(&cat.points, &groups);
            let mut pruned = 0;
            for a in 0..groups.len() {
                let result = space.neighbours(a, 5);
                let (nearest, farthest) = brute_force(&space, a, 5);
                let got: Vec<usize> = result.nearest.iter().map(|x| x.other).collect();
                assert_eq!(got, nearest, "nearest of artist {a} in {dims}-D");
                let got: Vec<usize> = result.farthest.iter().map(|x| x.other).collect();
                assert_eq!(got, farthest, "farthest of artist {a} in {dims}-D");
                pruned += groups.len() - 1 - result.exact_pairs;
            }
            assert!(pruned > 0, "the bounds pruned nothing in {dims}-D");
        }
    }

    #[test]
    fn fewer_artists_than_requested() {
        let cat = random_catalogue(10, 3, 2, 7);
        let groups = ArtistGroups::of(&cat);
        let space = ArtistSpace::new(&cat.points, &groups);
        let result = space.neighbours(0, 10);
        assert_eq!(result.nearest.len(), 2);
        assert_eq!(result.farthest.len(), 2);
    }
}
