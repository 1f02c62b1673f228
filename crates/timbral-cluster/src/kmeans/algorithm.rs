//! Lloyd's K-Means with greedy k-means++ seeding, as scikit-learn does it. Each iteration
//! assigns points to centres with one matrix product per block of rows (`|x|^2 + |c|^2 - 2x.c`),
//! in parallel; block results are combined in block order, so the result does not depend on
//! the number of threads. Above [`SEEDING_MAX_POINTS`] points the k-means++ seeding runs on a
//! seeded sample of that many (each candidate costs a pass over the points it draws from), and
//! Lloyd's iterations then run on every point.

use linfa::dataset::DatasetBase;
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, Array2, ArrayBase, ArrayView2, Axis, Data, Ix2, s};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::errors::KMeansError;
use super::hyperparams::KMeansValidParams;

/// Rows per block of the assignment step.
const BLOCK: usize = 1024;

/// Most points the k-means++ seeding draws from.
pub const SEEDING_MAX_POINTS: usize = 50_000;

/// A fitted K-Means model.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansModel {
    /// `k x d` cluster centres.
    pub centroids: Array2<f64>,
    /// Label of every training point, `0..k`.
    pub labels: Vec<usize>,
    /// Sum of squared distances of the training points to their centres.
    pub inertia: f64,
    /// Lloyd iterations of the winning run.
    pub iterations: usize,
}

impl<D: Data<Elem = f64>, T> Fit<ArrayBase<D, Ix2>, T, KMeansError> for KMeansValidParams {
    type Object = KMeansModel;

    fn fit(&self, dataset: &DatasetBase<ArrayBase<D, Ix2>, T>) -> Result<KMeansModel, KMeansError> {
        let data = dataset.records.view();
        let n = data.nrows();
        if n < self.k {
            return Err(KMeansError::TooFewPoints { k: self.k, points: n });
        }
        if let Some(row) = data.rows().into_iter().position(|r| r.iter().any(|v| !v.is_finite())) {
            return Err(KMeansError::NonFinite { row });
        }
        let norms: Vec<f64> = data.rows().into_iter().map(|r| r.dot(&r)).collect();
        let absolute_tolerance = self.tolerance * mean_variance(data);
        let mut seeds = ChaCha8Rng::seed_from_u64(self.seed);
        let mut best: Option<KMeansModel> = None;
        for _ in 0..self.runs {
            let mut rng = ChaCha8Rng::seed_from_u64(seeds.random());
            let initial = if n > SEEDING_MAX_POINTS {
                let rows = rand::seq::index::sample(&mut rng, n, SEEDING_MAX_POINTS).into_vec();
                let sample_norms: Vec<f64> = rows.iter().map(|&i| norms[i]).collect();
                kmeans_plus_plus(data.select(Axis(0), &rows).view(), &sample_norms, self.k, &mut rng)
            } else {
                kmeans_plus_plus(data, &norms, self.k, &mut rng)
            };
            let model = lloyd(data, &norms, initial, self.max_iterations, absolute_tolerance);
            if best.as_ref().is_none_or(|b| model.inertia < b.inertia) {
                best = Some(model);
            }
        }
        Ok(best.expect("runs >= 1 is checked"))
    }
}

impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Array1<usize>> for KMeansModel {
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<usize>) {
        let norms: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&r)).collect();
        let (labels, _) = assign(x.view(), &norms, self.centroids.view());
        y.assign(&Array1::from(labels));
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<usize> {
        Array1::zeros(x.nrows())
    }
}

/// Mean over features of the population variance (scikit-learn scales `tol` by it).
fn mean_variance(data: ArrayView2<f64>) -> f64 {
    let d = data.ncols().max(1) as f64;
    data.var_axis(Axis(0), 0.0).sum() / d
}

fn squared_distances_to(data: ArrayView2<f64>, norms: &[f64], point: usize) -> Vec<f64> {
    let p = data.row(point);
    let pn = norms[point];
    data.rows()
        .into_iter()
        .zip(norms)
        .map(|(row, rn)| (rn + pn - 2.0 * row.dot(&p)).max(0.0))
        .collect()
}

/// Greedy k-means++: each new centre is the best (lowest potential) of `2 + ln k` candidates
/// drawn with probability proportional to the squared distance to the nearest chosen centre.
fn kmeans_plus_plus(data: ArrayView2<f64>, norms: &[f64], k: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    let n = data.nrows();
    let trials = 2 + (k as f64).ln() as usize;
    let mut chosen = vec![rng.random_range(0..n)];
    let mut closest = squared_distances_to(data, norms, chosen[0]);
    while chosen.len() < k {
        let cumulative: Vec<f64> = closest
            .iter()
            .scan(0.0, |acc, d| {
                *acc += d;
                Some(*acc)
            })
            .collect();
        let potential = cumulative[n - 1];
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                if potential <= 0.0 {
                    // Fewer distinct points than k: any point not yet chosen.
                    return (0..n).find(|i| !chosen.contains(i)).unwrap_or(0);
                }
                let target = rng.random::<f64>() * potential;
                cumulative.partition_point(|&c| c < target).min(n - 1)
            })
            .collect();
        let (candidate, distances, _) = candidates
            .par_iter()
            .map(|&c| {
                let d: Vec<f64> = squared_distances_to(data, norms, c)
                    .into_iter()
                    .zip(&closest)
                    .map(|(a, &b)| a.min(b))
                    .collect();
                let potential: f64 = d.iter().sum();
                (c, d, potential)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .expect("at least two trials");
        chosen.push(candidate);
        closest = distances;
    }
    data.select(Axis(0), &chosen)
}

/// Nearest centre and squared distance of every row.
fn assign(data: ArrayView2<f64>, norms: &[f64], centroids: ArrayView2<f64>) -> (Vec<usize>, Vec<f64>) {
    let centre_norms: Vec<f64> = centroids.rows().into_iter().map(|r| r.dot(&r)).collect();
    let starts: Vec<usize> = (0..data.nrows()).step_by(BLOCK).collect();
    let blocks: Vec<Vec<(usize, f64)>> = starts
        .into_par_iter()
        .map(|start| {
            let end = (start + BLOCK).min(data.nrows());
            let products = data.slice(s![start..end, ..]).dot(&centroids.t());
            products
                .rows()
                .into_iter()
                .zip(&norms[start..end])
                .map(|(row, xn)| {
                    row.iter()
                        .zip(&centre_norms)
                        .map(|(p, cn)| (xn + cn - 2.0 * p).max(0.0))
                        .enumerate()
                        .fold((0, f64::INFINITY), |best, (c, d)| if d < best.1 { (c, d) } else { best })
                })
                .collect()
        })
        .collect();
    blocks.into_iter().flatten().unzip()
}

/// Centres as the means of their points; an empty cluster takes the point farthest from its
/// centre, so that k clusters remain (scikit-learn relocates empty clusters the same way).
fn update(data: ArrayView2<f64>, labels: &[usize], distances: &[f64], k: usize) -> Array2<f64> {
    let d = data.ncols();
    let starts: Vec<usize> = (0..data.nrows()).step_by(BLOCK).collect();
    let partial: Vec<(Array2<f64>, Vec<usize>)> = starts
        .into_par_iter()
        .map(|start| {
            let end = (start + BLOCK).min(data.nrows());
            let mut sums = Array2::<f64>::zeros((k, d));
            let mut counts = vec![0usize; k];
            for i in start..end {
                let mut target = sums.row_mut(labels[i]);
                target += &data.row(i);
                counts[labels[i]] += 1;
            }
            (sums, counts)
        })
        .collect();
    let mut sums = Array2::<f64>::zeros((k, d));
    let mut counts = vec![0usize; k];
    for (s, c) in partial {
        sums += &s;
        counts.iter_mut().zip(c).for_each(|(a, b)| *a += b);
    }
    // Farthest points first, sorted only in the rare iteration that has an empty cluster.
    let mut far = counts.contains(&0).then(|| {
        let mut order: Vec<usize> = (0..data.nrows()).collect();
        order.sort_by(|&a, &b| distances[b].total_cmp(&distances[a]).then(a.cmp(&b)));
        order.into_iter()
    });
    for (c, mut row) in sums.rows_mut().into_iter().enumerate() {
        if counts[c] > 0 {
            row /= counts[c] as f64;
        } else if let Some(point) = far.as_mut().and_then(Iterator::next) {
            row.assign(&data.row(point));
        }
    }
    sums
}

fn lloyd(
    data: ArrayView2<f64>,
    norms: &[f64],
    mut centroids: Array2<f64>,
    max_iterations: usize,
    tolerance: f64,
) -> KMeansModel {
    let k = centroids.nrows();
    let (mut labels, mut distances) = assign(data, norms, centroids.view());
    let mut iterations = 0;
    while iterations < max_iterations {
        iterations += 1;
        let next = update(data, &labels, &distances, k);
        let shift: f64 = (&next - &centroids).mapv(|v| v * v).sum();
        centroids = next;
        let (new_labels, new_distances) = assign(data, norms, centroids.view());
        let unchanged = new_labels == labels;
        labels = new_labels;
        distances = new_distances;
        if unchanged || shift <= tolerance {
            break;
        }
    }
    KMeansModel { centroids, inertia: distances.iter().sum(), labels, iterations }
}

#[cfg(test)]
mod tests {
    use linfa::ParamGuard;
    use linfa::traits::Predict;
    use ndarray::array;

    use super::*;
    use crate::kmeans::KMeansParams;

    fn fit(data: &Array2<f64>, k: usize, seed: u64) -> KMeansModel {
        let params = KMeansParams::new(k).runs(3).seed(seed).check().unwrap();
        params.fit(&DatasetBase::from(data.clone())).unwrap()
    }

    #[test]
    fn separated_blobs_are_found_and_centres_are_their_means() {
        let data = array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [10.0, 10.0], [10.0, 11.0], [11.0, 10.0]];
        let model = fit(&data, 2, 7);
        assert_eq!(model.labels[0], model.labels[1]);
        assert_eq!(model.labels[0], model.labels[2]);
        assert_ne!(model.labels[0], model.labels[3]);
        let low = model.labels[0];
        assert!((model.centroids[[low, 0]] - 1.0 / 3.0).abs() < 1e-12);
        // Inertia: each blob has squared distances 2/9 + 5/9 + 5/9 = 4/3 to its mean.
        assert!((model.inertia - 8.0 / 3.0).abs() < 1e-9, "{}", model.inertia);
        let predicted: Array1<usize> = model.predict(&array![[0.2, 0.1], [9.0, 9.5]]);
        assert_eq!(predicted.to_vec(), vec![low, model.labels[3]]);
    }

    #[test]
    fn same_seed_same_model_and_duplicates_do_not_break_seeding() {
        let data = array![[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [2.0, 2.0]];
        assert_eq!(fit(&data, 3, 1), fit(&data, 3, 1));
        assert_eq!(fit(&data, 3, 1).centroids.nrows(), 3);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let data = array![[1.0, 2.0], [f64::NAN, 0.0]];
        let params = KMeansParams::new(2).check().unwrap();
        let err = params.fit(&DatasetBase::from(data.clone())).unwrap_err();
        assert!(err.to_string().contains("row 1"), "{err}");
        let err = KMeansParams::new(3).check().unwrap().fit(&DatasetBase::from(data)).unwrap_err();
        assert!(err.to_string().contains("k=3"), "{err}");
        assert!(KMeansParams::new(0).check().is_err());
    }
}
