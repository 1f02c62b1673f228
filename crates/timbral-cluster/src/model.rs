//! The fitted model's settings as one typed row (`cluster_model`): what `timbral place`, the
//! report and a scheduler elsewhere need to know about the fit, by name.

use polars::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::{Error, FeatureSet, Result, Space, Table, Workdir, cols};

use crate::hyperparams::{ClusterValidParams, Metric};
use crate::umap::UmapSettings;

/// One `cluster_model` row.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterModel {
    pub feature_set: FeatureSet,
    /// The space the songs were mapped and clustered in.
    pub space: Space,
    /// Songs fitted.
    pub songs: usize,
    /// Feature columns standardised (the rows of `scaler`).
    pub features: usize,
    pub seed: u64,
    /// Name of the neighbour search the kNN graph came from.
    pub knn: String,
    pub umap: UmapSettings,
    /// Dimensions of the n-D map HDBSCAN clusters.
    pub umap_dims: usize,
    /// The chosen K-Means k.
    pub kmeans_k: usize,
    pub dbscan_eps: f64,
    pub dbscan_min_samples: usize,
    pub hdbscan_min_cluster_size: usize,
}

impl ClusterModel {
    /// The settings `params` fixed, with what the fit found.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(params: &ClusterValidParams, space: Space, songs: usize, features: usize, knn: &str, umap: UmapSettings, kmeans_k: usize, dbscan_eps: f64) -> Self {
        ClusterModel {
            feature_set: params.feature_set,
            space,
            songs,
            features,
            seed: params.seed,
            knn: knn.to_string(),
            umap,
            umap_dims: params.umap_dims,
            kmeans_k,
            dbscan_eps,
            dbscan_min_samples: params.dbscan_min_samples,
            hdbscan_min_cluster_size: params.hdbscan_min_cluster_size,
        }
    }

    pub fn frame(&self) -> Result<DataFrame> {
        use cols::cluster_model as c;
        let count = |v: usize| v as u32;
        DataFrame::new_infer_height(vec![
            Column::new(c::FEATURE_SET.into(), [self.feature_set.name()]),
            Column::new(c::SPACE.into(), [self.space.name()]),
            Column::new(c::SONGS.into(), [count(self.songs)]),
            Column::new(c::FEATURE_COUNT.into(), [count(self.features)]),
            Column::new(c::SEED.into(), [self.seed]),
            Column::new(c::KNN.into(), [self.knn.as_str()]),
            Column::new(c::UMAP_N_NEIGHBORS.into(), [count(self.umap.n_neighbors)]),
            Column::new(c::UMAP_MIN_DIST.into(), [self.umap.min_dist]),
            Column::new(c::UMAP_METRIC.into(), [self.umap.metric.name()]),
            Column::new(c::UMAP_DIMS.into(), [count(self.umap_dims)]),
            Column::new(c::UMAP_EPOCHS.into(), [count(self.umap.n_epochs)]),
            Column::new(c::KMEANS_K.into(), [count(self.kmeans_k)]),
            Column::new(c::DBSCAN_EPS.into(), [self.dbscan_eps]),
            Column::new(c::DBSCAN_MIN_SAMPLES.into(), [count(self.dbscan_min_samples)]),
            Column::new(c::HDBSCAN_MIN_CLUSTER_SIZE.into(), [count(self.hdbscan_min_cluster_size)]),
        ])
        .ctx("building table `cluster_model`")
    }

    /// Reads the one row `timbral cluster` wrote.
    pub fn read(workdir: &Workdir) -> Result<ClusterModel> {
        use cols::cluster_model as c;
        let frame = workdir.read_table(Table::ClusterModel)?;
        let table = Table::ClusterModel.name();
        if frame.height() != 1 {
            return Err(Error::InvalidValue {
                table: table.into(),
                column: c::SONGS.into(),
                why: format!("expected one row, found {} (rerun `timbral cluster`)", frame.height()),
            });
        }
        let cell = |name: &str| -> Result<AnyValue<'_>> {
            frame.column(name).and_then(|column| column.get(0)).ctx(format!("table `{table}` column `{name}`"))
        };
        let invalid = |name: &'static str, why: String| Error::InvalidValue { table: table.into(), column: name.into(), why };
        let text = |name: &'static str| -> Result<String> {
            cell(name)?.get_str().map(str::to_string).ok_or_else(|| invalid(name, "null".into()))
        };
        let number = |name: &'static str| -> Result<f64> { cell(name)?.extract::<f64>().ok_or_else(|| invalid(name, "null".into())) };
        let count = |name: &'static str| number(name).map(|v| v as usize);
        let seed = cell(c::SEED)?.extract::<u64>().ok_or_else(|| invalid(c::SEED, "null".into()))?;
        Ok(ClusterModel {
            feature_set: text(c::FEATURE_SET)?.parse().map_err(|e: Error| invalid(c::FEATURE_SET, e.to_string()))?,
            space: text(c::SPACE)?.parse().map_err(|e: Error| invalid(c::SPACE, e.to_string()))?,
            songs: count(c::SONGS)?,
            features: count(c::FEATURE_COUNT)?,
            seed,
            knn: text(c::KNN)?,
            umap: UmapSettings {
                n_neighbors: count(c::UMAP_N_NEIGHBORS)?,
                min_dist: number(c::UMAP_MIN_DIST)?,
                metric: Metric::from_name(&text(c::UMAP_METRIC)?).map_err(|e| invalid(c::UMAP_METRIC, e.to_string()))?,
                n_epochs: count(c::UMAP_EPOCHS)?,
            },
            umap_dims: count(c::UMAP_DIMS)?,
            kmeans_k: count(c::KMEANS_K)?,
            dbscan_eps: number(c::DBSCAN_EPS)?,
            dbscan_min_samples: count(c::DBSCAN_MIN_SAMPLES)?,
            hdbscan_min_cluster_size: count(c::HDBSCAN_MIN_CLUSTER_SIZE)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> ClusterModel {
        ClusterModel {
            feature_set: FeatureSet::Extended,
            space: Space::Musicnn,
            songs: 1234,
            features: 97,
            seed: u64::MAX,
            knn: "nn-descent".into(),
            umap: UmapSettings { n_neighbors: 15, min_dist: 0.25, metric: Metric::Cosine, n_epochs: 200 },
            umap_dims: 10,
            kmeans_k: 7,
            dbscan_eps: 0.375,
            dbscan_min_samples: 5,
            hdbscan_min_cluster_size: 12,
        }
    }

    #[test]
    fn a_written_model_reads_back_field_for_field() {
        let dir = tempfile::tempdir().unwrap();
        let workdir = Workdir::new(dir.path());
        workdir.write_table(Table::ClusterModel, &mut model().frame().unwrap()).unwrap();
        assert_eq!(ClusterModel::read(&workdir).unwrap(), model());
    }

    #[test]
    fn a_missing_table_two_rows_or_an_unknown_metric_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let workdir = Workdir::new(dir.path());
        assert!(matches!(ClusterModel::read(&workdir), Err(Error::MissingTable { table, .. }) if table == "cluster_model"));

        let one = model().frame().unwrap();
        let mut two = one.vstack(&one).unwrap();
        workdir.write_table(Table::ClusterModel, &mut two).unwrap();
        let err = ClusterModel::read(&workdir).unwrap_err();
        assert!(matches!(&err, Error::InvalidValue { table, .. } if table == "cluster_model"), "{err}");
        assert!(err.to_string().contains("found 2"), "{err}");

        let mut bad = one.clone();
        bad.with_column(Column::new(cols::cluster_model::UMAP_METRIC.into(), ["manhattan"])).unwrap();
        workdir.write_table(Table::ClusterModel, &mut bad).unwrap();
        let err = ClusterModel::read(&workdir).unwrap_err();
        assert!(matches!(&err, Error::InvalidValue { column, .. } if column == cols::cluster_model::UMAP_METRIC), "{err}");
        assert!(err.to_string().contains("manhattan"), "{err}");
    }
}
