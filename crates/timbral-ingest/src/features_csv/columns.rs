//! Column mapping of public audio-features CSVs (documented in `docs/ingestion.md`): which
//! header names feed which contract field, and how their values are spelled (`C#`, `Major`,
//! `4/4`, `['Artist A', 'Artist B']`).

/// Header names accepted for each field, first present wins (compared case-insensitively).
pub const TRACK_ID: &[&str] = &["track_id", "id"];
pub const TITLE: &[&str] = &["track_name", "name", "title"];
pub const ARTIST: &[&str] = &["artist_name", "artists", "track_artist", "artist"];
pub const ALBUM: &[&str] = &["album_name", "album", "track_album_name"];
/// Every present genre column contributes (Kaggle `genre`, `track_genre`, TidyTuesday
/// `playlist_genre` and `playlist_subgenre`).
pub const GENRES: &[&str] = &["genre", "genres", "track_genre", "playlist_genre", "playlist_subgenre"];
pub const DURATION_MS: &[&str] = &["duration_ms"];
pub const DURATION_S: &[&str] = &["duration_s", "duration"];
pub const KEY: &[&str] = &["key"];
pub const MODE: &[&str] = &["mode"];
pub const TIME_SIGNATURE: &[&str] = &["time_signature"];

/// Pitch class of a key spelled as a number (`1`, `-1` = none) or a note name (`C#`, `Db`).
pub fn parse_key(text: &str) -> Result<Option<i32>, String> {
    let text = text.trim();
    if let Some(n) = parse_integer(text) {
        return Ok((0..12).contains(&n).then_some(n));
    }
    let mut chars = text.chars();
    let base: i32 = match chars.next().map(|c| c.to_ascii_uppercase()) {
        Some('C') => 0,
        Some('D') => 2,
        Some('E') => 4,
        Some('F') => 5,
        Some('G') => 7,
        Some('A') => 9,
        Some('B') => 11,
        _ => return Err(format!("`{text}` is not a key (0-11 or a note name such as C#)")),
    };
    let shift = match chars.as_str() {
        "" => 0,
        "#" | "♯" | "s" | "sharp" => 1,
        "b" | "♭" | "flat" => -1,
        _ => return Err(format!("`{text}` is not a key (0-11 or a note name such as C#)")),
    };
    Ok(Some((base + shift).rem_euclid(12)))
}

/// 1 for major, 0 for minor: `1`/`0` or `Major`/`Minor`.
pub fn parse_mode(text: &str) -> Result<Option<i32>, String> {
    let text = text.trim();
    match text.to_ascii_lowercase().as_str() {
        "major" => Ok(Some(1)),
        "minor" => Ok(Some(0)),
        _ => match parse_integer(text) {
            Some(n @ (0 | 1)) => Ok(Some(n)),
            Some(-1) => Ok(None),
            _ => Err(format!("`{text}` is not a mode (1/0 or Major/Minor)")),
        },
    }
}

/// Beats per bar: `4`, `4.0` or `4/4`.
pub fn parse_time_signature(text: &str) -> Result<Option<i32>, String> {
    let text = text.trim();
    let beats = text.split_once('/').map_or(text, |(beats, _)| beats);
    match parse_integer(beats) {
        Some(n) if n > 0 => Ok(Some(n)),
        Some(_) => Ok(None),
        None => Err(format!("`{text}` is not a time signature (4 or 4/4)")),
    }
}

/// An integer, also when written as a float with no fraction (`4.0`).
fn parse_integer(text: &str) -> Option<i32> {
    if let Ok(n) = text.parse::<i32>() {
        return Some(n);
    }
    match text.parse::<f64>() {
        Ok(v) if v.fract() == 0.0 && v.abs() < 1e9 => Some(v as i32),
        _ => None,
    }
}

/// A finite number.
pub fn parse_number(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("`{text}` is not a number")),
    }
}

/// The primary artist of an artist cell: `Artist`, `A;B` (first), or a Python list literal
/// `['A', "B's"]` (first element) as in the 1.2M-songs `tracks_features.csv`.
pub fn primary_artist(cell: &str) -> String {
    let cell = cell.trim();
    let first = match cell.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
        Some(list) => first_list_item(list),
        None => cell.split(';').next().unwrap_or(cell).to_string(),
    };
    first.trim().to_string()
}

/// First element of the inside of a Python list literal of strings.
fn first_list_item(list: &str) -> String {
    let list = list.trim_start();
    let mut chars = list.chars();
    let Some(quote @ ('\'' | '"')) = chars.next() else {
        return list.split(',').next().unwrap_or("").to_string();
    };
    let mut item = String::new();
    let mut escaped = false;
    for c in chars {
        match c {
            _ if escaped => {
                item.push(c);
                escaped = false;
            }
            '\\' => escaped = true,
            _ if c == quote => break,
            _ => item.push(c),
        }
    }
    item
}

/// Genre names of a cell: `;`-separated, trimmed, empty ones dropped.
pub fn split_genres(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(';').map(str::trim).filter(|g| !g.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_modes_and_signatures_in_every_spelling() {
        assert_eq!(parse_key("C#"), Ok(Some(1)));
        assert_eq!(parse_key("Db"), Ok(Some(1)));
        assert_eq!(parse_key("B"), Ok(Some(11)));
        assert_eq!(parse_key("Cb"), Ok(Some(11)));
        assert_eq!(parse_key("7"), Ok(Some(7)));
        assert_eq!(parse_key("-1"), Ok(None));
        assert!(parse_key("H").unwrap_err().contains("`H`"));
        assert_eq!(parse_mode("Major"), Ok(Some(1)));
        assert_eq!(parse_mode("minor"), Ok(Some(0)));
        assert_eq!(parse_mode("1"), Ok(Some(1)));
        assert!(parse_mode("2").is_err());
        assert_eq!(parse_time_signature("4/4"), Ok(Some(4)));
        assert_eq!(parse_time_signature("3.0"), Ok(Some(3)));
        assert_eq!(parse_time_signature("0/4"), Ok(None));
        assert!(parse_time_signature("four").is_err());
    }

    #[test]
    fn artists_from_lists_and_plain_cells() {
        assert_eq!(primary_artist("['Rage Against The Machine', 'X']"), "Rage Against The Machine");
        assert_eq!(primary_artist("[\"Guns N' Roses\"]"), "Guns N' Roses");
        assert_eq!(primary_artist("['It\\'s Me']"), "It's Me");
        assert_eq!(primary_artist("Gen Hoshino;Other"), "Gen Hoshino");
        assert_eq!(primary_artist(" Adele "), "Adele");
        assert_eq!(split_genres("pop; dance pop;;").collect::<Vec<_>>(), ["pop", "dance pop"]);
    }
}
