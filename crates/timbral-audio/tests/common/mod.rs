//! Signal synthesis shared by the integration tests.
#![allow(dead_code)]

use std::f64::consts::PI;

pub const SR: u32 = 22_050;

pub fn silence(seconds: f64) -> Vec<f32> {
    vec![0.0; (seconds * f64::from(SR)).round() as usize]
}

/// Sum of sines (frequency, amplitude) lasting `seconds`.
pub fn tones(partials: &[(f64, f64)], seconds: f64) -> Vec<f32> {
    let n = (seconds * f64::from(SR)).round() as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(SR);
            partials
                .iter()
                .map(|(f, a)| a * (2.0 * PI * f * t).sin())
                .sum::<f64>() as f32
        })
        .collect()
}

/// A 4 ms click (decaying 2 kHz burst) added at each time in `at_s`.
pub fn clicks(at_s: &[f64], seconds: f64) -> Vec<f32> {
    let mut signal = silence(seconds);
    let len = (0.004 * f64::from(SR)) as usize;
    for &t0 in at_s {
        let start = (t0 * f64::from(SR)).round() as usize;
        for j in 0..len {
            if let Some(s) = signal.get_mut(start + j) {
                let t = j as f64 / f64::from(SR);
                *s += (0.8 * (-t / 0.001).exp() * (2.0 * PI * 2000.0 * t).sin()) as f32;
            }
        }
    }
    signal
}

/// Deterministic white noise with the given RMS (xorshift64, uniform).
pub fn white_noise(rms: f64, seconds: f64, seed: u64) -> Vec<f32> {
    let n = (seconds * f64::from(SR)).round() as usize;
    let mut state = seed.max(1);
    let scale = rms * 3f64.sqrt(); // uniform on [-a, a] has RMS a / sqrt(3)
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            (scale * (2.0 * u - 1.0)) as f32
        })
        .collect()
}

/// Frequency of a MIDI note.
pub fn midi_hz(note: i32) -> f64 {
    440.0 * 2f64.powf(f64::from(note - 69) / 12.0)
}

/// A note with 4 decaying harmonics and a short attack/release, like a simple keyboard tone.
pub fn note(midi: &[i32], seconds: f64) -> Vec<f32> {
    let partials: Vec<(f64, f64)> = midi
        .iter()
        .flat_map(|&m| (1..=4).map(move |h| (midi_hz(m) * f64::from(h), 0.15 / f64::from(h))))
        .collect();
    let mut out = tones(&partials, seconds);
    let n = out.len();
    let ramp = (0.01 * f64::from(SR)) as usize;
    for (i, s) in out.iter_mut().enumerate() {
        let edge = i.min(n - 1 - i);
        if edge < ramp {
            *s *= edge as f32 / ramp as f32;
        }
    }
    out
}

pub fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}
