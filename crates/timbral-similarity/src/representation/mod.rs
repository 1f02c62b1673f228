//! Song representations: transforms of the library into the space its distances are
//! measured in ([`Space`] names them; docs/similarity.md has each with its reference).
//!
//! - `study`: the study's 90 seed features standardised with the stored `scaler`, euclidean;
//! - `umap`: the n-D UMAP embedding of the cluster stage;
//! - `signed-root`, `corr-logvar`, `rank`: robust rescalings of the same 90 features
//!   ([`vectors`]);
//! - `codebook`: square-root histograms over a K-Means codebook of segment timbre vectors,
//!   euclidean = Hellinger ([`codebook`]);
//! - `musicnn`: the songs' musicnn embeddings (`embeddings`), L2-normalised, so that
//!   euclidean distance is a monotone function of cosine distance: `|a - b|^2 = 2 - 2 cos`;
//! - `gaussian-kl`: one Gaussian per song, symmetrised KL ([`gaussian`]); not a vector space,
//!   so only `timbral eval --compare` (exact scans) measures it.

pub mod codebook;
pub mod gaussian;
pub mod vectors;

use std::collections::HashSet;

use ndarray::{Array2, Axis};
use polars::prelude::{DataFrame, Expr, SortMultipleOptions, col};
use timbral_cluster::tables::{FeatureInput, feature_input};
use timbral_core::contract::{embedding_vector_names, seed_feature_names, umap_nd_columns_in};
use timbral_core::error::PolarsContext;
use timbral_core::matrix::{strings, to_matrix};
use timbral_core::scaler::Scaler;
use timbral_core::{Error, FeatureSet, Result, Table, Workdir, cols};

use crate::hyperparams::Space;
pub use codebook::CodebookUse;

/// The raw (unscaled) 90 seed features, as (track ids, matrix) in table order.
pub fn raw_features(workdir: &Workdir) -> Result<(Vec<String>, Array2<f64>)> {
    let features = workdir.read_table(Table::Features)?;
    let ids = strings(&features, "features", cols::features::TRACK_ID)?;
    Ok((ids, to_matrix(&features, "features", &seed_feature_names())?))
}

/// The coordinates of every song in `space`, as (track ids, matrix), `codebook` choosing the
/// codebook of that representation. `embedding` may be passed when already read.
pub fn coordinates(
    workdir: &Workdir,
    space: Space,
    codebook: CodebookUse,
    embedding: Option<&DataFrame>,
) -> Result<(Vec<String>, Array2<f64>)> {
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
            let names = seed_feature_names();
            // The cluster stage's scaler when it fitted the study's features (placed songs are
            // then scaled as the fit was); else, after a fit in another space, z-scores of
            // these songs.
            let scaler = match workdir.has_table(Table::Scaler) {
                true => Some(Scaler::read(workdir)?).filter(|s| names.iter().all(|n| s.features.contains(n))),
                false => None,
            };
            let scaler = scaler.unwrap_or_else(|| Scaler::fit(names.clone(), raw.view()));
            Ok((ids, scaler.transform_named(raw.view(), &names)?))
        }
        Space::SignedRoot => raw_features(workdir).map(|(ids, raw)| (ids, vectors::signed_root(raw.view()))),
        Space::CorrLogvar => raw_features(workdir).map(|(ids, raw)| (ids, vectors::corr_logvar(raw.view()))),
        Space::Rank => raw_features(workdir).map(|(ids, raw)| (ids, vectors::rank_scale(raw.view()))),
        Space::Codebook => codebook::histograms(workdir, codebook),
        Space::Musicnn | Space::Auto => normalised_embeddings(workdir),
        Space::GaussianKl => Err(Error::InvalidParameter {
            name: "space",
            why: "`gaussian-kl` is a divergence between song models, not a vector space: only \
                  `timbral eval --compare` measures it (exact scans); pick a vector representation here"
                .into(),
        }),
    }
}

/// What the cluster stage maps and clusters in `space` (resolved): `study`, and `umap` (which
/// the stage derives from them), are the `features` columns of `set`; every other
/// representation is its coordinates, for the songs of `features`, taken as they are.
pub fn cluster_input(workdir: &Workdir, space: Space, set: FeatureSet, seed: u64) -> Result<FeatureInput> {
    let features = workdir.read_table(Table::Features)?;
    let space = space.resolve(workdir);
    if matches!(space, Space::Study | Space::Umap) {
        return feature_input(&features, set);
    }
    let songs: HashSet<String> = strings(&features, "features", cols::features::TRACK_ID)?.into_iter().collect();
    drop(features);
    let (ids, points) = coordinates(workdir, space, CodebookUse::Stage(seed), None)?;
    let rows: Vec<usize> = (0..ids.len()).filter(|&i| songs.contains(&ids[i])).collect();
    let track_ids = rows.iter().map(|&i| ids[i].clone()).collect();
    let data = points.select(Axis(0), &rows);
    let feature_names = (0..data.ncols()).map(|d| format!("{space}_{d}")).collect();
    Ok(FeatureInput { track_ids, feature_names, data, space })
}

/// Every song's musicnn embedding scaled to unit length, as (track ids sorted, matrix).
pub fn normalised_embeddings(workdir: &Workdir) -> Result<(Vec<String>, Array2<f64>)> {
    let names = embedding_vector_names();
    let frame = workdir
        .scan_table(Table::Embeddings)?
        .select(std::iter::once(cols::embeddings::TRACK_ID).chain(names.iter().map(String::as_str)).map(col).collect::<Vec<Expr>>())
        .sort([cols::embeddings::TRACK_ID], SortMultipleOptions::default())
        .collect()
        .ctx("reading `embeddings`")?;
    let ids = strings(&frame, "embeddings", cols::embeddings::TRACK_ID)?;
    let mut vectors = to_matrix(&frame, "embeddings", &names)?;
    for mut row in vectors.rows_mut() {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row /= norm;
        }
    }
    Ok((ids, vectors))
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

