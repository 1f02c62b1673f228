//! Interactive look-ups behind `timbral recommend` and `timbral artists`, in the space that
//! `timbral similarity` used (recorded in its tables). An unfiltered `recommend` of at most
//! the stored neighbours reads its rows from `recommendations` (with `tracks` and `clusters`
//! for names and labels only): the answer is the table's, and nothing else is loaded. Filters
//! and larger `k` scan all songs exactly, as does `artists` for one artist's candidates.

use polars::prelude::*;
use timbral_core::error::PolarsContext;
use timbral_core::ids::normalise_name;
use timbral_core::matrix::strings;
use timbral_core::neighbors::KnnMethod;
use timbral_core::{Error, Result, Table, Workdir, cols};

use crate::artist_similarity::{ArtistNeighbour, ArtistSpace};
use crate::catalogue::Catalogue;
use crate::representation::CodebookUse;
use crate::groups::ArtistGroups;
use crate::hyperparams::{Labels, Space};
use crate::recommendations::{recommend, Filters};

/// How many close names an unknown-name error suggests.
const SUGGESTIONS: usize = 5;

/// The space recorded in `table`'s `space` column, or the default resolved for `workdir` when
/// the table is absent.
pub fn recorded_space(workdir: &Workdir, table: Table) -> Result<Space> {
    if !workdir.has_table(table) {
        return Ok(Space::Auto.resolve(workdir));
    }
    let name = table.name();
    let frame = workdir
        .scan_table(table)?
        .select([col(cols::recommendations::SPACE)])
        .limit(1)
        .collect()
        .ctx(format!("reading table `{name}`"))?;
    let column = frame.column(cols::recommendations::SPACE).ctx(format!("table `{name}`"))?;
    match column.str().ctx(format!("table `{name}` column `space`"))?.get(0) {
        Some(space) => space.parse(),
        None => Ok(Space::Auto.resolve(workdir)),
    }
}

/// A song given by id or by (part of) its title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackQuery {
    Id(String),
    Title(String),
}

/// One recommended song.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub track_id: String,
    pub artist_name: String,
    pub title: String,
    pub distance: f64,
    pub cluster: Option<i32>,
}

/// The song asked about and its recommendations.
#[derive(Debug, Clone, PartialEq)]
pub struct RecommendAnswer {
    pub query: Recommendation,
    pub space: Space,
    pub recommendations: Vec<Recommendation>,
}

/// `timbral recommend`: the `k` nearest songs of one song.
pub fn recommend_songs(
    workdir: &Workdir,
    query: &TrackQuery,
    k: usize,
    filters: Filters,
) -> Result<RecommendAnswer> {
    let space = recorded_space(workdir, Table::Recommendations)?;
    if filters == Filters::default()
        && workdir.has_table(Table::Recommendations)
        && let Some(answer) = stored_recommendations(workdir, query, k, space)?
    {
        return Ok(answer);
    }
    let catalogue = Catalogue::load(workdir, space, CodebookUse::Query, Labels::default())?;
    let song = find_track(&catalogue.track_ids, &catalogue.titles, &catalogue.artist_names, query)?;
    let entry = |i: usize, distance: f64| Recommendation {
        track_id: catalogue.track_ids[i].clone(),
        artist_name: catalogue.artist_names[i].clone(),
        title: catalogue.titles[i].clone(),
        distance,
        cluster: catalogue.clusters.as_ref().map(|labels| labels[i]),
    };
    let recommendations = recommend(&catalogue, song, k, filters)
        .into_iter()
        .map(|n| entry(n.index, n.distance))
        .collect();
    Ok(RecommendAnswer {
        query: entry(song, 0.0),
        space,
        recommendations,
    })
}

/// The song's first `k` rows of `recommendations`, or `None` when the table holds fewer for
/// it (a larger `k` than `--neighbors`, or a song placed after the table was written).
fn stored_recommendations(workdir: &Workdir, query: &TrackQuery, k: usize, space: Space) -> Result<Option<RecommendAnswer>> {
    let tracks = workdir
        .scan_table(Table::Tracks)?
        .select([col(cols::recommendations::TRACK_ID), col(cols::tracks::TITLE), col(cols::tracks::ARTIST_NAME)])
        .collect()
        .ctx("reading table `tracks`")?;
    let ids = strings(&tracks, "tracks", cols::tracks::TRACK_ID)?;
    let titles = strings(&tracks, "tracks", cols::tracks::TITLE)?;
    let artists = strings(&tracks, "tracks", cols::tracks::ARTIST_NAME)?;
    let song = find_track(&ids, &titles, &artists, query)?;
    let rows = workdir
        .scan_table(Table::Recommendations)?
        .filter(col(cols::recommendations::TRACK_ID).eq(lit(ids[song].as_str())))
        .sort([cols::recommendations::RANK], SortMultipleOptions::default())
        .limit(k as IdxSize)
        .collect()
        .ctx("reading table `recommendations`")?;
    if rows.height() < k {
        return Ok(None);
    }
    let found = strings(&rows, "recommendations", cols::recommendations::REC_TRACK_ID)?;
    let distances = rows
        .column(cols::recommendations::DISTANCE)
        .ctx("table `recommendations`")?
        .f64()
        .ctx("table `recommendations` column `distance`")?
        .iter()
        .map(|d| d.unwrap_or(f64::NAN))
        .collect::<Vec<f64>>();
    let mut wanted: Vec<&str> = found.iter().map(String::as_str).collect();
    wanted.push(ids[song].as_str());
    let clusters = cluster_labels(workdir, &wanted)?;
    let row_of: std::collections::HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| wanted.contains(&id.as_str()))
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let entry = |id: &str, distance: f64| -> Result<Recommendation> {
        let &i = row_of.get(id).ok_or_else(|| Error::InvalidValue {
            table: "tracks".into(),
            column: cols::recommendations::TRACK_ID.into(),
            why: format!("no row for track `{id}` of `recommendations`; rerun `timbral similarity`"),
        })?;
        Ok(Recommendation {
            track_id: id.to_string(),
            artist_name: artists[i].clone(),
            title: titles[i].clone(),
            distance,
            cluster: clusters.as_ref().and_then(|c| c.get(id).copied()),
        })
    };
    let recommendations = found.iter().zip(distances).map(|(id, d)| entry(id, d)).collect::<Result<Vec<_>>>()?;
    Ok(Some(RecommendAnswer {
        query: entry(&ids[song], 0.0)?,
        space,
        recommendations,
    }))
}

/// The default cluster labels of the songs `ids`, when `clusters` exists.
fn cluster_labels(workdir: &Workdir, ids: &[&str]) -> Result<Option<std::collections::HashMap<String, i32>>> {
    if !workdir.has_table(Table::Clusters) {
        return Ok(None);
    }
    let column = Labels::default().column();
    let wanted = Series::new("wanted".into(), ids);
    let frame = workdir
        .scan_table(Table::Clusters)?
        .filter(col(cols::recommendations::TRACK_ID).is_in(lit(wanted).implode(false), false))
        .select([col(cols::recommendations::TRACK_ID), col(column)])
        .collect()
        .ctx("reading table `clusters`")?;
    let labels = frame.column(column).ctx("table `clusters`")?.i32().ctx(format!("table `clusters` column `{column}`"))?;
    let track_ids = strings(&frame, Table::Clusters.name(), cols::clusters::TRACK_ID)?;
    Ok(Some(track_ids.into_iter().zip(labels.iter()).filter_map(|(id, l)| Some((id, l?))).collect()))
}

/// The row of a song among `track_ids` (with its `titles` and `artist_names`). Ids match
/// exactly; titles case-insensitively, first as the whole title, then as a substring. Several
/// matching titles are an error listing them.
pub fn find_track(track_ids: &[String], titles: &[String], artist_names: &[String], query: &TrackQuery) -> Result<usize> {
    match query {
        TrackQuery::Id(id) => track_ids.iter().position(|t| t == id).ok_or_else(|| Error::NotFound {
            kind: "track id",
            value: id.clone(),
            hint: "; use --title to search by title".into(),
        }),
        TrackQuery::Title(text) => {
            let wanted = normalise_name(text);
            let normalised: Vec<String> = titles.iter().map(|t| normalise_name(t)).collect();
            let mut matches: Vec<usize> = (0..normalised.len()).filter(|&i| normalised[i] == wanted).collect();
            if matches.is_empty() {
                matches = (0..normalised.len()).filter(|&i| normalised[i].contains(&wanted)).collect();
            }
            match matches.as_slice() {
                [one] => Ok(*one),
                [] => Err(Error::NotFound {
                    kind: "title",
                    value: text.clone(),
                    hint: suggestion_hint(&closest(titles, text)),
                }),
                several => {
                    let listed: Vec<String> = several
                        .iter()
                        .map(|&i| format!("  {}  {} - {}", track_ids[i], artist_names[i], titles[i]))
                        .collect();
                    Err(Error::Ambiguous {
                        kind: "title",
                        value: text.to_string(),
                        matches: several.len(),
                        candidates: listed.join("\n"),
                    })
                }
            }
        }
    }
}

/// An artist's nearest and farthest artists.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtistAnswer {
    pub artist_name: String,
    pub songs: usize,
    pub space: Space,
    /// (artist name, mean distance, song pairs), nearest first.
    pub nearest: Vec<(String, f64, u64)>,
    /// Farthest first.
    pub farthest: Vec<(String, f64, u64)>,
}

/// `timbral artists`: the `n` nearest and farthest artists of the artist called `name`, as
/// `artist_similarity` computes them under `--knn auto` (see [`ArtistSpace::neighbours_of`]).
pub fn artist_neighbours(workdir: &Workdir, name: &str, n: usize) -> Result<ArtistAnswer> {
    let space = recorded_space(workdir, Table::ArtistSimilarity)?;
    let catalogue = Catalogue::load(workdir, space, CodebookUse::Query, Labels::default())?;
    let groups = ArtistGroups::of(&catalogue);
    let artist = find_artist(&groups, name)?;
    let result = ArtistSpace::new(&catalogue.points, &groups).neighbours_of(artist, n, KnnMethod::Auto);
    let named = |list: Vec<ArtistNeighbour>| {
        list.into_iter()
            .map(|x| (groups.names[x.other].clone(), x.distance, x.pairs))
            .collect()
    };
    Ok(ArtistAnswer {
        artist_name: groups.names[artist].clone(),
        songs: groups.members[artist].len(),
        space,
        nearest: named(result.nearest),
        farthest: named(result.farthest),
    })
}

/// The artist whose name equals `name` ignoring case and spacing, else an error suggesting
/// names that contain it or are a few edits away.
pub fn find_artist(groups: &ArtistGroups, name: &str) -> Result<usize> {
    let wanted = normalise_name(name);
    groups
        .names
        .iter()
        .position(|n| normalise_name(n) == wanted)
        .ok_or_else(|| Error::NotFound {
            kind: "artist",
            value: name.to_string(),
            hint: suggestion_hint(&closest(&groups.names, name)),
        })
}

/// Up to [`SUGGESTIONS`] candidates close to `text`: those containing it (or contained in
/// it) first, then by edit distance, keeping only plausible ones (at most a third of the
/// longer name edited).
pub fn closest(candidates: &[String], text: &str) -> Vec<String> {
    let wanted = normalise_name(text);
    let mut scored: Vec<(usize, usize, &String)> = candidates
        .iter()
        .filter_map(|c| {
            let norm = normalise_name(c);
            if !wanted.is_empty() && (norm.contains(&wanted) || wanted.contains(&norm)) {
                return Some((0, norm.len().abs_diff(wanted.len()), c));
            }
            let edits = levenshtein(&norm, &wanted);
            let longer = norm.chars().count().max(wanted.chars().count());
            (edits * 3 <= longer.max(3)).then_some((1, edits, c))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.2 == b.2);
    scored.into_iter().take(SUGGESTIONS).map(|(_, _, c)| c.clone()).collect()
}

fn suggestion_hint(names: &[String]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        format!("; did you mean {}?", quoted.join(", "))
    }
}

/// Edit distance (insertions, deletions, substitutions) over characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_data::random_catalogue;

    #[test]
    fn edit_distances() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("bach", "bach"), 0);
    }

    #[test]
    fn unknown_artist_suggests_close_names() {
        let names: Vec<String> = ["Johann Sebastian Bach", "Frédéric Chopin", "The Weeknd", "Oasis"]
            .map(String::from)
            .to_vec();
        assert_eq!(closest(&names, "bach"), vec!["Johann Sebastian Bach"]);
        assert_eq!(closest(&names, "the weekend"), vec!["The Weeknd"]);
        assert!(closest(&names, "zzzzzz").is_empty());

        let cat = random_catalogue(20, 4, 2, 3);
        let groups = ArtistGroups::of(&cat);
        assert_eq!(find_artist(&groups, "  artist   2 ").unwrap(), 2);
        let err = find_artist(&groups, "Artst 2").unwrap_err().to_string();
        assert!(err.contains("unknown artist `Artst 2`") && err.contains("`Artist 2`"), "{err}");
    }

    #[test]
    fn track_lookup_by_id_and_title() {
        let cat = random_catalogue(20, 4, 2, 3);
        let find_track = |cat: &Catalogue, query: &TrackQuery| find_track(&cat.track_ids, &cat.titles, &cat.artist_names, query);
        assert_eq!(find_track(&cat, &TrackQuery::Id("t00007".into())).unwrap(), 7);
        let err = find_track(&cat, &TrackQuery::Id("nope".into())).unwrap_err().to_string();
        assert!(err.contains("unknown track id `nope`"), "{err}");
        // Exact title wins over the substring matches "Song 10".."Song 19".
        assert_eq!(find_track(&cat, &TrackQuery::Title("song 1".into())).unwrap(), 1);
        let err = find_track(&cat, &TrackQuery::Title("SONG 1".into())).map(|_| ());
        assert!(err.is_ok());
        let err = find_track(&cat, &TrackQuery::Title("ng 1".into())).unwrap_err().to_string();
        assert!(err.contains("11 songs match") && err.contains("t00015"), "{err}");
        let err = find_track(&cat, &TrackQuery::Title("Sonk 3".into())).unwrap_err().to_string();
        assert!(err.contains("unknown title") && err.contains("`Song 3`"), "{err}");
    }
}
