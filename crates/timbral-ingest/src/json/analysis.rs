//! Serde model of a Spotify audio-analysis document (`GET /v1/audio-analysis/{id}`), parsed
//! straight from bytes into records: no intermediate `Value`, no allocation per segment
//! beyond the output vector. Blocks timbral does not use (`bars`, `beats`, `tatums`, `meta`)
//! and unknown keys are skipped by the parser without being built. Every error names the
//! field at fault, e.g. `segments[17].pitches: expected 12 values, found 11`.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::tables::{SectionRecord, SegmentRecord};

/// Loudness in dB that Echo Nest data uses for digital silence; the `loudness_end` of a last
/// segment that does not state one.
pub const SILENCE_DB: f64 = -60.0;

/// What timbral keeps of one audio-analysis document.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub track: TrackBlock,
    pub segments: Vec<SegmentRecord>,
    pub sections: Vec<SectionRecord>,
}

/// The `track` block: track-level analysis. `duration` is required, the rest optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackBlock {
    pub duration: f64,
    pub loudness: Option<f64>,
    pub tempo: Option<f64>,
    pub tempo_confidence: Option<f64>,
    pub time_signature: Option<i32>,
    pub time_signature_confidence: Option<f64>,
    pub key: Option<i32>,
    pub key_confidence: Option<f64>,
    pub mode: Option<i32>,
    pub mode_confidence: Option<f64>,
}

/// Parses one document.
pub fn parse_analysis(bytes: &[u8]) -> Result<Analysis, String> {
    let doc: Document = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let track = doc.track.ok_or("missing field `track`")?.0;
    let track = TrackBlock {
        duration: track.scalars[0].ok_or("missing field `track.duration`")?,
        loudness: track.scalars[1],
        tempo: track.scalars[2],
        tempo_confidence: track.scalars[3],
        time_signature: detected(integer(&track, &TRACK, 4, "track")?),
        time_signature_confidence: track.scalars[5],
        key: detected(integer(&track, &TRACK, 6, "track")?),
        key_confidence: track.scalars[7],
        mode: detected(integer(&track, &TRACK, 8, "track")?),
        mode_confidence: track.scalars[9],
    };
    let Elements(segments, _) = doc.segments.ok_or("missing field `segments`")?;
    if segments.is_empty() {
        return Err("field `segments` is empty".into());
    }
    let mut segments: Vec<SegmentRecord> = segments.into_iter().map(segment_record).collect();
    fill_loudness_end(&mut segments);
    let sections = match doc.sections {
        Some(Elements(list, _)) => list
            .iter()
            .enumerate()
            .map(|(i, s)| section_record(s, i))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    Ok(Analysis { track, segments, sections })
}

/// Spotify and the Million Song Dataset state `loudness_end` only for some segments: a missing
/// one (marked NaN) is the next segment's `loudness_start`, or [`SILENCE_DB`] for the last.
pub fn fill_loudness_end(segments: &mut [SegmentRecord]) {
    for i in 0..segments.len() {
        if segments[i].loudness_end.is_nan() {
            segments[i].loudness_end =
                segments.get(i + 1).map_or(SILENCE_DB, |next| next.loudness_start);
        }
    }
}

/// Key, mode and time signature of -1 mean "not detected" in Spotify data.
pub(crate) fn detected(value: Option<i32>) -> Option<i32> {
    value.filter(|v| *v >= 0)
}

/// The numeric fields one kind of JSON object contributes; every other key is skipped.
struct Layout {
    /// Path prefix in error messages: `track`, `segments`, `sections`.
    name: &'static str,
    scalars: &'static [&'static str],
    /// Fields holding exactly 12 numbers.
    vectors: &'static [&'static str],
    /// Scalars that must be present (indices into `scalars`), vectors are always required.
    required: &'static [usize],
}

const TRACK: Layout = Layout {
    name: "track",
    scalars: &[
        "duration",
        "loudness",
        "tempo",
        "tempo_confidence",
        "time_signature",
        "time_signature_confidence",
        "key",
        "key_confidence",
        "mode",
        "mode_confidence",
    ],
    vectors: &[],
    required: &[],
};

/// `loudness_end` (index 6) is optional: see [`fill_loudness_end`].
const SEGMENT: Layout = Layout {
    name: "segments",
    scalars: &[
        "start",
        "duration",
        "confidence",
        "loudness_start",
        "loudness_max",
        "loudness_max_time",
        "loudness_end",
    ],
    vectors: &["pitches", "timbre"],
    required: &[0, 1, 2, 3, 4, 5],
};

const SECTION: Layout = Layout {
    name: "sections",
    scalars: &["start", "duration", "confidence", "loudness", "tempo", "key", "mode", "time_signature"],
    vectors: &[],
    required: &[0, 1],
};

const MAX_SCALARS: usize = 10;

/// The parsed numeric fields of one object, by position in its [`Layout`].
#[derive(Default)]
struct Fields {
    scalars: [Option<f64>; MAX_SCALARS],
    vectors: [[f32; 12]; 2],
}

fn segment_record(f: Fields) -> SegmentRecord {
    let s = |i: usize| f.scalars[i].unwrap_or(f64::NAN);
    SegmentRecord {
        start: s(0),
        duration: s(1),
        confidence: s(2),
        loudness_start: s(3),
        loudness_max: s(4),
        loudness_max_time: s(5),
        loudness_end: s(6),
        pitches: f.vectors[0],
        timbre: f.vectors[1],
    }
}

fn section_record(f: &Fields, index: usize) -> Result<SectionRecord, String> {
    let name = format!("sections[{index}]");
    Ok(SectionRecord {
        start: f.scalars[0].unwrap_or_default(),
        duration: f.scalars[1].unwrap_or_default(),
        confidence: f.scalars[2],
        loudness: f.scalars[3],
        tempo: f.scalars[4],
        key: detected(integer(f, &SECTION, 5, &name)?),
        mode: detected(integer(f, &SECTION, 6, &name)?),
        time_signature: detected(integer(f, &SECTION, 7, &name)?),
    })
}

/// Scalar `i` as an integer; a fractional value is an error naming the field.
fn integer(f: &Fields, layout: &Layout, i: usize, path: &str) -> Result<Option<i32>, String> {
    match f.scalars[i] {
        None => Ok(None),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e9 => Ok(Some(v as i32)),
        Some(v) => Err(format!("{path}.{}: expected an integer, found {v}", layout.scalars[i])),
    }
}

#[derive(Deserialize)]
struct Document {
    track: Option<Object<TrackKind>>,
    segments: Option<Elements<SegmentKind>>,
    sections: Option<Elements<SectionKind>>,
}

/// Ties a Rust type to its [`Layout`], so that serde's derive can pick the parser.
trait Kind {
    const LAYOUT: &'static Layout;
}
struct TrackKind;
struct SegmentKind;
struct SectionKind;
impl Kind for TrackKind {
    const LAYOUT: &'static Layout = &TRACK;
}
impl Kind for SegmentKind {
    const LAYOUT: &'static Layout = &SEGMENT;
}
impl Kind for SectionKind {
    const LAYOUT: &'static Layout = &SECTION;
}

/// One object of kind `K`.
struct Object<K>(Fields, std::marker::PhantomData<K>);

impl<'de, K: Kind> Deserialize<'de> for Object<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ObjectSeed { layout: K::LAYOUT, index: None }
            .deserialize(deserializer)
            .map(|f| Object(f, std::marker::PhantomData))
    }
}

/// An array of objects of kind `K`.
struct Elements<K>(Vec<Fields>, std::marker::PhantomData<K>);

impl<'de, K: Kind> Deserialize<'de> for Elements<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_seq(ArrayVisitor { layout: K::LAYOUT })
            .map(|list| Elements(list, std::marker::PhantomData))
    }
}

struct ArrayVisitor {
    layout: &'static Layout,
}

impl<'de> Visitor<'de> for ArrayVisitor {
    type Value = Vec<Fields>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of {}", self.layout.name)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Fields>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(fields) =
            seq.next_element_seed(ObjectSeed { layout: self.layout, index: Some(out.len()) })?
        {
            out.push(fields);
        }
        Ok(out)
    }
}

struct ObjectSeed {
    layout: &'static Layout,
    index: Option<usize>,
}

impl ObjectSeed {
    fn path(&self, field: &str) -> String {
        match self.index {
            Some(i) => format!("{}[{i}].{field}", self.layout.name),
            None => format!("{}.{field}", self.layout.name),
        }
    }

    fn object_path(&self) -> String {
        match self.index {
            Some(i) => format!("{}[{i}]", self.layout.name),
            None => self.layout.name.to_string(),
        }
    }
}

impl<'de> DeserializeSeed<'de> for ObjectSeed {
    type Value = Fields;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Fields, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object for {}", self.object_path())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let layout = self.layout;
        let mut fields = Fields::default();
        let mut seen_vectors = [false; 2];
        while let Some(key) = map.next_key_seed(KeySeed(layout))? {
            match key {
                Key::Scalar(i) => {
                    // JSON null counts as absent.
                    fields.scalars[i] = map.next_value::<Option<f64>>().map_err(|e| {
                        <A::Error as de::Error>::custom(format!(
                            "{}: {}",
                            self.path(layout.scalars[i]),
                            without_position(&e)
                        ))
                    })?;
                }
                Key::Vector(i) => {
                    let name = layout.vectors[i];
                    fields.vectors[i] = map
                        .next_value::<Vector12>()
                        .map_err(|e| {
                            <A::Error as de::Error>::custom(format!(
                                "{}: {}",
                                self.path(name),
                                without_position(&e)
                            ))
                        })?
                        .0;
                    seen_vectors[i] = true;
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let missing = layout
            .required
            .iter()
            .find(|&&i| fields.scalars[i].is_none())
            .map(|&i| layout.scalars[i])
            .or_else(|| {
                layout.vectors.iter().zip(seen_vectors).find(|(_, seen)| !seen).map(|(n, _)| *n)
            });
        match missing {
            Some(name) => Err(de::Error::custom(format!("missing field `{}`", self.path(name)))),
            None => Ok(fields),
        }
    }
}

enum Key {
    Scalar(usize),
    Vector(usize),
    Other,
}

/// Matches a key against a layout without allocating.
struct KeySeed(&'static Layout);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        let layout = self.0;
        Ok(if let Some(i) = layout.scalars.iter().position(|n| *n == key) {
            Key::Scalar(i)
        } else if let Some(i) = layout.vectors.iter().position(|n| *n == key) {
            Key::Vector(i)
        } else {
            Key::Other
        })
    }
}

/// serde_json appends "at line L column C" to an error and again when it is wrapped; keep the
/// innermost message and let the outer error carry the position.
fn without_position(error: &impl fmt::Display) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// Exactly twelve numbers, read without allocating.
struct Vector12([f32; 12]);

impl<'de> Deserialize<'de> for Vector12 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(Vector12Visitor)
    }
}

struct Vector12Visitor;

impl<'de> Visitor<'de> for Vector12Visitor {
    type Value = Vector12;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of 12 numbers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vector12, A::Error> {
        let mut values = [0f32; 12];
        let mut len = 0;
        while let Some(v) = seq.next_element::<f64>()? {
            if len < 12 {
                values[len] = v as f32;
            }
            len += 1;
        }
        if len != 12 {
            return Err(de::Error::custom(format!("expected 12 values, found {len}")));
        }
        Ok(Vector12(values))
    }
}
