//! Parameters of the similarity stage, with a validated builder.

use std::str::FromStr;

pub use timbral_core::Space;
use timbral_core::neighbors::KnnMethod;
use timbral_core::error::at_least_one;
use timbral_core::{Error, Result, Workdir, cols, timbral_ensure};

/// Which label column of `clusters` defines "the cluster" of a song.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Labels {
    Kmeans,
    Dbscan,
    /// HDBSCAN on the n-D UMAP: the recommended default of the cluster stage.
    #[default]
    Hdbscan,
}

impl Labels {
    pub fn column(self) -> &'static str {
        match self {
            Labels::Kmeans => cols::clusters::KMEANS,
            Labels::Dbscan => cols::clusters::DBSCAN,
            Labels::Hdbscan => cols::clusters::HDBSCAN,
        }
    }
}

impl FromStr for Labels {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            cols::clusters::KMEANS => Ok(Labels::Kmeans),
            cols::clusters::DBSCAN => Ok(Labels::Dbscan),
            cols::clusters::HDBSCAN => Ok(Labels::Hdbscan),
            other => Err(Error::InvalidParameter {
                name: "labels",
                why: format!("`{other}` is not one of kmeans, dbscan, hdbscan"),
            }),
        }
    }
}

impl SimilarityParams {
    /// These parameters with [`Space::Auto`] resolved for `workdir`.
    pub fn resolved(&self, workdir: &Workdir) -> SimilarityParams {
        SimilarityParams { space: self.space.resolve(workdir), ..self.clone() }
    }
    pub fn builder() -> SimilarityParamsBuilder {
        SimilarityParamsBuilder::default()
    }
    /// The defaults, for the command line's help.
    pub fn defaults() -> SimilarityParams {
        SimilarityParamsBuilder::default().params
    }
}

/// Builder of [`SimilarityParams`]; [`linfa::ParamGuard::check`] validates.
#[derive(Debug, Clone)]
pub struct SimilarityParamsBuilder {
    params: SimilarityParams,
}

impl Default for SimilarityParamsBuilder {
    fn default() -> Self {
        SimilarityParamsBuilder {
            params: SimilarityParams {
                space: Space::default(),
                labels: Labels::Hdbscan,
                neighbors: 10,
                top_artists: 10,
                permutations: 1000,
                grid_size: 64,
                grid_genres: 30,
                min_genre_songs: 5,
                knn: KnnMethod::Auto,
                seed: 42,
            },
        }
    }
}

timbral_core::param_fields! {
    /// Validated parameters of [`crate::run`]. Build them with [`SimilarityParams::builder`].
    #[derive(Debug, Clone, PartialEq)]
    pub struct SimilarityParams built by SimilarityParamsBuilder, params {
        /// Space of the distances.
        space: Space,
        /// Cluster labels used for genre shares and entropy.
        labels: Labels,
        /// Recommendations kept per song.
        neighbors: usize,
        /// Nearest and farthest artists kept per artist.
        top_artists: usize,
        /// Random song sets drawn per artist size in the cohesion permutation test.
        permutations: usize,
        /// Cells per side of the genre density grid.
        grid_size: usize,
        /// How many of the largest genres get a density grid.
        grid_genres: usize,
        /// Genres with fewer songs are not ranked by concentration (their ratio is noise).
        min_genre_songs: usize,
        /// Neighbour search of the recommendations and the artist shortlists.
        knn: KnnMethod,
        seed: u64,
    }
}

timbral_core::param_guard!(SimilarityParamsBuilder, params => SimilarityParams, Error, |p| {
    at_least_one(&[
        ("neighbors", p.neighbors),
        ("top_artists", p.top_artists),
        ("permutations", p.permutations),
    ])?;
    timbral_ensure!(p.min_genre_songs >= 2, InvalidParameter {
        name: "min_genre_songs",
        why: "a mean pairwise distance needs at least 2 songs".into(),
    });
    timbral_ensure!(p.grid_size >= 2, InvalidParameter {
        name: "grid_size",
        why: format!("{} cells per side; need at least 2", p.grid_size),
    });
});

impl EvalParams {
    /// These parameters with [`Space::Auto`] resolved for `workdir`.
    pub fn resolved(&self, workdir: &Workdir) -> EvalParams {
        EvalParams { space: self.space.resolve(workdir), ..self.clone() }
    }
    pub fn builder() -> EvalParamsBuilder {
        EvalParamsBuilder::default()
    }
    /// The defaults, for the command line's help.
    pub fn defaults() -> EvalParams {
        EvalParamsBuilder::default().params
    }
}

/// Builder of [`EvalParams`]; [`linfa::ParamGuard::check`] validates.
#[derive(Debug, Clone)]
pub struct EvalParamsBuilder {
    params: EvalParams,
}

impl Default for EvalParamsBuilder {
    fn default() -> Self {
        EvalParamsBuilder {
            params: EvalParams {
                space: Space::default(),
                k: 5,
                shuffles: 10,
                trust_k: 15,
                trust_queries: 2000,
                knn: KnnMethod::Auto,
                seed: 42,
            },
        }
    }
}

timbral_core::param_fields! {
    /// Validated parameters of [`crate::eval::evaluate`]. Build them with [`EvalParams::builder`].
    #[derive(Debug, Clone, PartialEq)]
    pub struct EvalParams built by EvalParamsBuilder, params {
        /// Space of the neighbour searches behind the precision metrics.
        space: Space,
        /// Neighbours per song in precision@k.
        k: usize,
        /// Seeded label shuffles averaged into each baseline.
        shuffles: usize,
        /// Neighbourhood size of the trustworthiness (when computed here).
        trust_k: usize,
        /// Query songs of the trustworthiness: all songs up to this many, else a seeded sample.
        trust_queries: usize,
        /// Neighbour search behind the precision metrics.
        knn: KnnMethod,
        seed: u64,
    }
}

timbral_core::param_guard!(EvalParamsBuilder, params => EvalParams, Error, |p| {
    at_least_one(&[
        ("k", p.k),
        ("shuffles", p.shuffles),
        ("trust_k", p.trust_k),
        ("trust_queries", p.trust_queries),
    ])?;
});

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::ParamGuard;
    use timbral_core::Table;

    #[test]
    fn builder_rejects_zero_neighbours_and_tiny_grids() {
        let err = SimilarityParams::builder().neighbors(0).check().unwrap_err();
        assert_eq!(err.parameter(), Some("neighbors"), "{err}");
        let err = SimilarityParams::builder().grid_size(1).check().unwrap_err();
        assert_eq!(err.parameter(), Some("grid_size"), "{err}");
        assert!(SimilarityParams::builder().check().is_ok());
    }

    #[test]
    fn auto_is_codebook_with_segments_and_umap_without() {
        let dir = tempfile::tempdir().unwrap();
        let workdir = Workdir::new(dir.path());
        assert_eq!(Space::Auto.resolve(&workdir), Space::Umap);
        assert_eq!(Space::Study.resolve(&workdir), Space::Study);
        workdir.write_table(Table::Segments, &mut Table::Segments.spec().empty_frame()).unwrap();
        assert_eq!(Space::Auto.resolve(&workdir), Space::Codebook);
        assert_eq!(SimilarityParams::defaults().resolved(&workdir).space(), Space::Codebook);
        assert_eq!("auto".parse::<Space>().unwrap(), Space::Auto);
    }

    #[test]
    fn spaces_and_labels_parse() {
        assert_eq!("features".parse::<Space>().unwrap(), Space::Study);
        assert_eq!("signed-root".parse::<Space>().unwrap(), Space::SignedRoot);
        assert!("pca".parse::<Space>().is_err());
        assert_eq!("kmeans".parse::<Labels>().unwrap().column(), "kmeans");
    }
}
