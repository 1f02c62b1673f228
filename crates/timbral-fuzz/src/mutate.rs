//! Seeded mutations of a seed input: byte-level damage for every format (bit flips, truncation,
//! splicing with another seed, corrupted length fields, repeated and deleted chunks), plus
//! structure-aware damage for JSON (wrong types, huge and non-finite numbers, 12-value vectors
//! with 11 or 13 values, deep nesting) and CSV (BOM, broken quoting, a renamed key column,
//! non-UTF-8 cells). The same seed always gives the same sequence of inputs.

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// How the bytes of a kind are structured, which picks the structure-aware mutations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Binary,
    Json,
    Csv,
}

/// Values that break length and count fields: zero, one, sign bits, all ones.
const INTERESTING: [u64; 9] = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fff_ffff, u64::MAX];

/// One mutated input from `seed`, with `other` (another seed of the same kind) for splicing.
pub fn mutate(rng: &mut ChaCha8Rng, format: Format, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let structured = match format {
        Format::Json if rng.random_bool(0.5) => mutate_json(rng, seed),
        Format::Csv if rng.random_bool(0.5) => Some(mutate_csv(rng, seed)),
        _ => None,
    };
    let mut data = structured.unwrap_or_else(|| seed.to_vec());
    let rounds = rng.random_range(1..=4);
    for _ in 0..rounds {
        mutate_bytes(rng, &mut data, other);
    }
    data
}

/// One byte-level mutation in place.
fn mutate_bytes(rng: &mut ChaCha8Rng, data: &mut Vec<u8>, other: &[u8]) {
    if data.is_empty() {
        data.extend_from_slice(&other[..other.len().min(64)]);
        return;
    }
    let len = data.len();
    match rng.random_range(0..8) {
        0 => {
            for _ in 0..rng.random_range(1..=8) {
                let i = rng.random_range(0..len);
                data[i] ^= 1 << rng.random_range(0..8);
            }
        }
        1 => {
            let i = rng.random_range(0..len);
            data[i] = *INTERESTING.choose(rng).unwrap_or(&0) as u8;
        }
        2 => data.truncate(rng.random_range(0..len)),
        3 => {
            let cut = rng.random_range(0..len);
            let from = rng.random_range(0..=other.len());
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        4 => corrupt_length_field(rng, data),
        5 => {
            let (start, end) = chunk(rng, len);
            let copy = data[start..end].to_vec();
            let at = rng.random_range(0..=len);
            data.splice(at..at, copy);
        }
        6 => {
            let (start, end) = chunk(rng, len);
            data.drain(start..end);
        }
        _ => {
            let at = rng.random_range(0..=len);
            let noise: Vec<u8> = (0..rng.random_range(1..=32)).map(|_| rng.random()).collect();
            data.splice(at..at, noise);
        }
    }
}

/// Overwrites 1, 2, 4 or 8 bytes with an interesting value, little- or big-endian: what a
/// header's length, count or offset field looks like when corrupt.
fn corrupt_length_field(rng: &mut ChaCha8Rng, data: &mut [u8]) {
    let width = *[1usize, 2, 4, 8].choose(rng).unwrap_or(&4);
    if data.len() < width {
        return;
    }
    let at = rng.random_range(0..=data.len() - width);
    let value = *INTERESTING.choose(rng).unwrap_or(&0);
    let bytes = if rng.random_bool(0.5) { value.to_le_bytes() } else { value.to_be_bytes() };
    let window = if rng.random_bool(0.5) { &bytes[..width] } else { &bytes[8 - width..] };
    data[at..at + width].copy_from_slice(window);
}

/// A random range of at most 256 bytes within `len`.
fn chunk(rng: &mut ChaCha8Rng, len: usize) -> (usize, usize) {
    let start = rng.random_range(0..len);
    let end = (start + rng.random_range(1..=256)).min(len);
    (start, end)
}

/// Replaces one random node of the parsed document; `None` when the seed is not JSON.
fn mutate_json(rng: &mut ChaCha8Rng, seed: &[u8]) -> Option<Vec<u8>> {
    let mut doc: Value = serde_json::from_slice(seed).ok()?;
    let nodes = count_nodes(&doc);
    let target = rng.random_range(0..nodes);
    let mut index = 0;
    let replacement = json_replacement(rng);
    visit_nth(&mut doc, target, &mut index, &replacement);
    let mut text = serde_json::to_vec(&doc).ok()?;
    // Tokens JSON cannot carry, written as text where a number was.
    if rng.random_bool(0.3) {
        let token = *["NaN", "Infinity", "-Infinity", "1e999", "-0", "00012"].choose(rng)?;
        replace_nth_number(rng, &mut text, token.as_bytes());
    }
    Some(text)
}

/// What a node becomes.
#[derive(Debug, Clone)]
enum JsonDamage {
    Replace(Value),
    /// An array loses its last element (12 values become 11).
    Shorten,
    /// An array gains a copy of its first element (12 values become 13).
    Lengthen,
    /// The node wrapped in this many arrays.
    Nest(usize),
    Remove,
}

fn json_replacement(rng: &mut ChaCha8Rng) -> JsonDamage {
    match rng.random_range(0..9) {
        0 => JsonDamage::Replace(Value::Null),
        1 => JsonDamage::Replace(Value::String("not a number".into())),
        2 => JsonDamage::Replace(serde_json::json!(1.0e308)),
        3 => JsonDamage::Replace(serde_json::json!(-9_223_372_036_854_775_808i64)),
        4 => JsonDamage::Replace(serde_json::json!({"unexpected": [1, 2, 3]})),
        5 => JsonDamage::Shorten,
        6 => JsonDamage::Lengthen,
        // Past serde_json's recursion limit of 128, within the stack of the thread that mutates.
        7 => JsonDamage::Nest(rng.random_range(100..=600)),
        _ => JsonDamage::Remove,
    }
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Applies `damage` to the `target`-th node in pre-order; returns true once applied.
fn visit_nth(value: &mut Value, target: usize, index: &mut usize, damage: &JsonDamage) -> bool {
    if *index == target {
        apply_json_damage(value, damage);
        return true;
    }
    *index += 1;
    match value {
        Value::Array(items) => items.iter_mut().any(|v| visit_nth(v, target, index, damage)),
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let child_index = *index;
                if child_index == target && matches!(damage, JsonDamage::Remove) {
                    map.remove(&key);
                    return true;
                }
                if map.get_mut(&key).is_some_and(|v| visit_nth(v, target, index, damage)) {
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

fn apply_json_damage(value: &mut Value, damage: &JsonDamage) {
    match damage {
        JsonDamage::Shorten | JsonDamage::Lengthen => {
            let Value::Array(items) = value else {
                // Resizing a non-array empties it instead.
                *value = Value::Null;
                return;
            };
            match (damage, items.first().cloned()) {
                (JsonDamage::Lengthen, Some(first)) => items.push(first),
                _ => {
                    items.pop();
                }
            }
        }
        JsonDamage::Nest(depth) => {
            for _ in 0..*depth {
                *value = Value::Array(vec![value.take()]);
            }
        }
        JsonDamage::Replace(new) => *value = new.clone(),
        // Removing the root or an array item empties it instead.
        JsonDamage::Remove => *value = Value::Null,
    }
}

/// Replaces one number literal of `text` by `token`.
fn replace_nth_number(rng: &mut ChaCha8Rng, text: &mut Vec<u8>, token: &[u8]) {
    let starts: Vec<usize> = (0..text.len())
        .filter(|&i| {
            text[i].is_ascii_digit() && (i == 0 || matches!(text[i - 1], b':' | b',' | b'['))
        })
        .collect();
    let Some(&start) = starts.choose(rng) else { return };
    let end = (start..text.len())
        .find(|&i| !matches!(text[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'-' | b'+'))
        .unwrap_or(text.len());
    text.splice(start..end, token.iter().copied());
}

/// One CSV-shaped mutation of the seed's text.
fn mutate_csv(rng: &mut ChaCha8Rng, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    match rng.random_range(0..7) {
        0 => {
            data.splice(0..0, [0xEF, 0xBB, 0xBF]);
        }
        1 => insert_at_random_line(rng, &mut data, b"\"unterminated,quote\n"),
        2 => {
            // The header's first column (the key) renamed, as a missing key column.
            let end = data.iter().position(|&b| b == b',' || b == b'\n').unwrap_or(data.len());
            data.splice(0..end, b"renamed_key".iter().copied());
        }
        3 => insert_at_random_line(rng, &mut data, &[0xff, 0xfe, b',', 0xc3, 0x28, b'\n']),
        4 => data.iter_mut().filter(|b| **b == b',').for_each(|b| *b = b';'),
        5 => insert_at_random_line(rng, &mut data, b"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z\n"),
        _ => insert_at_random_line(rng, &mut data, b"\n\n,,,,\n"),
    }
    data
}

fn insert_at_random_line(rng: &mut ChaCha8Rng, data: &mut Vec<u8>, line: &[u8]) {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain((0..data.len()).filter(|&i| data[i] == b'\n').map(|i| i + 1))
        .collect();
    let at = *line_starts.choose(rng).unwrap_or(&0);
    data.splice(at..at, line.iter().copied());
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_inputs_and_inputs_differ_from_the_seed() {
        let seed = br#"{"segments":[{"timbre":[1,2,3,4,5,6,7,8,9,10,11,12]}],"track":{"tempo":120.5}}"#;
        let run = |s| {
            let mut rng = ChaCha8Rng::seed_from_u64(s);
            (0..50).map(|_| mutate(&mut rng, Format::Json, seed, b"other")).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(7).iter().filter(|m| m.as_slice() != seed).count() >= 45);
    }

    #[test]
    fn shortening_and_lengthening_change_a_twelve_value_vector() {
        let mut doc = serde_json::json!({"timbre": vec![0; 12]});
        visit_nth(&mut doc, 1, &mut 0, &JsonDamage::Shorten);
        assert_eq!(doc["timbre"].as_array().map(Vec::len), Some(11));
        let mut doc = serde_json::json!({"timbre": vec![0; 12]});
        visit_nth(&mut doc, 1, &mut 0, &JsonDamage::Lengthen);
        assert_eq!(doc["timbre"].as_array().map(Vec::len), Some(13));
    }
}
