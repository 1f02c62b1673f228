//! Inter-artist similarity: the study's mean euclidean distance over all song pairs of two
//! artists, and every artist's nearest and farthest artists.
//!
//! Visiting all song pairs of all artist pairs costs as much as all song pairs of the library,
//! so candidates are pruned with exact bounds from each artist's moments (see
//! [`Moments::distance_bounds`]): `|mu_a - mu_b| <= D(a, b) <= sqrt(|mu_a - mu_b|^2 + tr S_a +
//! tr S_b)`. If the N-th smallest upper bound is `tau`, no artist whose lower bound exceeds
//! `tau` can be among the N nearest (N artists are already within `tau`); symmetrically for
//! the farthest. The distance is then computed exactly over all song pairs for the candidates
//! only.
//!
//! Up to [`EXACT_ARTISTS_MAX`] artists (or with `--knn exact`) the bounds are taken against
//! every other artist, so the result equals brute force. Above, that is `A^2` bounds (10^10 at
//! 100k artists), so each artist's candidates are shortlisted first ([`Shortlists`]): its
//! [`NEAREST_POOL_FACTOR`] x N nearest centroids for the nearest, and its
//! [`FARTHEST_POOL_FACTOR`] x N artists of largest upper bound for the farthest (a
//! farthest-centroid search turned into an exact nearest-neighbour search, see
//! [`ArtistSpace::farthest_search_space`]); the centroid graph by `--knn` (k-d tree up to
//! 20,000 artists, NN-descent above). The bounds and the exact distances then run on the
//! shortlist only.

use std::cmp::Ordering;

use ndarray::Array2;
use polars::prelude::*;
use rayon::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::Result;

use timbral_core::neighbors::{all_nearest, nearest_filtered, nearest_to, KnnMethod};
use timbral_core::cols;

use crate::distance::{mean_between, Moments};
use crate::groups::ArtistGroups;

/// Artists up to which every artist's candidates are all other artists (exact; 25 million
/// bounds, a fraction of a second).
pub const EXACT_ARTISTS_MAX: usize = 5_000;

/// Above [`EXACT_ARTISTS_MAX`], an artist's nearest candidates are its this many x N nearest
/// centroids.
pub const NEAREST_POOL_FACTOR: usize = 5;

/// Above [`EXACT_ARTISTS_MAX`], an artist's farthest candidates are the this many x N artists
/// of largest upper bound (a farthest-centroid search, see
/// [`ArtistSpace::farthest_search_space`]).
pub const FARTHEST_POOL_FACTOR: usize = 5;


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

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Whether [`ArtistSpace::all_neighbours`] shortlists candidates (not equal to brute force
    /// by construction) rather than bounding against every artist.
    pub fn shortlists(&self, knn: KnnMethod) -> bool {
        match knn {
            KnnMethod::Exact => false,
            KnnMethod::Approx => true,
            KnnMethod::Auto => self.len() > EXACT_ARTISTS_MAX,
        }
    }

    /// The `n` nearest and `n` farthest artists of artist `a` (fewer when there are fewer
    /// other artists), ties broken by artist id, with every other artist a candidate: equal to
    /// brute force.
    pub fn neighbours(&self, a: usize, n: usize) -> ArtistNeighbours {
        let others: Vec<usize> = (0..self.len()).filter(|&b| b != a).collect();
        self.neighbours_among(a, n, &others, &others)
    }

    /// [`ArtistSpace::neighbours`] of one artist as [`ArtistSpace::all_neighbours`] computes it:
    /// from shortlists above the exact size (its nearest centroids by exact scan), without
    /// visiting the other artists' neighbours.
    pub fn neighbours_of(&self, a: usize, n: usize, knn: KnnMethod) -> ArtistNeighbours {
        if !self.shortlists(knn) {
            return self.neighbours(a, n);
        }
        let centroids = self.centroids();
        let indices = |found: Vec<timbral_core::neighbors::Neighbour>| found.into_iter().map(|x| x.index).collect::<Vec<_>>();
        let near = indices(nearest_filtered(centroids.view(), &self.moments[a].mean, NEAREST_POOL_FACTOR * n, |b| b != a));
        let (x, y) = self.farthest_search_space();
        let query = y.row(a).to_vec();
        let far = indices(nearest_filtered(x.view(), &query, FARTHEST_POOL_FACTOR * n, |b| b != a));
        self.neighbours_among(a, n, &near, &far)
    }

    /// The nearest among `near` and the farthest among `far` (candidates other than `a`).
    fn neighbours_among(&self, a: usize, n: usize, near: &[usize], far: &[usize]) -> ArtistNeighbours {
        let n = n.min(self.len() - 1);
        if n == 0 {
            return ArtistNeighbours {
                nearest: Vec::new(),
                farthest: Vec::new(),
                exact_pairs: 0,
            };
        }
        let bounds = |candidates: &[usize]| -> Vec<(usize, f64, f64)> {
            candidates
                .iter()
                .map(|&b| {
                    let (low, high) = self.moments[a].distance_bounds(&self.moments[b]);
                    (b, low, high)
                })
                .collect()
        };
        let (near, far) = (bounds(near), bounds(far));
        let mut exact: std::collections::HashMap<usize, ArtistNeighbour> = std::collections::HashMap::new();
        let mut pick = |candidates: &[(usize, f64, f64)], keep: &dyn Fn(f64, f64) -> bool| -> Vec<ArtistNeighbour> {
            candidates
                .iter()
                .filter(|&&(_, low, high)| keep(low, high))
                .map(|&(b, _, _)| exact.entry(b).or_insert_with(|| self.exact(a, b)).clone())
                .collect()
        };
        let mut nearest = match near.len() {
            0 => Vec::new(),
            len => {
                let tau = nth(near.iter().map(|b| b.2), n.min(len) - 1, false) * (1.0 + BOUND_SLACK);
                pick(&near, &|low, _| low <= tau)
            }
        };
        let mut farthest = match far.len() {
            0 => Vec::new(),
            len => {
                let kappa = nth(far.iter().map(|b| b.1), n.min(len) - 1, true) * (1.0 - BOUND_SLACK);
                pick(&far, &|_, high| high >= kappa)
            }
        };
        let exact_pairs = exact.len();
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

    /// The neighbours of every artist, in artist order: [`ArtistSpace::neighbours`] each while
    /// not [`ArtistSpace::shortlists`], else from shortlists, the nearest centroids searched by
    /// `knn` (seeded by `seed`).
    pub fn all_neighbours(&self, n: usize, knn: KnnMethod, seed: u64) -> Result<Vec<ArtistNeighbours>> {
        let shortlists = if self.shortlists(knn) { Some(self.shortlists_for(n, knn, seed)?) } else { None };
        let bar = timbral_core::progress::bar(self.len() as u64, "artists");
        let all = (0..self.len())
            .into_par_iter()
            .map(|a| {
                let result = match &shortlists {
                    Some(lists) => self.neighbours_among(a, n, &lists.nearest[a], &lists.farthest[a]),
                    None => self.neighbours(a, n),
                };
                bar.inc(1);
                result
            })
            .collect();
        bar.finish_and_clear();
        Ok(all)
    }

    fn shortlists_for(&self, n: usize, knn: KnnMethod, seed: u64) -> Result<Shortlists> {
        let centroids = self.centroids();
        let (_, nearest) = all_nearest(centroids.view(), NEAREST_POOL_FACTOR * n, knn, seed)?;
        let (x, y) = self.farthest_search_space();
        // Exact (k-d tree): NN-descent's query path gave different pools from run to run.
        // One more than the pool, as the artist itself may be found, and is dropped.
        let (_, farthest) = nearest_to(x.view(), y.view(), FARTHEST_POOL_FACTOR * n + 1, KnnMethod::Exact, seed)?;
        let indices = |rows: Vec<Vec<timbral_core::neighbors::Neighbour>>| -> Vec<Vec<usize>> {
            rows.into_iter().map(|row| row.into_iter().map(|x| x.index).collect()).collect()
        };
        let mut farthest = indices(farthest);
        for (a, row) in farthest.iter_mut().enumerate() {
            row.retain(|&b| b != a);
            row.truncate(FARTHEST_POOL_FACTOR * n);
        }
        Ok(Shortlists {
            nearest: indices(nearest),
            farthest,
        })
    }

    /// One row per artist: its mean.
    fn centroids(&self) -> Array2<f64> {
        let d = self.points.ncols();
        Array2::from_shape_fn((self.len(), d), |(a, j)| self.moments[a].mean[j])
    }

    /// Farthest-centroid search as nearest-neighbour search. With `q_b = mu_b - g` (`g` the
    /// mean of the centroids), the squared upper bound minus `tr S_a` is `|mu_a - mu_b|^2 +
    /// tr S_b = |p_a|^2 + w_b . z_a` for `w_b = (q_b, |q_b|^2 + tr S_b)` and `z_a = (-2 p_a, 1)`
    /// (`p_a = q_a`): a maximum inner product. Padding every `w_b` to the same norm `M`,
    /// `x_b = (w_b, sqrt(M^2 - |w_b|^2))`, and `y_a = (z_a, 0)` gives `|x_b - y_a|^2 = M^2 +
    /// |z_a|^2 - 2 w_b . z_a`: the nearest `x_b` of `y_a` are the artists of largest upper bound.
    /// Returns (`x`, one row per artist; `y`, one row per artist).
    fn farthest_search_space(&self) -> (Array2<f64>, Array2<f64>) {
        let centroids = self.centroids();
        let (a, d) = centroids.dim();
        let centre: Vec<f64> = (0..d).map(|j| centroids.column(j).sum() / a.max(1) as f64).collect();
        let mut x = Array2::zeros((a, d + 2));
        let mut y = Array2::zeros((a, d + 2));
        for b in 0..a {
            let q: Vec<f64> = self.moments[b].mean.iter().zip(&centre).map(|(m, c)| m - c).collect();
            let q2: f64 = q.iter().map(|v| v * v).sum();
            for j in 0..d {
                x[[b, j]] = q[j];
                y[[b, j]] = -2.0 * q[j];
            }
            x[[b, d]] = q2 + self.moments[b].trace;
            y[[b, d]] = 1.0;
        }
        let norms: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&r)).collect();
        let most = norms.iter().copied().fold(0.0, f64::max);
        for (b, norm) in norms.into_iter().enumerate() {
            x[[b, d + 1]] = (most - norm).max(0.0).sqrt();
        }
        (x, y)
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

/// Candidates per artist above [`EXACT_ARTISTS_MAX`]: its nearest centroids and its largest
/// upper bounds (see [`ArtistSpace::farthest_search_space`]).
struct Shortlists {
    nearest: Vec<Vec<usize>>,
    farthest: Vec<Vec<usize>>,
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
        cols::artist_similarity::ARTIST_ID => artist_id,
        cols::artist_similarity::ARTIST_NAME => artist_name,
        cols::artist_similarity::OTHER_ARTIST_ID => other_id,
        cols::artist_similarity::OTHER_ARTIST_NAME => other_name,
        cols::artist_similarity::RELATION => relation,
        cols::artist_similarity::RANK => rank,
        cols::artist_similarity::DISTANCE => distance,
        cols::artist_similarity::PAIRS => pairs,
        cols::artist_similarity::SPACE => vec![space; rows],
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
    fn shortlists_agree_with_brute_force_and_one_artist_with_all() {
        for (dims, seed) in [(3, 4), (10, 5)] {
            let cat = random_catalogue(3000, 1000, dims, seed);
            let groups = ArtistGroups::of(&cat);
            let space = ArtistSpace::new(&cat.points, &groups);
            assert!(space.shortlists(KnnMethod::Approx) && !space.shortlists(KnnMethod::Auto));
            let all = space.all_neighbours(5, KnnMethod::Approx, 1).unwrap();
            let (mut near, mut far) = (0, 0);
            for (a, result) in all.iter().enumerate() {
                let (nearest, farthest) = brute_force(&space, a, 5);
                near += usize::from(result.nearest.iter().map(|x| x.other).collect::<Vec<_>>() == nearest);
                far += usize::from(result.farthest.iter().map(|x| x.other).collect::<Vec<_>>() == farthest);
                assert!(result.exact_pairs < 200, "shortlist of {} artists", result.exact_pairs);
            }
            // Measured: all nearest and farthest lists equal brute force here.
            assert!(near == all.len(), "nearest agree {near} of {} in {dims}-D", all.len());
            assert!(far == all.len(), "farthest agree {far} of {} in {dims}-D", all.len());
            // One artist alone (its shortlist by exact centroid scan) as in the whole table.
            assert_eq!(space.neighbours_of(7, 5, KnnMethod::Approx), all[7]);
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
