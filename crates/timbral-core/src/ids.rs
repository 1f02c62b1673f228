//! Stable identifiers. Ids are short content hashes, so the same song or artist gets the same
//! id whatever the path or order of ingestion.

/// `prefix` followed by the first 22 hex digits (88 bits) of the BLAKE3 hash of `bytes`.
pub fn hash_id(prefix: &str, bytes: &[u8]) -> String {
    format_id(prefix, &blake3::hash(bytes))
}

/// [`hash_id`] of everything `reader` yields, streamed: a file's content id without loading it.
pub fn hash_id_reader(prefix: &str, reader: impl std::io::Read) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(reader)?;
    Ok(format_id(prefix, &hasher.finalize()))
}

fn format_id(prefix: &str, hash: &blake3::Hash) -> String {
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

    #[test]
    fn streamed_ids_equal_in_memory_ids() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let streamed = hash_id_reader("tr", std::io::Cursor::new(&bytes)).unwrap();
        assert_eq!(streamed, hash_id("tr", &bytes));
        assert_ne!(streamed, hash_id("tr", &bytes[1..]));
    }
}
