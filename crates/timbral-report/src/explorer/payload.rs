//! The explorer's binary data: little-endian arrays of small integers, each stored as byte
//! planes (every value's first byte, then every value's second byte, ...; gzip compresses the
//! mostly-zero high planes of small numbers to almost nothing), concatenated, gzipped and
//! base64-encoded. A JSON directory tells the page where each array starts. Base64 has no `<`,
//! so the data cannot end its `<script>` element.

use std::io::Write as _;

use base64::Engine as _;
use flate2::write::GzEncoder;
use serde_json::{json, Value};

/// One array of the payload.
struct Entry {
    name: &'static str,
    /// Byte offset in the decompressed payload.
    offset: usize,
    /// Number of values.
    len: usize,
    /// Bytes per value: 1, 2 or 4.
    width: usize,
}

#[derive(Default)]
pub struct Payload {
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

impl Payload {
    pub fn u8s(&mut self, name: &'static str, values: &[u8]) {
        self.push(name, 1, values.len(), values.iter().map(|&v| u32::from(v)));
    }

    pub fn u16s(&mut self, name: &'static str, values: &[u16]) {
        self.push(name, 2, values.len(), values.iter().map(|&v| u32::from(v)));
    }

    pub fn u32s(&mut self, name: &'static str, values: &[u32]) {
        self.push(name, 4, values.len(), values.iter().copied());
    }

    /// Strings as one table: their lengths in UTF-16 code units (`{name}_lengths`, so that the
    /// page slices one decoded JavaScript string) and their UTF-8 text (`{name}_text`).
    pub fn strings<'a>(&mut self, names: (&'static str, &'static str), strings: impl Iterator<Item = &'a str> + Clone) {
        let lengths: Vec<u32> = strings.clone().map(|s| s.encode_utf16().count() as u32).collect();
        self.u32s(names.0, &lengths);
        let text: Vec<u8> = strings.flat_map(str::bytes).collect();
        self.u8s(names.1, &text);
    }

    fn push(&mut self, name: &'static str, width: usize, len: usize, values: impl Iterator<Item = u32> + Clone) {
        let offset = self.bytes.len();
        for plane in 0..width {
            self.bytes.extend(values.clone().map(|v| (v >> (8 * plane)) as u8));
        }
        self.entries.push(Entry { name, offset, len, width });
    }

    /// The gzipped payload as base64, and its directory: `{name: [offset, len, width]}`.
    pub fn encode(self) -> std::io::Result<(String, Value)> {
        let mut gzip = GzEncoder::new(Vec::with_capacity(self.bytes.len() / 3), flate2::Compression::default());
        gzip.write_all(&self.bytes)?;
        let compressed = gzip.finish()?;
        let directory: serde_json::Map<String, Value> =
            self.entries.iter().map(|e| (e.name.to_string(), json!([e.offset, e.len, e.width]))).collect();
        Ok((base64::engine::general_purpose::STANDARD.encode(compressed), Value::Object(directory)))
    }
}

/// Distances as u16 codes on a log scale between the smallest positive and the largest value
/// (relative error below 1e-4 while they span four orders of magnitude, 1.5e-4 at eight):
/// code 0 is a distance of zero, [`LogScale::MISSING`] no value.
#[derive(Debug, Clone, Copy)]
pub struct LogScale {
    lo: f64,
    hi: f64,
}

impl LogScale {
    pub const MISSING: u16 = u16::MAX;
    const TOP: f64 = (u16::MAX - 2) as f64;

    pub fn fit(values: impl Iterator<Item = f64>) -> LogScale {
        let (lo, hi) = values
            .filter(|v| v.is_finite() && *v > 0.0)
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if lo.is_finite() { LogScale { lo, hi } } else { LogScale { lo: 1.0, hi: 1.0 } }
    }

    pub fn encode(&self, value: Option<f64>) -> u16 {
        match value {
            None => Self::MISSING,
            Some(v) if !v.is_finite() => Self::MISSING,
            Some(v) if v <= 0.0 => 0,
            Some(_) if self.hi <= self.lo => 1,
            Some(v) => 1 + ((v / self.lo).ln() / (self.hi / self.lo).ln() * Self::TOP).round().clamp(0.0, Self::TOP) as u16,
        }
    }

    /// What the page needs to decode: `value = lo * (hi / lo) ^ ((code - 1) / top)`.
    pub fn json(&self) -> Value {
        json!({ "lo": self.lo, "hi": self.hi, "top": Self::TOP })
    }

    #[cfg(test)]
    fn decode(&self, code: u16) -> Option<f64> {
        match code {
            Self::MISSING => None,
            0 => Some(0.0),
            c => Some(self.lo * (self.hi / self.lo).powf(f64::from(c - 1) / Self::TOP)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use base64::Engine as _;

    use super::*;

    #[test]
    fn arrays_are_stored_as_byte_planes_in_one_gzip_stream() {
        let mut payload = Payload::default();
        payload.u16s("a", &[0x0102, 0x0304]);
        payload.strings(("len", "text"), ["é", "ab"].into_iter());
        let (base64, directory) = payload.encode().unwrap();
        assert!(base64.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
        let gz = base64::engine::general_purpose::STANDARD.decode(base64).unwrap();
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut bytes).unwrap();
        assert_eq!(&bytes[..4], &[0x02, 0x04, 0x01, 0x03]);
        assert_eq!(directory["len"], json!([4, 2, 4]));
        // UTF-16 lengths (é is one unit, two UTF-8 bytes), then the UTF-8 text.
        assert_eq!(&bytes[4..12], &[1, 2, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&bytes[12..], "éab".as_bytes());
    }

    #[test]
    fn log_scale_round_trips_within_1e4() {
        let scale = LogScale::fit([1e-3, 0.5, 2.0, 40.0].into_iter());
        for v in [1e-3, 0.0123, 0.5, 2.0, 7.77, 40.0] {
            let back = scale.decode(scale.encode(Some(v))).unwrap();
            assert!((back - v).abs() <= 1e-4 * v, "{v} -> {back}");
        }
        assert_eq!(scale.decode(scale.encode(Some(0.0))), Some(0.0));
        assert_eq!(scale.decode(scale.encode(None)), None);
    }
}
