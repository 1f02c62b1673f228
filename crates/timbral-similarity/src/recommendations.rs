//! The naive recommender of the study: a song's nearest songs in the chosen space.

use polars::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::Result;
use timbral_core::cols;

use crate::catalogue::Catalogue;
use crate::neighbors::{nearest_filtered, Neighbour};

/// Which songs a single query may return.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filters {
    /// Only songs by other artists than the query's.
    pub other_artists: bool,
    /// Only songs in the query's cluster (noise songs match nothing).
    pub same_cluster: bool,
}

/// The `k` nearest songs of catalogue row `song` that pass `filters`, nearest first.
pub fn recommend(catalogue: &Catalogue, song: usize, k: usize, filters: Filters) -> Vec<Neighbour> {
    let artist = &catalogue.artist_ids[song];
    let cluster = catalogue.clusters.as_ref().map(|labels| labels[song]);
    nearest_filtered(catalogue.points.view(), catalogue.point(song), k, |j| {
        if j == song || (filters.other_artists && &catalogue.artist_ids[j] == artist) {
            return false;
        }
        match (filters.same_cluster, cluster, &catalogue.clusters) {
            (true, Some(c), Some(labels)) => c != -1 && labels[j] == c,
            _ => true,
        }
    })
}

/// The `recommendations` table: every song's neighbours, nearest first.
pub fn table(catalogue: &Catalogue, neighbours: &[Vec<Neighbour>], space: &str) -> Result<DataFrame> {
    let rows: usize = neighbours.iter().map(Vec::len).sum();
    let mut track_id = Vec::with_capacity(rows);
    let mut rank = Vec::with_capacity(rows);
    let mut rec_track_id = Vec::with_capacity(rows);
    let mut distance = Vec::with_capacity(rows);
    let mut same_artist = Vec::with_capacity(rows);
    for (i, list) in neighbours.iter().enumerate() {
        for (r, n) in list.iter().enumerate() {
            track_id.push(catalogue.track_ids[i].as_str());
            rank.push(r as u32 + 1);
            rec_track_id.push(catalogue.track_ids[n.index].as_str());
            distance.push(n.distance);
            same_artist.push(catalogue.artist_ids[i] == catalogue.artist_ids[n.index]);
        }
    }
    df!(
        cols::recommendations::TRACK_ID => track_id,
        cols::recommendations::RANK => rank,
        cols::recommendations::REC_TRACK_ID => rec_track_id,
        cols::recommendations::DISTANCE => distance,
        cols::recommendations::SAME_ARTIST => same_artist,
        cols::recommendations::SPACE => vec![space; rows],
    )
    .ctx("building recommendations")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    fn line() -> Catalogue {
        // Songs on a line at 0, 1, 2, 10; artists a, a, b, b; clusters 0, 1, 1, -1.
        Catalogue::from_parts(
            (0..4).map(|i| format!("t{i}")).collect(),
            vec!["s".into(); 4],
            ["a", "a", "b", "b"].map(String::from).to_vec(),
            ["A", "A", "B", "B"].map(String::from).to_vec(),
            vec![vec![]; 4],
            array![[0.0], [1.0], [2.0], [10.0]],
            Array2::zeros((4, 2)),
            Some(vec![0, 1, 1, -1]),
        )
        .unwrap()
    }

    #[test]
    fn filters_restrict_the_answer() {
        let cat = line();
        let ids = |v: Vec<Neighbour>| v.iter().map(|n| n.index).collect::<Vec<_>>();
        assert_eq!(ids(recommend(&cat, 1, 2, Filters::default())), vec![0, 2]);
        let other = Filters { other_artists: true, ..Filters::default() };
        assert_eq!(ids(recommend(&cat, 1, 3, other)), vec![2, 3]);
        let cluster = Filters { same_cluster: true, ..Filters::default() };
        assert_eq!(ids(recommend(&cat, 1, 3, cluster)), vec![2]);
        assert!(recommend(&cat, 3, 3, cluster).is_empty());
    }

    #[test]
    fn table_marks_same_artist() {
        let cat = line();
        let (_, all) = crate::neighbors::all_nearest(cat.points.view(), 1, crate::neighbors::KnnMethod::Exact, 0).unwrap();
        let frame = table(&cat, &all, "umap").unwrap();
        timbral_core::Table::Recommendations.spec().validate(&frame).unwrap();
        let same: Vec<bool> = frame.column("same_artist").unwrap().bool().unwrap().iter().flatten().collect();
        // Nearest of 0 is 1 (a), of 1 is 0 (a), of 2 is 1 (a vs b), of 3 is 2 (b).
        assert_eq!(same, vec![true, true, false, true]);
    }
}
