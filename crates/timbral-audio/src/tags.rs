//! Tags (Vorbis comments, ID3v1/v2, FLAC, APE, RIFF INFO, MP4) collected from symphonia's
//! metadata log into [`Tags`].

use std::path::Path;

use symphonia::core::formats::FormatReader;
use symphonia::core::meta::{MetadataRevision, RawValue, StandardTag, Tag};

use crate::Tags;
use crate::probe::open_format;
use crate::error::AudioError;

impl Tags {
    /// The artist to credit: ARTIST, else COMPOSER, else ALBUMARTIST.
    pub fn credited_artist(&self) -> Option<&str> {
        self.artist
            .as_deref()
            .or(self.composer.as_deref())
            .or(self.album_artist.as_deref())
    }
}

/// Read the tags of an audio file without decoding its audio.
pub fn read_tags(path: &Path) -> Result<Tags, AudioError> {
    let mut format = open_format(path)?;
    let mut tags = Tags::default();
    absorb_pending_metadata(format.as_mut(), &mut tags);
    Ok(tags)
}

/// Fold every metadata revision the reader holds into `tags`; the first value seen wins.
pub(crate) fn absorb_pending_metadata(format: &mut dyn FormatReader, tags: &mut Tags) {
    let mut metadata = format.metadata();
    loop {
        if let Some(revision) = metadata.current() {
            absorb_revision(revision, tags);
        }
        if metadata.pop().is_none() {
            break;
        }
    }
}

fn absorb_revision(revision: &MetadataRevision, tags: &mut Tags) {
    let per_track = revision
        .per_track
        .iter()
        .flat_map(|t| t.metadata.tags.iter());
    for tag in revision.media.tags.iter().chain(per_track) {
        absorb_tag(tag, tags);
    }
}

fn absorb_tag(tag: &Tag, tags: &mut Tags) {
    let (slot, value): (&mut Option<String>, String) = match &tag.std {
        Some(StandardTag::Artist(v)) => (&mut tags.artist, v.to_string()),
        Some(StandardTag::Composer(v)) => (&mut tags.composer, v.to_string()),
        Some(StandardTag::AlbumArtist(v)) => (&mut tags.album_artist, v.to_string()),
        Some(StandardTag::TrackTitle(v)) => (&mut tags.title, v.to_string()),
        Some(StandardTag::Album(v)) => (&mut tags.album, v.to_string()),
        Some(StandardTag::Genre(v)) => (&mut tags.genre, v.to_string()),
        Some(
            StandardTag::RecordingDate(v)
            | StandardTag::ReleaseDate(v)
            | StandardTag::OriginalRecordingDate(v)
            | StandardTag::OriginalReleaseDate(v),
        ) => (&mut tags.date, v.to_string()),
        Some(
            StandardTag::RecordingYear(y)
            | StandardTag::ReleaseYear(y)
            | StandardTag::OriginalRecordingYear(y)
            | StandardTag::OriginalReleaseYear(y),
        ) => (&mut tags.date, y.to_string()),
        Some(_) => return,
        None => match raw_slot(&tag.raw.key, tags) {
            Some(slot) => match raw_text(&tag.raw.value) {
                Some(text) => (slot, text),
                None => return,
            },
            None => return,
        },
    };
    let value = value.trim();
    if slot.is_none() && !value.is_empty() {
        *slot = Some(value.to_string());
    }
}

/// Fallback for tags symphonia did not map to a standard key.
fn raw_slot<'a>(key: &str, tags: &'a mut Tags) -> Option<&'a mut Option<String>> {
    let key = key.trim().to_ascii_uppercase().replace([' ', '_'], "");
    match key.as_str() {
        "ARTIST" | "TPE1" => Some(&mut tags.artist),
        "COMPOSER" | "TCOM" => Some(&mut tags.composer),
        "ALBUMARTIST" | "TPE2" => Some(&mut tags.album_artist),
        "TITLE" | "TIT2" => Some(&mut tags.title),
        "ALBUM" | "TALB" => Some(&mut tags.album),
        "GENRE" | "TCON" => Some(&mut tags.genre),
        "DATE" | "YEAR" | "TDRC" | "TYER" => Some(&mut tags.date),
        _ => None,
    }
}

fn raw_text(value: &RawValue) -> Option<String> {
    match value {
        RawValue::String(s) => Some(s.to_string()),
        RawValue::StringList(list) => Some(list.join(";")),
        RawValue::SignedInt(i) => Some(i.to_string()),
        RawValue::UnsignedInt(u) => Some(u.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credited_artist_falls_back_in_order() {
        let mut tags = Tags {
            album_artist: Some("Band".into()),
            ..Tags::default()
        };
        assert_eq!(tags.credited_artist(), Some("Band"));
        tags.composer = Some("Composer".into());
        assert_eq!(tags.credited_artist(), Some("Composer"));
        tags.artist = Some("Artist".into());
        assert_eq!(tags.credited_artist(), Some("Artist"));
        assert_eq!(Tags::default().credited_artist(), None);
    }
}
