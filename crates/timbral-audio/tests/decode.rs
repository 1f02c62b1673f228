//! Decoding real encoded files (WAV written here, Ogg Vorbis and FLAC fixtures made by
//! tests/fixtures/make_audio_fixtures.py) and the errors bad files must give.

mod common;

use std::path::{Path, PathBuf};

use common::argmax;
use timbral_audio::{AnalyzerConfig, AudioError, Tags, analyze_file, read_tags};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A 16-bit PCM WAV, written byte by byte (RIFF header, `fmt ` and `data` chunks).
fn wav_bytes(rate: u32, channels: u16, interleaved: &[i16]) -> Vec<u8> {
    let mut data = Vec::new();
    for s in interleaved {
        data.extend_from_slice(&s.to_le_bytes());
    }
    let block_align = channels * 2;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&((4 + 24 + 8 + data.len()) as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

/// Stereo 44.1 kHz: 440 Hz on the left, 880 Hz quieter on the right, `seconds` long.
fn stereo_wav(seconds: f64) -> Vec<u8> {
    let n = (seconds * 44_100.0) as usize;
    let samples: Vec<i16> = (0..n)
        .flat_map(|i| {
            let t = i as f64 / 44_100.0;
            let left = 0.5 * (2.0 * std::f64::consts::PI * 440.0 * t).sin();
            let right = 0.2 * (2.0 * std::f64::consts::PI * 880.0 * t).sin();
            [(left * 32767.0) as i16, (right * 32767.0) as i16]
        })
        .collect();
    wav_bytes(44_100, 2, &samples)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn wav_decodes_downmixes_and_resamples() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "tone.wav", &stereo_wav(3.0));
    let (tags, analysis) = analyze_file(&path, &AnalyzerConfig::default()).unwrap();
    assert!(
        (analysis.duration_s - 3.0).abs() < 1e-3,
        "duration {}",
        analysis.duration_s
    );
    // Both channels are heard: A (440 and 880 Hz) dominates every segment.
    for s in &analysis.segments {
        assert_eq!(argmax(&s.pitches), 9);
    }
    // An untagged file has no tags (symphonia 0.6.1 drops RIFF INFO tags, so WAV is untagged).
    assert_eq!(tags, Tags::default());
    assert_eq!(read_tags(&path).unwrap(), Tags::default());
}

#[test]
fn ogg_flac_and_mp3_fixtures_decode_with_tags() {
    let expected = Tags {
        artist: Some("Fixture Artist".into()),
        composer: None,
        album_artist: None,
        title: Some("C Major Chord".into()),
        album: Some("Fixture Album".into()),
        genre: Some("Ambient".into()),
        date: Some("2024".into()),
    };
    // MP3 keeps the encoder's padding (symphonia does not trim LAME gapless info by default).
    for (name, duration_tolerance) in [
        ("chord.ogg", 0.01),
        ("chord.flac", 0.001),
        ("chord.mp3", 0.08),
    ] {
        let (tags, analysis) = analyze_file(&fixture(name), &AnalyzerConfig::default()).unwrap();
        assert_eq!(tags, expected, "{name}");
        assert!(
            (analysis.duration_s - 3.0).abs() < duration_tolerance,
            "{name}: {}",
            analysis.duration_s
        );
        for s in &analysis.segments {
            let mut order: Vec<usize> = (0..12).collect();
            order.sort_by(|&a, &b| s.pitches[b].total_cmp(&s.pitches[a]));
            let mut top3 = order[..3].to_vec();
            top3.sort();
            assert_eq!(top3, vec![0, 4, 7], "{name}: {:?}", s.pitches);
        }
        assert_eq!(read_tags(&fixture(name)).unwrap(), expected);
    }
}

#[test]
fn truncated_ogg_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("chord.ogg")).unwrap();
    let path = write(dir.path(), "cut.ogg", &bytes[..bytes.len() * 6 / 10]);
    let err = analyze_file(&path, &AnalyzerConfig::default()).unwrap_err();
    assert!(matches!(err, AudioError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("cut.ogg"), "{err}");
}

#[test]
fn ogg_truncated_mid_stream_is_corrupt() {
    // Long enough for the headers and first pages to parse, so the cut is hit while decoding.
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("chord.ogg")).unwrap();
    let path = write(dir.path(), "cut_late.ogg", &bytes[..bytes.len() - 1500]);
    let err = analyze_file(&path, &AnalyzerConfig::default()).unwrap_err();
    assert!(matches!(err, AudioError::Corrupt { .. }), "{err}");
}

#[test]
fn truncated_flac_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("chord.flac")).unwrap();
    let path = write(dir.path(), "cut.flac", &bytes[..bytes.len() / 2]);
    let err = analyze_file(&path, &AnalyzerConfig::default()).unwrap_err();
    assert!(matches!(err, AudioError::Corrupt { .. }), "{err}");
}

#[test]
fn text_named_mp3_is_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "notes.mp3",
        b"This is a shopping list, not an MP3.\nMilk\nEggs\n"
            .repeat(40)
            .as_slice(),
    );
    let err = analyze_file(&path, &AnalyzerConfig::default()).unwrap_err();
    assert!(matches!(err, AudioError::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("notes.mp3"));
    assert!(matches!(
        read_tags(&path),
        Err(AudioError::Unsupported { .. })
    ));
}

#[test]
fn empty_flac_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "nothing.flac", b"");
    let err = analyze_file(&path, &AnalyzerConfig::default()).unwrap_err();
    assert!(matches!(err, AudioError::Empty { .. }), "{err}");
    assert_eq!(err.kind(), "empty");
}

#[test]
fn missing_file_is_an_io_error() {
    let err = analyze_file(
        Path::new("/nonexistent/dir/song.ogg"),
        &AnalyzerConfig::default(),
    )
    .unwrap_err();
    assert!(matches!(err, AudioError::Io { .. }), "{err}");
}

#[test]
fn silent_and_short_wavs_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let silent = write(
        dir.path(),
        "silent.wav",
        &wav_bytes(44_100, 1, &vec![0i16; 44_100 * 3]),
    );
    assert!(matches!(
        analyze_file(&silent, &AnalyzerConfig::default()),
        Err(AudioError::Silent { .. })
    ));
    let short = write(dir.path(), "short.wav", &stereo_wav(0.3));
    assert!(matches!(
        analyze_file(&short, &AnalyzerConfig::default()),
        Err(AudioError::TooShort { .. })
    ));
}

#[test]
fn garbage_bytes_never_panic() {
    // Valid headers followed by noise, and noise alone, under several extensions.
    let dir = tempfile::tempdir().unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut noise = vec![0u8; 20_000];
    for b in noise.iter_mut() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *b = state as u8;
    }
    let ogg = std::fs::read(fixture("chord.ogg")).unwrap();
    let flac = std::fs::read(fixture("chord.flac")).unwrap();
    let mp3 = std::fs::read(fixture("chord.mp3")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("noise.ogg", noise.clone()),
        ("noise.wav", noise.clone()),
        ("noise.mp3", noise.clone()),
        ("hdr.ogg", [&ogg[..200], &noise[..]].concat()),
        ("hdr.flac", [&flac[..100], &noise[..]].concat()),
        ("hdr.mp3", [&mp3[..300], &noise[..]].concat()),
        ("cut.mp3", mp3[..mp3.len() / 3].to_vec()),
        ("hdr.wav", [&stereo_wav(1.0)[..44], &noise[..]].concat()),
    ];
    for (name, bytes) in cases {
        let path = write(dir.path(), name, &bytes);
        // Any error variant is acceptable here; the point is no panic and a named path.
        if let Err(e) = analyze_file(&path, &AnalyzerConfig::default()) {
            assert!(e.to_string().contains(name), "{e}");
        }
        let _ = read_tags(&path);
    }
}
