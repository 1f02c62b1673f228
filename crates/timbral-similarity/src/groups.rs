//! Songs grouped by a label (artist, genre), in label order.

use std::collections::BTreeMap;

use crate::catalogue::Catalogue;

/// The songs (catalogue rows, ascending) of each artist, artists sorted by id.
#[derive(Debug, Clone)]
pub struct ArtistGroups {
    pub ids: Vec<String>,
    /// The name on the artist's first song.
    pub names: Vec<String>,
    pub members: Vec<Vec<usize>>,
}

impl ArtistGroups {
    pub fn of(catalogue: &Catalogue) -> ArtistGroups {
        let mut by_id: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, id) in catalogue.artist_ids.iter().enumerate() {
            by_id.entry(id.as_str()).or_default().push(i);
        }
        let mut groups = ArtistGroups {
            ids: Vec::with_capacity(by_id.len()),
            names: Vec::with_capacity(by_id.len()),
            members: Vec::with_capacity(by_id.len()),
        };
        for (id, members) in by_id {
            groups.ids.push(id.to_string());
            groups.names.push(catalogue.artist_names[members[0]].clone());
            groups.members.push(members);
        }
        groups
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// The songs of each genre (a song counts in each of its genres), genres sorted by name.
pub fn genre_members(catalogue: &Catalogue) -> BTreeMap<String, Vec<usize>> {
    let mut by_genre: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, genres) in catalogue.genres.iter().enumerate() {
        for genre in genres {
            by_genre.entry(genre.clone()).or_default().push(i);
        }
    }
    by_genre
}
