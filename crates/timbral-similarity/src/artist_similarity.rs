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
//! [`NEAREST_POOL_FACTOR`] x N nearest centroids (k-d tree or NN-descent over the centroids,
//! by `--knn`) for the nearest, and a pool of extreme artists shared by all for the farthest
//! (the [`FARTHEST_POOL_FACTOR`] x N artists farthest from the mean of the centroids, and as
//! many at each end of each of the first [`PRINCIPAL_AXES`] principal axes of the centroids):
//! the artist farthest from any point is an extreme one. The bounds and the exact distances
//! then run on the shortlist only.

use std::cmp::Ordering;

use ndarray::Array2;
use polars::prelude::*;
use rayon::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::Result;

use timbral_core::neighbors::{all_nearest, nearest_filtered, KnnMethod};

use crate::distance::{mean_between, squared_euclidean, Moments};
use crate::groups::ArtistGroups;

/// Artists up to which every artist's candidates are all other artists (exact; 25 million
/// bounds, a fraction of a second).
pub const EXACT_ARTISTS_MAX: usize = 5_000;

/// Above [`EXACT_ARTISTS_MAX`], an artist's nearest candidates are its this many x N nearest
/// centroids.
pub const NEAREST_POOL_FACTOR: usize = 5;

/// Above [`EXACT_ARTISTS_MAX`], the farthest candidates hold this many x N extreme artists per
/// direction (from the mean, and each end of each principal axis).
pub const FARTHEST_POOL_FACTOR: usize = 4;

/// Principal axes of the centroids whose ends join the farthest candidates.
pub const PRINCIPAL_AXES: usize = 5;

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
        let pool = NEAREST_POOL_FACTOR * n;
        let near: Vec<usize> = nearest_filtered(centroids.view(), &self.moments[a].mean, pool, |b| b != a)
            .into_iter()
            .map(|x| x.index)
            .collect();
        let far: Vec<usize> = self.extreme_artists(n).into_iter().filter(|&b| b != a).collect();
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
                    Some(lists) => {
                        let far: Vec<usize> = lists.farthest.iter().copied().filter(|&b| b != a).collect();
                        self.neighbours_among(a, n, &lists.nearest[a], &far)
                    }
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
        Ok(Shortlists {
            nearest: nearest.into_iter().map(|row| row.into_iter().map(|x| x.index).collect()).collect(),
            farthest: self.extreme_artists(n),
        })
    }

    /// One row per artist: its mean.
    fn centroids(&self) -> Array2<f64> {
        let d = self.points.ncols();
        Array2::from_shape_fn((self.len(), d), |(a, j)| self.moments[a].mean[j])
    }

    /// The farthest-candidate pool, ascending: the [`FARTHEST_POOL_FACTOR`] x `n` artists with
    /// the largest `|mu_b - g|^2 + tr S_b` (mean squared distance of their songs to the mean of
    /// the centroids `g`), and as many with the largest and the smallest projection on each of
    /// the first [`PRINCIPAL_AXES`] principal axes of the centroids.
    fn extreme_artists(&self, n: usize) -> Vec<usize> {
        let centroids = self.centroids();
        let (a, d) = centroids.dim();
        let centre: Vec<f64> = (0..d).map(|j| centroids.column(j).sum() / a as f64).collect();
        let per_direction = (FARTHEST_POOL_FACTOR * n).min(a);
        let mut pool = Vec::new();
        let mut take_largest = |score: &dyn Fn(usize) -> f64| {
            let mut order: Vec<usize> = (0..a).collect();
            let by_score = |x: &usize, y: &usize| score(*y).total_cmp(&score(*x)).then(x.cmp(y));
            if per_direction < a {
                order.select_nth_unstable_by(per_direction, by_score);
            }
            pool.extend_from_slice(&order[..per_direction]);
        };
        take_largest(&|b| squared_euclidean(&self.moments[b].mean, &centre) + self.moments[b].trace);
        for axis in principal_axes(&centroids, &centre, PRINCIPAL_AXES) {
            let projection: Vec<f64> = (0..a)
                .map(|b| self.moments[b].mean.iter().zip(&centre).zip(&axis).map(|((m, c), u)| (m - c) * u).sum())
                .collect();
            take_largest(&|b| projection[b]);
            take_largest(&|b| -projection[b]);
        }
        pool.sort_unstable();
        pool.dedup();
        pool
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

/// Candidates per artist above [`EXACT_ARTISTS_MAX`]: nearest centroids (per artist) and the
/// extreme artists (shared).
struct Shortlists {
    nearest: Vec<Vec<usize>>,
    farthest: Vec<usize>,
}

/// The first `count` principal axes (unit vectors) of the rows of `points` about `centre`, by
/// power iteration with deflation on the covariance; fewer when the spread runs out.
fn principal_axes(points: &Array2<f64>, centre: &[f64], count: usize) -> Vec<Vec<f64>> {
    const ITERATIONS: usize = 100;
    let d = centre.len();
    let centred = points - &ndarray::ArrayView1::from(centre);
    let mut covariance = centred.t().dot(&centred) / points.nrows().max(1) as f64;
    let mut axes = Vec::new();
    for _ in 0..count.min(d) {
        // A start vector with no symmetry, so it is not orthogonal to the leading axis.
        let mut v = ndarray::Array1::from_shape_fn(d, |j| 1.0 / (j + 1) as f64);
        let mut eigenvalue = 0.0;
        for _ in 0..ITERATIONS {
            let next = covariance.dot(&v);
            eigenvalue = next.dot(&next).sqrt();
            if eigenvalue <= f64::EPSILON {
                return axes;
            }
            v = next / eigenvalue;
        }
        let outer = v.view().insert_axis(ndarray::Axis(1)).dot(&v.view().insert_axis(ndarray::Axis(0)));
        covariance = covariance - outer * eigenvalue;
        axes.push(v.to_vec());
    }
    axes
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
            // Measured: every nearest list, and 99%+ of farthest lists, equal brute force.
            assert!(near as f64 >= 0.99 * all.len() as f64, "nearest agree {near} of {} in {dims}-D", all.len());
            assert!(far as f64 >= 0.9 * all.len() as f64, "farthest agree {far} of {} in {dims}-D", all.len());
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
