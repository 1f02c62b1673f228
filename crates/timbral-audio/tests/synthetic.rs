//! Analyser behaviour on signals synthesised here, with known ground truth.

mod common;

use common::*;
use timbral_audio::{AnalyzerConfig, AudioError, Segment, TrackAnalysis, analyze_samples};

fn analyze(signal: &[f32]) -> TrackAnalysis {
    match analyze_samples(signal, SR, &AnalyzerConfig::default()) {
        Ok(a) => a,
        Err(e) => panic!("analysis failed: {e}"),
    }
}

/// Segments that lie fully inside `[from, to)` seconds (skips edge effects).
fn inner(segments: &[Segment], from: f64, to: f64) -> Vec<&Segment> {
    segments
        .iter()
        .filter(|s| s.start >= from && s.start + s.duration <= to)
        .collect()
}

#[test]
fn click_train_segments_start_at_the_clicks() {
    // Irregular gaps between 0.15 and 0.6 s so no fixed period can fit by luck.
    let gaps = [0.31, 0.17, 0.45, 0.22, 0.6, 0.15, 0.38, 0.27, 0.52, 0.19];
    let mut at = vec![0.0];
    while at.len() < 40 {
        let last = at[at.len() - 1];
        at.push(last + gaps[at.len() % gaps.len()]);
    }
    let duration = at[at.len() - 1] + 1.0;
    let analysis = analyze(&clicks(&at, duration));
    let near = |t: f64| at.iter().any(|c| (c - t).abs() <= 0.025);
    let starts: Vec<f64> = analysis.segments.iter().map(|s| s.start).collect();
    let good = starts.iter().filter(|&&s| near(s)).count();
    assert!(
        good as f64 >= 0.95 * starts.len() as f64,
        "{good}/{} starts near a click: {starts:?}",
        starts.len()
    );
    let found = at
        .iter()
        .filter(|&&c| starts.iter().any(|s| (c - s).abs() <= 0.025))
        .count();
    assert!(
        found as f64 >= 0.95 * at.len() as f64,
        "{found}/{} clicks found: {starts:?}",
        at.len()
    );
    // Onset strengths are scaled to 0..1 and clicks are strong onsets.
    assert!(
        analysis
            .segments
            .iter()
            .all(|s| (0.0..=1.0).contains(&s.confidence))
    );
    let strong = analysis
        .segments
        .iter()
        .filter(|s| s.confidence > 0.5)
        .count();
    assert!(strong >= 30, "only {strong} confident onsets");
}

#[test]
fn a4_sine_has_pitch_a() {
    let analysis = analyze(&tones(&[(440.0, 0.5)], 4.0));
    assert!(!analysis.segments.is_empty());
    for s in &analysis.segments {
        assert_eq!(argmax(&s.pitches), 9, "{:?}", s.pitches);
        assert!((s.pitches.iter().copied().fold(0.0f32, f32::max) - 1.0).abs() < 1e-6);
    }
}

#[test]
fn c_major_triad_peaks_at_c_e_g() {
    let triad = tones(
        &[(midi_hz(60), 0.2), (midi_hz(64), 0.2), (midi_hz(67), 0.2)],
        4.0,
    );
    let analysis = analyze(&triad);
    for s in &analysis.segments {
        let mut order: Vec<usize> = (0..12).collect();
        order.sort_by(|&a, &b| s.pitches[b].total_cmp(&s.pitches[a]));
        let mut top3 = order[..3].to_vec();
        top3.sort();
        assert_eq!(top3, vec![0, 4, 7], "{:?}", s.pitches);
        // The other classes are clearly weaker.
        assert!(s.pitches[order[3]] < 0.5, "{:?}", s.pitches);
    }
}

#[test]
fn minus_20_dbfs_sine_is_minus_20_db() {
    // 0 dB = a full-scale sine (AES17 dBFS); A-weighting is 0 dB at 1 kHz.
    let analysis = analyze(&tones(&[(1000.0, 0.1)], 4.0));
    let loudest = analysis
        .segments
        .iter()
        .map(|s| s.loudness_max)
        .fold(f64::NEG_INFINITY, f64::max);
    assert!((loudest + 20.0).abs() <= 3.0, "loudness_max {loudest}");
    assert!(
        (analysis.loudness + 20.0).abs() <= 3.0,
        "track loudness {}",
        analysis.loudness
    );
    for s in inner(&analysis.segments, 0.2, 3.8) {
        assert!((s.loudness_max + 20.0).abs() <= 1.0, "{s:?}");
    }
}

#[test]
fn loudness_of_silence_between_clicks_is_the_floor() {
    let analysis = analyze(&clicks(&[0.5, 2.5], 4.0));
    let quietest = analysis
        .segments
        .iter()
        .map(|s| s.loudness_start)
        .fold(f64::INFINITY, f64::min);
    assert!(
        (quietest + 60.0).abs() < 1e-6,
        "digital silence should be -60 dB, got {quietest}"
    );
}

#[test]
fn white_noise_is_brighter_than_a_sine_of_equal_level() {
    // Same RMS (-20 dBFS-ish); noise spreads energy to the treble, the sine sits at 440 Hz.
    let rms = 0.1;
    let noise = analyze(&white_noise(rms, 4.0, 7));
    let sine = analyze(&tones(&[(440.0, rms * 2f64.sqrt())], 4.0));
    let mean = |a: &TrackAnalysis, k: usize| {
        a.segments
            .iter()
            .map(|s| f64::from(s.timbre[k]) * s.duration)
            .sum::<f64>()
            / a.segments.iter().map(|s| s.duration).sum::<f64>()
    };
    // timbre_1 is the brightness axis: treble-heavy spectra are positive.
    assert!(
        mean(&noise, 1) > mean(&sine, 1) + 50.0,
        "noise {} sine {}",
        mean(&noise, 1),
        mean(&sine, 1)
    );
    // timbre_0 tracks loudness: 60 + level in dB re a full-scale sine (sine -20 dB, noise
    // 10 log10(2 * 0.1^2) = -17 dB).
    assert!(
        (mean(&sine, 0) - 40.0).abs() < 3.0,
        "sine timbre_0 {}",
        mean(&sine, 0)
    );
    assert!(
        (mean(&noise, 0) - 43.0).abs() < 3.0,
        "noise timbre_0 {}",
        mean(&noise, 0)
    );
    for a in [&noise, &sine] {
        assert!(
            a.segments
                .iter()
                .all(|s| s.timbre[1..].iter().all(|v| v.abs() < 400.0))
        );
    }
}

#[test]
fn click_track_at_120_bpm_gives_tempo_120() {
    let at: Vec<f64> = (0..60).map(|i| f64::from(i) * 0.5).collect();
    let analysis = analyze(&clicks(&at, 30.5));
    assert!(
        (analysis.tempo - 120.0).abs() <= 2.0,
        "tempo {}",
        analysis.tempo
    );
    assert!(
        analysis.tempo_confidence > 0.5,
        "confidence {}",
        analysis.tempo_confidence
    );
}

#[test]
fn chord_progression_in_c_major_is_c_major() {
    // I - IV - V - I - vi - IV - V - I, one chord per second, twice.
    let chords: [&[i32]; 8] = [
        &[48, 60, 64, 67],
        &[53, 60, 65, 69],
        &[55, 59, 62, 67],
        &[48, 60, 64, 67],
        &[57, 60, 64, 69],
        &[53, 60, 65, 69],
        &[55, 59, 62, 67],
        &[48, 60, 64, 67],
    ];
    let signal: Vec<f32> = chords
        .iter()
        .cycle()
        .take(16)
        .flat_map(|c| note(c, 1.0))
        .collect();
    let analysis = analyze(&signal);
    assert_eq!((analysis.key, analysis.mode), (0, 1), "{analysis:?}");
    assert!(analysis.key_confidence > 0.5 && analysis.mode_confidence > 0.0);
}

#[test]
fn a_minor_scale_is_a_minor() {
    // Harmonic A minor (G#), tonic-weighted: A B C D E F G# A, with the tonic repeated.
    let notes = [57, 59, 60, 62, 64, 65, 68, 69, 64, 57, 60, 64, 57];
    let signal: Vec<f32> = notes
        .iter()
        .cycle()
        .take(26)
        .flat_map(|&m| note(&[m, m - 12], 0.5))
        .collect();
    let analysis = analyze(&signal);
    assert_eq!((analysis.key, analysis.mode), (9, 0), "{analysis:?}");
}

#[test]
fn segments_tile_the_track() {
    let analysis = analyze(&clicks(&[0.3, 1.1, 1.9, 2.2], 3.0));
    assert!((analysis.duration_s - 3.0).abs() < 1e-9);
    assert_eq!(analysis.segments[0].start, 0.0);
    for pair in analysis.segments.windows(2) {
        assert!((pair[0].start + pair[0].duration - pair[1].start).abs() < 1e-9);
    }
    let last = &analysis.segments[analysis.segments.len() - 1];
    assert!((last.start + last.duration - 3.0).abs() < 1e-9);
    for s in &analysis.segments {
        assert!((0.0..=s.duration).contains(&s.loudness_max_time));
        assert!(s.loudness_max >= s.loudness_start && s.loudness_max >= -60.0);
    }
}

#[test]
fn other_input_rates_are_resampled() {
    let at_44k: Vec<f32> = (0..(3 * 44_100))
        .map(|i| {
            (0.5 * (2.0 * std::f64::consts::PI * 440.0 * f64::from(i) / 44_100.0).sin()) as f32
        })
        .collect();
    let analysis = analyze_samples(&at_44k, 44_100, &AnalyzerConfig::default()).unwrap();
    assert!((analysis.duration_s - 3.0).abs() < 1e-3);
    assert!(analysis.segments.iter().all(|s| argmax(&s.pitches) == 9));
}

#[test]
fn silent_short_and_invalid_inputs_are_errors() {
    let cfg = AnalyzerConfig::default();
    assert!(matches!(
        analyze_samples(&silence(5.0), SR, &cfg),
        Err(AudioError::Silent { .. })
    ));
    assert!(matches!(
        analyze_samples(&tones(&[(440.0, 0.5)], 0.5), SR, &cfg),
        Err(AudioError::TooShort { .. })
    ));
    assert!(matches!(
        analyze_samples(&[], SR, &cfg),
        Err(AudioError::TooShort { .. })
    ));
    let mut nan = tones(&[(440.0, 0.5)], 2.0);
    nan[100] = f32::NAN;
    assert!(matches!(
        analyze_samples(&nan, SR, &cfg),
        Err(AudioError::InvalidInput(_))
    ));
    let bad_cfg = AnalyzerConfig {
        min_segment_gap_s: 0.0,
        ..AnalyzerConfig::default()
    };
    assert!(matches!(
        analyze_samples(&tones(&[(440.0, 0.5)], 2.0), SR, &bad_cfg),
        Err(AudioError::InvalidInput(_))
    ));
}
