//! Stable identifiers. Ids are short content hashes, so the same song or artist gets the same
//! id whatever the path or order of ingestion.

/// `prefix` followed by the first 22 hex digits (88 bits) of the BLAKE3 hash of `bytes`.
pub fn hash_id(prefix: &str, bytes: &[u8]) -> String {
    let hash = blake3::hash(bytes);
    format!("{prefix}{}", &hash.to_hex()[..22])
}

/// Lower-case, trimmed, inner white space collapsed: "  The  Weeknd " and "the weeknd" agree.
pub fn normalise_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The artist id derived from the normalised artist name.
pub fn artist_id(name: &str) -> String {
    hash_id("ar", normalise_name(name).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artist_ids_ignore_case_and_spacing() {
        assert_eq!(artist_id("  The  Weeknd "), artist_id("the weeknd"));
        assert_ne!(artist_id("Bach"), artist_id("Chopin"));
        assert_eq!(artist_id("Bach").len(), 24);
    }
}
