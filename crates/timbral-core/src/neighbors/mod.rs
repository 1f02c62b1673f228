//! k-nearest-neighbour search between songs: the one implementation that clustering,
//! placement and similarity share.
//!
//! Exact search ([`exact`]) is a k-d tree up to [`KD_TREE_MAX_DIMS`] dimensions (the n-D
//! UMAP) and a blocked matrix-product scan above (the 90 standardised features). Both cost
//! `n^2` distance evaluations for a whole graph, hours at a million songs, so above
//! [`AUTO_EXACT_MAX_PAIRS`] query-reference pairs [`KnnMethod::Auto`] switches to NN-descent
//! ([`approx`]). Every path returns exact distances, nearest first, ties broken by row index,
//! and the same rows for the same input and seed whatever the thread count.

mod approx;
pub mod exact;

use ndarray::ArrayView2;
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;

pub use exact::{KD_TREE_MAX_DIMS, distance_rows, nearest_in_row};

use crate::{Error, Result};

/// [`KnnMethod::Auto`] searches exactly while queries x reference rows stay at or below this:
/// the whole graph of 20,000 songs, a few seconds here.
pub const AUTO_EXACT_MAX_PAIRS: usize = 20_000 * 20_000;

/// Euclidean distance of two equally long vectors (slices or matrix rows).
#[inline]
pub fn euclidean<'a>(a: impl IntoIterator<Item = &'a f64>, b: impl IntoIterator<Item = &'a f64>) -> f64 {
    squared_euclidean(a, b).sqrt()
}

#[inline]
pub fn squared_euclidean<'a>(a: impl IntoIterator<Item = &'a f64>, b: impl IntoIterator<Item = &'a f64>) -> f64 {
    a.into_iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Which search `--knn` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KnnMethod {
    /// Exact up to [`AUTO_EXACT_MAX_PAIRS`], approximate above.
    #[default]
    Auto,
    Exact,
    Approx,
}

impl KnnMethod {
    pub const NAMES: [&'static str; 3] = ["auto", "exact", "approx"];

    pub fn name(self) -> &'static str {
        match self {
            KnnMethod::Auto => "auto",
            KnnMethod::Exact => "exact",
            KnnMethod::Approx => "approx",
        }
    }

    /// Whether a search of `queries` rows against `reference` rows is approximate.
    pub fn is_approximate(self, queries: usize, reference: usize) -> bool {
        match self {
            KnnMethod::Exact => false,
            KnnMethod::Approx => true,
            KnnMethod::Auto => queries.saturating_mul(reference) > AUTO_EXACT_MAX_PAIRS,
        }
    }
}

impl std::str::FromStr for KnnMethod {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(KnnMethod::Auto),
            "exact" => Ok(KnnMethod::Exact),
            "approx" => Ok(KnnMethod::Approx),
            other => Err(Error::InvalidParameter {
                name: "knn",
                why: format!("`{other}` is not one of auto, exact, approx"),
            }),
        }
    }
}

/// How neighbours were found, for summaries and the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    KdTree,
    BruteForce,
    NnDescent,
}

impl Method {
    fn exact_for(dims: usize) -> Method {
        if (1..=KD_TREE_MAX_DIMS).contains(&dims) { Method::KdTree } else { Method::BruteForce }
    }

    fn chosen(knn: KnnMethod, queries: usize, reference: usize, dims: usize) -> Method {
        if knn.is_approximate(queries, reference) { Method::NnDescent } else { Method::exact_for(dims) }
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::KdTree => "kiddo k-d tree (exact)",
            Method::BruteForce => "parallel scan (exact)",
            Method::NnDescent => "NN-descent (approximate)",
        }
    }
}

/// A neighbouring song (row index) and its euclidean distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour {
    pub index: usize,
    pub distance: f64,
}

/// The `k` nearest other rows of every row (fewer when there are fewer rows), nearest first.
/// The row itself is excluded.
pub fn all_nearest(points: ArrayView2<f64>, k: usize, knn: KnnMethod, seed: u64) -> Result<(Method, Vec<Vec<Neighbour>>)> {
    let n = points.nrows();
    let method = Method::chosen(knn, n, n, points.ncols());
    let k = k.min(n.saturating_sub(1));
    if k == 0 {
        return Ok((method, vec![Vec::new(); n]));
    }
    let points = points.as_standard_layout();
    let rows = match method {
        Method::NnDescent => approx::self_graph(points.view(), k, seed)?,
        _ => exact::nearest(points.view(), points.view(), k, true),
    };
    Ok((method, rows))
}

/// The `k` nearest `reference` rows of every `queries` row (queries are not reference rows).
pub fn nearest_to(
    reference: ArrayView2<f64>,
    queries: ArrayView2<f64>,
    k: usize,
    knn: KnnMethod,
    seed: u64,
) -> Result<(Method, Vec<Vec<Neighbour>>)> {
    let method = Method::chosen(knn, queries.nrows(), reference.nrows(), reference.ncols());
    let k = k.min(reference.nrows());
    if k == 0 || queries.nrows() == 0 {
        return Ok((method, vec![Vec::new(); queries.nrows()]));
    }
    let (reference, queries) = (reference.as_standard_layout(), queries.as_standard_layout());
    let rows = match method {
        Method::NnDescent => approx::query_graph(reference.view(), queries.view(), k, seed)?,
        _ => exact::nearest(queries.view(), reference.view(), k, false),
    };
    Ok((method, rows))
}

/// The `k` nearest rows to `query` among those accepted by `keep`, by exact scan.
pub fn nearest_filtered(
    points: ArrayView2<f64>,
    query: &[f64],
    k: usize,
    keep: impl Fn(usize) -> bool,
) -> Vec<Neighbour> {
    let mut candidates: Vec<Neighbour> = (0..points.nrows())
        .filter(|&j| keep(j))
        .map(|j| Neighbour {
            index: j,
            distance: euclidean(points.row(j), query),
        })
        .collect();
    if candidates.len() > k && k > 0 {
        candidates.select_nth_unstable_by(k - 1, nearest_first);
    }
    candidates.truncate(k);
    candidates.sort_by(nearest_first);
    candidates
}

/// The `k` nearest `members` (row indices, ascending) of each of `queries` (rows of `points`,
/// not members), found by walking kNN graphs instead of a new search: the members among the
/// query's neighbours in `graph` (every row's neighbours) and their neighbours start a greedy
/// search of `member_graph` (positions in `members`), which expands each of the best `k` found
/// once until none is left unexpanded, as NN-descent's queries do. Candidates are scored by
/// their exact distance, ties by position. Returned indices are positions in `members`. A
/// query whose walk reaches fewer than `k` members is scanned exactly. Each query is
/// independent of the others and of the thread count.
pub fn nearest_members(
    points: ArrayView2<f64>,
    graph: &[Vec<usize>],
    members: &[usize],
    member_graph: &[Vec<usize>],
    queries: &[usize],
    k: usize,
) -> Vec<Vec<Neighbour>> {
    use rayon::prelude::*;
    use std::collections::HashSet;
    let mut position = vec![usize::MAX; points.nrows()];
    members.iter().enumerate().for_each(|(p, &row)| position[row] = p);
    let k = k.min(members.len());
    let points = points.as_standard_layout();
    let distance_to = |query: usize, p: usize| Neighbour { index: p, distance: euclidean(points.row(members[p]), points.row(query)) };
    queries
        .par_iter()
        .map(|&query| {
            let mut seen = HashSet::new();
            let mut best: Vec<Neighbour> = Vec::with_capacity(k + 1);
            let mut consider = |p: usize, best: &mut Vec<Neighbour>| {
                if !seen.insert(p) {
                    return;
                }
                let candidate = distance_to(query, p);
                if best.len() == k && nearest_first(&candidate, &best[k - 1]).is_ge() {
                    return;
                }
                let at = best.partition_point(|b| nearest_first(b, &candidate).is_lt());
                best.insert(at, candidate);
                best.truncate(k);
            };
            for j in graph[query].iter().flat_map(|&j| std::iter::once(j).chain(graph[j].iter().copied())) {
                if position[j] != usize::MAX {
                    consider(position[j], &mut best);
                }
            }
            let mut expanded = HashSet::new();
            while let Some(p) = best.iter().map(|n| n.index).find(|p| !expanded.contains(p)) {
                expanded.insert(p);
                for &q in &member_graph[p] {
                    consider(q, &mut best);
                }
            }
            if best.len() < k {
                (0..members.len()).for_each(|p| consider(p, &mut best));
            }
            best
        })
        .collect()
}

/// Recall@k of `found` (every row's neighbours) against the exact neighbours of a seeded
/// sample of at most `queries` rows: the mean share of each sampled row's exact `k` nearest
/// that `found` holds.
pub fn sampled_recall(points: ArrayView2<f64>, found: &[Vec<Neighbour>], k: usize, queries: usize, seed: u64) -> f64 {
    let n = points.nrows();
    let k = k.min(n.saturating_sub(1));
    if k == 0 {
        return 1.0;
    }
    let rows = seeded_sample(n, queries, seed);
    let picked = points.select(ndarray::Axis(0), &rows);
    let exact = distance_rows(picked.view(), points, |q, row| nearest_in_row(row, k, Some(rows[q])));
    let hits: usize = rows
        .iter()
        .zip(&exact)
        .map(|(&i, truth)| truth.iter().filter(|t| found[i].iter().take(k).any(|f| f.index == t.index)).count())
        .sum();
    hits as f64 / (rows.len() * k) as f64
}

/// A seeded uniform sample of `size` of the indices `0..n` (all of them when `size >= n`),
/// in ascending order.
pub fn seeded_sample(n: usize, size: usize, seed: u64) -> Vec<usize> {
    if size >= n {
        return (0..n).collect();
    }
    let mut picked = sample(&mut ChaCha8Rng::seed_from_u64(seed), n, size).into_vec();
    picked.sort_unstable();
    picked
}

fn nearest_first(a: &Neighbour, b: &Neighbour) -> std::cmp::Ordering {
    a.distance.total_cmp(&b.distance).then(a.index.cmp(&b.index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};

    fn indices(rows: &[Vec<Neighbour>]) -> Vec<Vec<usize>> {
        rows.iter().map(|r| r.iter().map(|n| n.index).collect()).collect()
    }

    /// Clustered points in `dims` dimensions, like songs around artists.
    fn clustered(n: usize, dims: usize, seed: u64) -> Array2<f64> {
        use rand::Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centres = Array2::from_shape_fn((n / 20 + 1, dims), |_| rng.random_range(-10.0..10.0));
        Array2::from_shape_fn((n, dims), |(i, j)| centres[[i % centres.nrows(), j]] + rng.random_range(-1.5..1.5))
    }

    #[test]
    fn hand_checked_neighbours() {
        let points = array![[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [0.0, 5.0]];
        let (method, all) = all_nearest(points.view(), 2, KnnMethod::Auto, 0).unwrap();
        assert_eq!(method, Method::KdTree);
        let first: Vec<(usize, f64)> = all[0].iter().map(|n| (n.index, n.distance)).collect();
        assert_eq!(first, vec![(1, 1.0), (2, 3.0)]);
        assert_eq!(indices(&all)[3], vec![0, 1]);
        let other = nearest_filtered(points.view(), &[0.9, 0.0], 2, |j| j != 1);
        assert_eq!(other.iter().map(|n| n.index).collect::<Vec<_>>(), vec![0, 2]);
        let (_, to) = nearest_to(points.view(), array![[2.9, 0.1]].view(), 2, KnnMethod::Exact, 0).unwrap();
        assert_eq!(indices(&to), vec![vec![2, 1]]);
    }

    #[test]
    fn kd_tree_equals_exact_scan() {
        let points = clustered(500, 10, 1);
        let (method, tree) = all_nearest(points.view(), 7, KnnMethod::Exact, 0).unwrap();
        assert_eq!(method, Method::KdTree);
        let scan = distance_rows(points.view(), points.view(), |i, row| nearest_in_row(row, 7, Some(i)));
        assert_eq!(indices(&tree), indices(&scan));
        for (a, b) in tree.iter().flatten().zip(scan.iter().flatten()) {
            assert!((a.distance - b.distance).abs() < 1e-9, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn scan_breaks_ties_by_index_and_small_sets_shrink_k() {
        let line = array![[0.0], [1.0], [-1.0], [2.0]];
        assert_eq!(nearest_in_row(&[1.0, 0.0, 1.0, 1.0], 2, Some(1)).iter().map(|n| n.index).collect::<Vec<_>>(), vec![0, 2]);
        let rows = distance_rows(line.view(), line.view(), |i, row| nearest_in_row(row, 2, Some(i)));
        assert_eq!(indices(&rows)[0], vec![1, 2]);
        let points = Array2::from_shape_fn((3, 20), |(i, j)| (i * j) as f64);
        let (method, all) = all_nearest(points.view(), 10, KnnMethod::Auto, 0).unwrap();
        assert_eq!(method, Method::BruteForce);
        assert!(all.iter().all(|n| n.len() == 2));
    }

    #[test]
    fn auto_switches_at_the_documented_size() {
        assert!(!KnnMethod::Auto.is_approximate(20_000, 20_000));
        assert!(KnnMethod::Auto.is_approximate(20_001, 20_001));
        assert!(!KnnMethod::Auto.is_approximate(10, 1_000_000));
        assert!(KnnMethod::Approx.is_approximate(5, 5));
        assert_eq!("approx".parse::<KnnMethod>().unwrap(), KnnMethod::Approx);
        assert!(matches!("fast".parse::<KnnMethod>(), Err(Error::InvalidParameter { name: "knn", .. })));
    }

    #[test]
    fn approximate_graph_has_high_recall_and_exact_distances() {
        for dims in [10, 90] {
            let points = clustered(3000, dims, dims as u64);
            let (method, approx) = all_nearest(points.view(), 15, KnnMethod::Approx, 42).unwrap();
            assert_eq!(method, Method::NnDescent);
            let recall = sampled_recall(points.view(), &approx, 15, 300, 7);
            assert!(recall >= 0.95, "recall@15 {recall} in {dims}-D");
            for (i, row) in approx.iter().enumerate().take(50) {
                assert_eq!(row.len(), 15);
                assert!(row.windows(2).all(|w| w[0].distance <= w[1].distance));
                for n in row {
                    assert_ne!(n.index, i);
                    let d = euclidean(points.row(i), points.row(n.index));
                    assert!((d - n.distance).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn approximate_queries_find_the_exact_neighbours() {
        // New songs like the catalogue's: held-out rows of the same clustered set.
        let all = clustered(3200, 12, 3);
        let (reference, queries) = (all.slice(ndarray::s![..3000, ..]), all.slice(ndarray::s![3000.., ..]));
        let (method, approx) = nearest_to(reference, queries, 10, KnnMethod::Approx, 1).unwrap();
        assert_eq!(method, Method::NnDescent);
        let (_, exact) = nearest_to(reference, queries, 10, KnnMethod::Exact, 1).unwrap();
        let hits: usize = approx
            .iter()
            .zip(&exact)
            .map(|(a, e)| e.iter().filter(|x| a.iter().any(|y| y.index == x.index)).count())
            .sum();
        let recall = hits as f64 / (200 * 10) as f64;
        assert!(recall >= 0.95, "query recall@10 {recall}");
        let again = nearest_to(reference, queries, 10, KnnMethod::Approx, 1).unwrap().1;
        assert_eq!(approx, again, "same seed, same neighbours");
    }

    #[test]
    fn graph_walk_finds_the_nearest_members() {
        // A fifth of the rows are members (a fitted sample); every other row looks for its 15
        // nearest members through the graphs alone.
        for dims in [12, 90] {
            let points = clustered(5000, dims, 11);
            let (_, graph) = all_nearest(points.view(), 15, KnnMethod::Exact, 0).unwrap();
            let graph: Vec<Vec<usize>> = indices(&graph);
            let members = seeded_sample(5000, 1000, 3);
            let member_rows = points.select(ndarray::Axis(0), &members);
            let (_, member_graph) = all_nearest(member_rows.view(), 15, KnnMethod::Exact, 0).unwrap();
            let queries: Vec<usize> = (0..5000).filter(|i| members.binary_search(i).is_err()).collect();
            let found = nearest_members(points.view(), &graph, &members, &indices(&member_graph), &queries, 15);
            let query_rows = points.select(ndarray::Axis(0), &queries);
            let (_, exact) = nearest_to(member_rows.view(), query_rows.view(), 15, KnnMethod::Exact, 0).unwrap();
            let hits: usize = found
                .iter()
                .zip(&exact)
                .map(|(f, e)| e.iter().filter(|x| f.iter().any(|y| y.index == x.index)).count())
                .sum();
            let recall = hits as f64 / (queries.len() * 15) as f64;
            assert!(recall >= 0.95, "recall@15 {recall} in {dims}-D");
            for (f, &q) in found.iter().zip(&queries).take(50) {
                assert_eq!(f.len(), 15);
                assert!(f.iter().all(|n| (n.distance - euclidean(points.row(q), points.row(members[n.index]))).abs() < 1e-12));
            }
        }
        // A query whose neighbours are no members and have none is scanned exactly.
        let points = array![[0.0], [1.0], [2.0], [10.0], [11.0]];
        let graph = vec![vec![1], vec![0], vec![1], vec![4], vec![3]];
        let found = nearest_members(points.view(), &graph, &[3, 4], &[vec![1], vec![0]], &[0], 2);
        assert_eq!(found[0].iter().map(|n| (n.index, n.distance)).collect::<Vec<_>>(), vec![(0, 10.0), (1, 11.0)]);
    }

    #[test]
    fn approximate_graph_ignores_thread_count() {
        let points = clustered(4000, 90, 9);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| all_nearest(points.view(), 15, KnnMethod::Approx, 5).unwrap().1)
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one, two);
        let other_seed = all_nearest(points.view(), 15, KnnMethod::Approx, 6).unwrap().1;
        assert!(sampled_recall(points.view(), &other_seed, 15, 200, 1) >= 0.95);
    }
}
