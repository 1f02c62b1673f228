//! The distance of UMAP and the neighbourhood metrics: a leaf that the parameters, UMAP and
//! the distance helpers share.

use timbral_core::{Error, Result};

/// Distance used by UMAP, its kNN graph and the neighbourhood quality metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Euclidean,
    Cosine,
}

impl Metric {
    /// The name manifolds-rs and scikit-learn use.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Euclidean => "euclidean",
            Metric::Cosine => "cosine",
        }
    }

    /// The metric called `name` (as [`Metric::name`] writes it).
    pub fn from_name(name: &str) -> Result<Metric> {
        [Metric::Euclidean, Metric::Cosine].into_iter().find(|m| m.name() == name).ok_or_else(|| Error::InvalidParameter {
            name: "metric",
            why: format!("unknown metric `{name}`; expected `euclidean` or `cosine`"),
        })
    }
}
