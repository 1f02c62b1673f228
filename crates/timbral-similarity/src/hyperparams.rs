//! Parameters of the similarity stage, with a validated builder.

use std::fmt;
use std::str::FromStr;

use linfa::ParamGuard;
use timbral_core::neighbors::KnnMethod;
use timbral_core::error::at_least_one;
use timbral_core::{Error, Result, cols, timbral_ensure};

/// The space in which distances between songs are measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Space {
    /// The n-D UMAP embedding (`umap_1..umap_n` of `embedding`): the study's choice.
    #[default]
    Umap,
    /// The 90 seed features standardised with the stored `scaler`.
    Features,
}

impl Space {
    pub fn name(self) -> &'static str {
        match self {
            Space::Umap => "umap",
            Space::Features => "features",
        }
    }
}

impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Space {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "umap" => Ok(Space::Umap),
            "features" => Ok(Space::Features),
            other => Err(Error::InvalidParameter {
                name: "space",
                why: format!("`{other}` is neither `umap` nor `features`"),
            }),
        }
    }
}

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

/// Validated parameters of [`crate::run`]. Build them with [`SimilarityParams::builder`].
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarityParams {
    space: Space,
    labels: Labels,
    neighbors: usize,
    top_artists: usize,
    permutations: usize,
    grid_size: usize,
    grid_genres: usize,
    min_genre_songs: usize,
    knn: KnnMethod,
    seed: u64,
}

impl SimilarityParams {
    pub fn builder() -> SimilarityParamsBuilder {
        SimilarityParamsBuilder::default()
    }
    /// The defaults, for the command line's help.
    pub fn defaults() -> SimilarityParams {
        SimilarityParamsBuilder::default().params
    }
    /// Space of the distances.
    pub fn space(&self) -> Space {
        self.space
    }
    /// Cluster labels used for genre shares and entropy.
    pub fn labels(&self) -> Labels {
        self.labels
    }
    /// Recommendations kept per song.
    pub fn neighbors(&self) -> usize {
        self.neighbors
    }
    /// Nearest and farthest artists kept per artist.
    pub fn top_artists(&self) -> usize {
        self.top_artists
    }
    /// Random song sets drawn per artist size in the cohesion permutation test.
    pub fn permutations(&self) -> usize {
        self.permutations
    }
    /// Cells per side of the genre density grid.
    pub fn grid_size(&self) -> usize {
        self.grid_size
    }
    /// How many of the largest genres get a density grid.
    pub fn grid_genres(&self) -> usize {
        self.grid_genres
    }
    /// Genres with fewer songs are not ranked by concentration (their ratio is noise).
    pub fn min_genre_songs(&self) -> usize {
        self.min_genre_songs
    }
    /// Neighbour search of the recommendations and the artist shortlists.
    pub fn knn(&self) -> KnnMethod {
        self.knn
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// Builder of [`SimilarityParams`]; [`ParamGuard::check`] validates.
#[derive(Debug, Clone)]
pub struct SimilarityParamsBuilder {
    params: SimilarityParams,
}

impl Default for SimilarityParamsBuilder {
    fn default() -> Self {
        SimilarityParamsBuilder {
            params: SimilarityParams {
                space: Space::Umap,
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

impl SimilarityParamsBuilder {
    pub fn space(mut self, space: Space) -> Self {
        self.params.space = space;
        self
    }
    pub fn labels(mut self, labels: Labels) -> Self {
        self.params.labels = labels;
        self
    }
    pub fn neighbors(mut self, neighbors: usize) -> Self {
        self.params.neighbors = neighbors;
        self
    }
    pub fn top_artists(mut self, top_artists: usize) -> Self {
        self.params.top_artists = top_artists;
        self
    }
    pub fn permutations(mut self, permutations: usize) -> Self {
        self.params.permutations = permutations;
        self
    }
    pub fn grid_size(mut self, grid_size: usize) -> Self {
        self.params.grid_size = grid_size;
        self
    }
    pub fn grid_genres(mut self, grid_genres: usize) -> Self {
        self.params.grid_genres = grid_genres;
        self
    }
    pub fn min_genre_songs(mut self, min_genre_songs: usize) -> Self {
        self.params.min_genre_songs = min_genre_songs;
        self
    }
    pub fn knn(mut self, knn: KnnMethod) -> Self {
        self.params.knn = knn;
        self
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.params.seed = seed;
        self
    }
}

impl ParamGuard for SimilarityParamsBuilder {
    type Checked = SimilarityParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&SimilarityParams> {
        let p = &self.params;
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
        Ok(p)
    }

    fn check(self) -> Result<SimilarityParams> {
        self.check_ref()?;
        Ok(self.params)
    }
}

/// Validated parameters of [`crate::eval::evaluate`]. Build them with [`EvalParams::builder`].
#[derive(Debug, Clone, PartialEq)]
pub struct EvalParams {
    space: Space,
    k: usize,
    shuffles: usize,
    trust_k: usize,
    trust_queries: usize,
    knn: KnnMethod,
    seed: u64,
}

impl EvalParams {
    pub fn builder() -> EvalParamsBuilder {
        EvalParamsBuilder::default()
    }
    /// The defaults, for the command line's help.
    pub fn defaults() -> EvalParams {
        EvalParamsBuilder::default().params
    }
    /// Space of the neighbour searches behind the precision metrics.
    pub fn space(&self) -> Space {
        self.space
    }
    /// Neighbours per song in precision@k.
    pub fn k(&self) -> usize {
        self.k
    }
    /// Seeded label shuffles averaged into each baseline.
    pub fn shuffles(&self) -> usize {
        self.shuffles
    }
    /// Neighbourhood size of the trustworthiness (when computed here).
    pub fn trust_k(&self) -> usize {
        self.trust_k
    }
    /// Query songs of the trustworthiness: all songs up to this many, else a seeded sample.
    pub fn trust_queries(&self) -> usize {
        self.trust_queries
    }
    /// Neighbour search behind the precision metrics.
    pub fn knn(&self) -> KnnMethod {
        self.knn
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// Builder of [`EvalParams`]; [`ParamGuard::check`] validates.
#[derive(Debug, Clone)]
pub struct EvalParamsBuilder {
    params: EvalParams,
}

impl Default for EvalParamsBuilder {
    fn default() -> Self {
        EvalParamsBuilder {
            params: EvalParams {
                space: Space::Umap,
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

impl EvalParamsBuilder {
    pub fn space(mut self, space: Space) -> Self {
        self.params.space = space;
        self
    }
    pub fn k(mut self, k: usize) -> Self {
        self.params.k = k;
        self
    }
    pub fn shuffles(mut self, shuffles: usize) -> Self {
        self.params.shuffles = shuffles;
        self
    }
    pub fn trust_k(mut self, trust_k: usize) -> Self {
        self.params.trust_k = trust_k;
        self
    }
    pub fn trust_queries(mut self, trust_queries: usize) -> Self {
        self.params.trust_queries = trust_queries;
        self
    }
    pub fn knn(mut self, knn: KnnMethod) -> Self {
        self.params.knn = knn;
        self
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.params.seed = seed;
        self
    }
}

impl ParamGuard for EvalParamsBuilder {
    type Checked = EvalParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&EvalParams> {
        let p = &self.params;
        at_least_one(&[
            ("k", p.k),
            ("shuffles", p.shuffles),
            ("trust_k", p.trust_k),
            ("trust_queries", p.trust_queries),
        ])?;
        Ok(p)
    }

    fn check(self) -> Result<EvalParams> {
        self.check_ref()?;
        Ok(self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_rejects_zero_neighbours_and_tiny_grids() {
        let err = SimilarityParams::builder().neighbors(0).check().unwrap_err();
        assert_eq!(err.parameter(), Some("neighbors"), "{err}");
        let err = SimilarityParams::builder().grid_size(1).check().unwrap_err();
        assert_eq!(err.parameter(), Some("grid_size"), "{err}");
        assert!(SimilarityParams::builder().check().is_ok());
    }

    #[test]
    fn spaces_and_labels_parse() {
        assert_eq!("features".parse::<Space>().unwrap(), Space::Features);
        assert!("pca".parse::<Space>().is_err());
        assert_eq!("kmeans".parse::<Labels>().unwrap().column(), "kmeans");
    }
}
