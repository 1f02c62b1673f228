//! Song representations: transforms of the library into the space its distances are
//! measured in ([`Space`] names them; docs/similarity.md has each with its reference).
//!
//! - `study`: the study's 90 seed features standardised with the stored `scaler`, euclidean;
//! - `umap`: the n-D UMAP embedding of the cluster stage;
//! - `signed-root`, `corr-logvar`, `rank`: robust rescalings of the same 90 features
//!   ([`vectors`]);
//! - `codebook`: square-root histograms over a K-Means codebook of segment timbre vectors,
//!   euclidean = Hellinger ([`codebook`]);
//! - `gaussian-kl`: one Gaussian per song, symmetrised KL ([`gaussian`]); not a vector space,
//!   so only `timbral eval --compare` (exact scans) measures it.

pub mod codebook;
pub mod gaussian;
pub mod vectors;

use ndarray::Array2;
use polars::prelude::DataFrame;
use timbral_core::contract::{seed_feature_names, umap_nd_columns_in};
use timbral_core::matrix::{strings, to_matrix};
use timbral_core::scaler::Scaler;
use timbral_core::{Error, Result, Table, Workdir, cols};

use crate::hyperparams::Space;

/// The raw (unscaled) 90 seed features, as (track ids, matrix) in table order.
pub fn raw_features(workdir: &Workdir) -> Result<(Vec<String>, Array2<f64>)> {
    let features = workdir.read_table(Table::Features)?;
    let ids = strings(&features, "features", cols::features::TRACK_ID)?;
    Ok((ids, to_matrix(&features, "features", &seed_feature_names())?))
}

/// The coordinates of every song in `space`, as (track ids, matrix). `embedding` may be
/// passed when already read.
pub fn coordinates(workdir: &Workdir, space: Space, embedding: Option<&DataFrame>) -> Result<(Vec<String>, Array2<f64>)> {
    match space.resolve(workdir) {
        Space::Umap => {
            let owned;
            let frame = match embedding {
                Some(frame) => frame,
                None => {
                    owned = workdir.read_table(Table::Embedding)?;
                    &owned
                }
            };
            let columns = umap_columns(frame)?;
            let ids = strings(frame, "embedding", cols::embedding::TRACK_ID)?;
            Ok((ids, to_matrix(frame, "embedding", &columns)?))
        }
        Space::Study => {
            let (ids, raw) = raw_features(workdir)?;
            Ok((ids, Scaler::read(workdir)?.transform_named(raw.view(), &seed_feature_names())?))
        }
        Space::SignedRoot => raw_features(workdir).map(|(ids, raw)| (ids, vectors::signed_root(raw.view()))),
        Space::CorrLogvar => raw_features(workdir).map(|(ids, raw)| (ids, vectors::corr_logvar(raw.view()))),
        Space::Rank => raw_features(workdir).map(|(ids, raw)| (ids, vectors::rank_scale(raw.view()))),
        Space::Codebook | Space::Auto => codebook::histograms(workdir, codebook::SEED),
        Space::GaussianKl => Err(Error::InvalidParameter {
            name: "space",
            why: "`gaussian-kl` is a divergence between song models, not a vector space: only \
                  `timbral eval --compare` measures it (exact scans); pick a vector representation here"
                .into(),
        }),
    }
}

/// `umap_1..umap_n` in numeric order; `umap_x`/`umap_y` are the 2-D map, not part of it.
pub fn umap_columns(embedding: &DataFrame) -> Result<Vec<String>> {
    let numbered = umap_nd_columns_in(embedding.get_column_names().into_iter().map(|n| n.as_str()));
    if numbered.is_empty() {
        return Err(Error::MissingColumn {
            table: "embedding".into(),
            column: "umap_1 (the n-D UMAP; rerun `timbral cluster`)".into(),
        });
    }
    Ok(numbered)
}

