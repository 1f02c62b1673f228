//! The song representation: the space in which distances between songs are measured, and in
//! which the cluster stage maps and clusters them. Each is computed in `timbral-similarity`
//! (`representation`); docs/similarity.md has each with its reference and the measurements
//! behind the default.

use std::fmt;
use std::str::FromStr;

use polars::prelude::{IntoLazy, JoinArgs, JoinType, col, len};

use crate::{Error, Result, Table, Workdir, cols};

/// The song representation (the space in which distances between songs are measured); see
/// `timbral_similarity::representation` and docs/similarity.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Space {
    /// The n-D UMAP embedding (`umap_1..umap_n` of `embedding`).
    Umap,
    /// The study's 90 seed features standardised with the stored `scaler` (was `features`).
    Study,
    /// Signed square root of the covariance entries, then z-scored.
    SignedRoot,
    /// Means, log-variances and correlations, z-scored.
    CorrLogvar,
    /// Per-column quantiles (average ranks scaled to [0, 1]).
    Rank,
    /// One Gaussian per song, symmetrised KL (`eval --compare` only).
    GaussianKl,
    /// Square-root histograms over a K-Means codebook of segment timbre (Hellinger).
    Codebook,
    /// musicnn embeddings (`embeddings`), L2-normalised: euclidean = cosine. Chosen by
    /// `timbral eval --compare` on the development corpus (docs/similarity.md).
    Musicnn,
    /// The default: `musicnn` when every song has an embedding, else `codebook` when the
    /// library has a `segments` table, else `umap` (a features-only source, such as a features
    /// CSV or `synth --level features`, has neither).
    #[default]
    Auto,
}

impl Space {
    /// Every representation, in the order `eval --compare` reports them.
    pub const ALL: [Space; 8] = [
        Space::Study,
        Space::Umap,
        Space::SignedRoot,
        Space::CorrLogvar,
        Space::Rank,
        Space::GaussianKl,
        Space::Codebook,
        Space::Musicnn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Space::Umap => "umap",
            Space::Study => "study",
            Space::SignedRoot => "signed-root",
            Space::CorrLogvar => "corr-logvar",
            Space::Rank => "rank",
            Space::GaussianKl => "gaussian-kl",
            Space::Codebook => "codebook",
            Space::Musicnn => "musicnn",
            Space::Auto => "auto",
        }
    }

    /// The representation `self` stands for in `workdir`: [`Space::Auto`] resolved, any other
    /// unchanged.
    pub fn resolve(self, workdir: &Workdir) -> Space {
        match self {
            Space::Auto if Space::Musicnn.missing_input(workdir).is_none() => Space::Musicnn,
            Space::Auto if Space::Codebook.missing_input(workdir).is_none() => Space::Codebook,
            Space::Auto => Space::Umap,
            chosen => chosen,
        }
    }

    /// Why `self` cannot be computed for `workdir`'s library, if it cannot: `codebook` needs
    /// segments, `musicnn` an embedding of every song.
    pub fn missing_input(self, workdir: &Workdir) -> Option<&'static str> {
        match self {
            Space::Codebook if !workdir.has_table(Table::Segments) => Some("no `segments` table"),
            Space::Musicnn if !every_song_embedded(workdir) => {
                Some("not every song has a musicnn embedding (`embeddings`: songs ingested from audio)")
            }
            _ => None,
        }
    }

    /// The table the coordinates come from, for errors.
    pub fn source_table(self) -> &'static str {
        match self {
            Space::Umap => "embedding",
            Space::Codebook => "segments",
            Space::Musicnn | Space::Auto => "embeddings",
            _ => "features",
        }
    }
}

/// Whether `embeddings` holds a row for every song of `features` (`tracks` before the
/// features stage): a library that mixes audio with sources without audio (Spotify JSON, MSD,
/// CSV) is not, and falls back to `codebook`. Unreadable tables count as "no".
fn every_song_embedded(workdir: &Workdir) -> bool {
    let songs = if workdir.has_table(Table::Features) { Table::Features } else { Table::Tracks };
    let ids = |table: Table, column: &str| {
        workdir.scan_table(table).ok()?.select([col(column)]).collect().ok()
    };
    let (Some(songs), Some(embedded)) = (
        ids(songs, cols::tracks::TRACK_ID),
        workdir.has_table(Table::Embeddings).then(|| ids(Table::Embeddings, cols::embeddings::TRACK_ID)).flatten(),
    ) else {
        return false;
    };
    let missing = songs
        .lazy()
        .join(embedded.lazy(), [col(cols::tracks::TRACK_ID)], [col(cols::embeddings::TRACK_ID)], JoinArgs::new(JoinType::Anti))
        .select([len()])
        .collect()
        .ok()
        .and_then(|frame| frame.column("len").ok()?.u32().ok()?.get(0));
    if let Some(missing) = missing.filter(|m| *m > 0) {
        tracing::debug!("space auto: {missing} song(s) have no musicnn embedding (no audio), so not `musicnn`");
    }
    missing == Some(0)
}

impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Space {
    type Err = Error;

    /// A name of [`Space::name`]; `features` is the former name of `study`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "features" => return Ok(Space::Study),
            "auto" => return Ok(Space::Auto),
            _ => {}
        }
        Space::ALL.into_iter().find(|space| space.name() == s).ok_or_else(|| Error::InvalidParameter {
            name: "space",
            why: format!(
                "`{s}` is not a representation (auto, {})",
                Space::ALL.map(Space::name).join(", ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use super::*;
    use crate::contract::embedding_vector_names;

    fn ids_frame(table: Table, ids: &[&str]) -> DataFrame {
        let spec = table.spec();
        let columns = spec
            .columns
            .iter()
            .map(|c| {
                let name = c.name.as_str().into();
                match c.ty {
                    crate::ColumnType::Str => Column::new(name, ids.iter().map(|i| i.to_string()).collect::<Vec<_>>()),
                    crate::ColumnType::F32 => Column::new(name, vec![0.5f32; ids.len()]),
                    crate::ColumnType::F64 => Column::new(name, vec![0.5f64; ids.len()]),
                    crate::ColumnType::U32 => Column::new(name, vec![1u32; ids.len()]),
                    crate::ColumnType::ListStr => {
                        Series::new(name, ids.iter().map(|_| Series::new("".into(), ["x"])).collect::<Vec<_>>()).into()
                    }
                    other => panic!("no test values for {other:?}"),
                }
            })
            .collect();
        DataFrame::new_infer_height(columns).unwrap()
    }

    #[test]
    fn auto_is_musicnn_only_when_every_song_has_an_embedding() {
        let dir = tempfile::tempdir().unwrap();
        let workdir = Workdir::new(dir.path());
        workdir.write_table(Table::Features, &mut ids_frame(Table::Features, &["a", "b"])).unwrap();
        workdir.write_table(Table::Segments, &mut Table::Segments.spec().empty_frame()).unwrap();
        workdir.write_table(Table::Embeddings, &mut ids_frame(Table::Embeddings, &["a"])).unwrap();
        assert_eq!(Space::Auto.resolve(&workdir), Space::Codebook, "song b has no embedding");
        assert!(Space::Musicnn.missing_input(&workdir).is_some());
        workdir.write_table(Table::Embeddings, &mut ids_frame(Table::Embeddings, &["a", "b"])).unwrap();
        assert_eq!(Space::Auto.resolve(&workdir), Space::Musicnn);
        assert_eq!(Space::Study.resolve(&workdir), Space::Study);
        assert_eq!(embedding_vector_names().len(), crate::contract::EMBEDDING_DIMS);
        assert_eq!("musicnn".parse::<Space>().unwrap(), Space::Musicnn);
    }
}
