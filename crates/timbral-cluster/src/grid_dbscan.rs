//! DBSCAN (Ester et al. 1996, scikit-learn's definition: a core point has at least
//! `min_samples` points within `eps`, itself included) in O(n) memory, on a grid of cells of
//! side `eps / sqrt(d)` (Gunawan 2013). Points of one cell are all within `eps` of each other,
//! so core points of a cell join at once; two cells within reach join when any pair of their
//! core points is within `eps`; a border point takes the cluster of its lowest-index core
//! neighbour. petal-clustering keeps every point's `eps`-neighbourhood in memory, which on a
//! million-song UMAP map (dense clumps of 10^4 songs within `eps`) is tens of GB.

use std::collections::HashMap;

use ndarray::ArrayView2;
use rayon::prelude::*;

/// A point's grid cell.
type Cell = Vec<i64>;

/// Labels: clusters numbered by their first member in input order, noise -1.
pub fn dbscan(data: ArrayView2<f64>, eps: f64, min_samples: usize) -> Vec<i32> {
    let n = data.nrows();
    if n == 0 {
        return Vec::new();
    }
    let grid = Grid::new(data, eps);
    let core: Vec<bool> = (0..n).into_par_iter().map(|i| grid.reaches_count(i, min_samples)).collect();

    let mut roots = UnionFind::new(n);
    for members in grid.cells.values() {
        let mut cores = members.iter().copied().filter(|&i| core[i]);
        if let Some(first) = cores.next() {
            cores.for_each(|i| roots.union(first, i));
        }
    }
    // Each pair of cells once: from the cell with the smaller key.
    let mut keys: Vec<&Cell> = grid.cells.keys().collect();
    keys.sort();
    for key in keys {
        let here: Vec<usize> = grid.cells[key].iter().copied().filter(|&i| core[i]).collect();
        let Some(&representative) = here.first() else { continue };
        for offset in &grid.reach {
            let other = shifted(key, offset);
            if other <= *key {
                continue;
            }
            let Some(there) = grid.cells.get(&other) else { continue };
            let linked = here
                .iter()
                .any(|&a| there.iter().any(|&b| core[b] && grid.within(a, b)));
            if linked {
                let partner = there.iter().copied().find(|&b| core[b]).expect("a linked cell has a core point");
                roots.union(representative, partner);
            }
        }
    }

    let mut labels = vec![-1i32; n];
    let mut cluster_of_root: HashMap<usize, i32> = HashMap::new();
    let owner: Vec<Option<usize>> = (0..n)
        .into_par_iter()
        .map(|i| if core[i] { Some(i) } else { grid.lowest_core_neighbour(i, &core) })
        .collect();
    for i in 0..n {
        if let Some(c) = owner[i] {
            let root = roots.find(c);
            let next = cluster_of_root.len() as i32;
            labels[i] = *cluster_of_root.entry(root).or_insert(next);
        }
    }
    labels
}

/// The cell `offset` away from `cell`.
fn shifted(cell: &Cell, offset: &Cell) -> Cell {
    cell.iter().zip(offset).map(|(k, o)| k + o).collect()
}

struct Grid<'a> {
    data: ArrayView2<'a, f64>,
    eps_squared: f64,
    side: f64,
    /// Members of each non-empty cell, in input order.
    cells: HashMap<Cell, Vec<usize>>,
    /// Offsets of the cells that can hold a point within `eps` of a point of cell 0.
    reach: Vec<Cell>,
}

impl<'a> Grid<'a> {
    fn new(data: ArrayView2<'a, f64>, eps: f64) -> Grid<'a> {
        let d = data.ncols().max(1);
        let side = eps / (d as f64).sqrt();
        let mut grid = Grid { data, eps_squared: eps * eps, side, cells: HashMap::new(), reach: reach(d) };
        for i in 0..data.nrows() {
            let cell = grid.cell_of(i);
            grid.cells.entry(cell).or_default().push(i);
        }
        grid
    }

    fn cell_of(&self, i: usize) -> Cell {
        self.data.row(i).iter().map(|&x| (x / self.side).floor() as i64).collect()
    }

    fn within(&self, a: usize, b: usize) -> bool {
        let distance: f64 = self.data.row(a).iter().zip(self.data.row(b)).map(|(x, y)| (x - y) * (x - y)).sum();
        distance <= self.eps_squared
    }

    /// The points of the cells within reach of `cell`, cell by cell.
    fn candidates<'c>(&'c self, cell: &'c Cell) -> impl Iterator<Item = usize> + 'c {
        self.reach.iter().flat_map(move |offset| self.cells.get(&shifted(cell, offset)).into_iter().flatten().copied())
    }

    /// Whether at least `count` points (`i` included) are within `eps` of `i`.
    fn reaches_count(&self, i: usize, count: usize) -> bool {
        let cell = self.cell_of(i);
        if self.cells[&cell].len() >= count {
            return true;
        }
        self.candidates(&cell).filter(|&j| self.within(i, j)).take(count).count() >= count
    }

    fn lowest_core_neighbour(&self, i: usize, core: &[bool]) -> Option<usize> {
        let cell = self.cell_of(i);
        self.candidates(&cell).filter(|&j| core[j] && self.within(i, j)).min()
    }
}

/// Offsets of the cells that can hold a point within `eps` of a point of cell 0 (cells of
/// side `eps / sqrt(d)`): at most `ceil(sqrt(d))` cells away on each axis.
fn reach(d: usize) -> Vec<Cell> {
    let r = (d as f64).sqrt().ceil() as i64;
    let mut offsets: Vec<Cell> = vec![Vec::new()];
    for _ in 0..d {
        offsets = offsets
            .into_iter()
            .flat_map(|o| (-r..=r).map(move |step| o.iter().copied().chain([step]).collect()))
            .collect();
    }
    offsets
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind { parent: (0..n).collect() }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Blobs of different density plus uniform noise, on the 2-D map's scale.
    fn blobs(n: usize, seed: u64) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centres = [(0.0, 0.0, 0.3), (4.0, 1.0, 0.6), (-3.0, 3.0, 0.15), (1.0, -4.0, 1.0)];
        let mut flat = Vec::with_capacity(2 * n);
        for _ in 0..n {
            if rng.random::<f64>() < 0.1 {
                flat.extend([rng.random_range(-8.0..8.0), rng.random_range(-8.0..8.0)]);
            } else {
                let (cx, cy, spread) = centres[rng.random_range(0..centres.len())];
                flat.extend([cx + spread * (rng.random::<f64>() - 0.5) * 3.0, cy + spread * (rng.random::<f64>() - 0.5) * 3.0]);
            }
        }
        Array2::from_shape_vec((n, 2), flat).unwrap()
    }

    /// Textbook DBSCAN by brute force: all pairwise distances, core points joined when within
    /// `eps`, a border point in the cluster of its lowest-index core neighbour.
    fn brute_force(data: &Array2<f64>, eps: f64, min_samples: usize) -> Vec<i32> {
        let n = data.nrows();
        let near = |a: usize, b: usize| {
            data.row(a).iter().zip(data.row(b)).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() <= eps * eps
        };
        let core: Vec<bool> = (0..n).map(|i| (0..n).filter(|&j| near(i, j)).count() >= min_samples).collect();
        let mut component = vec![usize::MAX; n];
        for start in (0..n).filter(|&i| core[i]) {
            if component[start] != usize::MAX {
                continue;
            }
            let mut stack = vec![start];
            component[start] = start;
            while let Some(i) = stack.pop() {
                let joined: Vec<usize> = (0..n).filter(|&j| core[j] && component[j] == usize::MAX && near(i, j)).collect();
                for j in joined {
                    component[j] = start;
                    stack.push(j);
                }
            }
        }
        let owner: Vec<Option<usize>> =
            (0..n).map(|i| if core[i] { Some(i) } else { (0..n).find(|&j| core[j] && near(i, j)) }).collect();
        let mut ids: HashMap<usize, i32> = HashMap::new();
        owner
            .iter()
            .map(|o| o.map_or(-1, |c| {
                let next = ids.len() as i32;
                *ids.entry(component[c]).or_insert(next)
            }))
            .collect()
    }

    #[test]
    fn the_grid_gives_the_brute_force_labels() {
        for (seed, eps, min_samples) in [(1, 0.2, 5), (2, 0.35, 10), (3, 0.1, 4), (4, 0.05, 3)] {
            let data = blobs(2_000, seed);
            assert_eq!(dbscan(data.view(), eps, min_samples), brute_force(&data, eps, min_samples), "seed {seed}");
        }
    }

    #[test]
    fn labels_are_numbered_by_first_member_and_isolated_points_are_noise() {
        let data = ndarray::array![[10.0, 10.0], [0.0, 0.0], [0.05, 0.0], [0.0, 0.05], [5.0, 5.0], [5.05, 5.0], [5.0, 5.05]];
        assert_eq!(dbscan(data.view(), 0.1, 3), vec![-1, 0, 0, 0, 1, 1, 1]);
        assert!(dbscan(ndarray::Array2::<f64>::zeros((0, 2)).view(), 0.1, 3).is_empty());
    }
}
