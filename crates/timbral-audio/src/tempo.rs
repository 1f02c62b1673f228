//! Tempo and time signature from the periodicity of the onset envelope: an autocorrelation
//! tempogram (8 s windows) averaged over the track, weighted by a log-normal tempo prior
//! centred on 120 BPM (as librosa's `beat.tempo`), refined by parabolic interpolation.

use realfft::RealFftPlanner;

/// Autocorrelation window, seconds.
const WINDOW_S: f64 = 8.0;
/// Tempo search range, BPM.
const MIN_BPM: f64 = 30.0;
const MAX_BPM: f64 = 300.0;
/// Log-normal prior: centre and standard deviation in octaves.
const PRIOR_BPM: f64 = 120.0;
const PRIOR_STD_OCTAVES: f64 = 1.0;

/// Track-level rhythm estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rhythm {
    pub bpm: f64,
    /// Normalised autocorrelation at the beat period, 0..1.
    pub confidence: f64,
    pub time_signature: i32,
    pub time_signature_confidence: f64,
}

impl Rhythm {
    const UNKNOWN: Rhythm = Rhythm {
        bpm: 0.0,
        confidence: 0.0,
        time_signature: 4,
        time_signature_confidence: 0.0,
    };
}

/// Estimate tempo and metre from an onset envelope sampled at `frame_rate` frames/s.
pub(crate) fn estimate_rhythm(envelope: &[f32], frame_rate: f64) -> Rhythm {
    let (ac, window) = mean_autocorrelation(envelope, frame_rate);
    let lag_min = ((60.0 * frame_rate / MAX_BPM).floor() as usize).max(1);
    let lag_max = ((60.0 * frame_rate / MIN_BPM).ceil() as usize).min(ac.len().saturating_sub(2));
    if lag_max <= lag_min + 1 {
        return Rhythm::UNKNOWN;
    }
    let prior = |lag: f64| {
        let octaves = (60.0 * frame_rate / lag / PRIOR_BPM).log2() / PRIOR_STD_OCTAVES;
        (-0.5 * octaves * octaves).exp()
    };
    let score = |lag: usize| ac[lag].max(0.0) * prior(lag as f64);
    let Some(best) = (lag_min..=lag_max).max_by(|&a, &b| score(a).total_cmp(&score(b))) else {
        return Rhythm::UNKNOWN;
    };
    if score(best) <= 0.0 {
        return Rhythm::UNKNOWN;
    }
    let (left, mid, right) = (score(best - 1), score(best), score(best + 1));
    let curvature = left - 2.0 * mid + right;
    let shift = if curvature < 0.0 {
        (0.5 * (left - right) / curvature).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    let period = best as f64 + shift;

    let at = |lag: f64| interpolate(&ac, lag);
    // Bar-length lags are long compared with the window, so undo the window's taper before
    // comparing them (the raw autocorrelation always favours the shorter lag).
    // Beats are quantised to frames and jitter around k * period, so sum the autocorrelation
    // over a few frames around it (the same reach for every k).
    let reach = (0.05 * period).round().max(1.0) as usize;
    let unbiased = |lag: f64| {
        let taper = window_overlap(&window, lag);
        let centre = lag.round() as usize;
        let mass: f64 = (centre.saturating_sub(reach)..=centre + reach)
            .filter_map(|l| ac.get(l).copied())
            .sum();
        if taper > 0.05 {
            (mass / taper).max(0.0)
        } else {
            0.0
        }
    };
    let (three, four) = (unbiased(3.0 * period), unbiased(4.0 * period));
    let (time_signature, time_signature_confidence) = if three + four <= 0.0 {
        (4, 0.0)
    } else {
        (
            if three > four { 3 } else { 4 },
            ((three - four).abs() / three.max(four)).clamp(0.0, 1.0),
        )
    };
    Rhythm {
        bpm: 60.0 * frame_rate / period,
        confidence: at(period).clamp(0.0, 1.0),
        time_signature,
        time_signature_confidence,
    }
}

/// Linear interpolation of `values` at fractional index `x` (0 beyond the end).
fn interpolate(values: &[f64], x: f64) -> f64 {
    let i = x.floor() as usize;
    if i + 1 >= values.len() {
        return 0.0;
    }
    let frac = x - i as f64;
    values[i] * (1.0 - frac) + values[i + 1] * frac
}

/// Normalised autocorrelation of the analysis window at a fractional lag.
fn window_overlap(window: &[f64], lag: f64) -> f64 {
    let energy: f64 = window.iter().map(|w| w * w).sum();
    let l = lag.round() as usize;
    if energy <= 0.0 || l >= window.len() {
        return 0.0;
    }
    window
        .iter()
        .zip(&window[l..])
        .map(|(a, b)| a * b)
        .sum::<f64>()
        / energy
}

/// Autocorrelation of the mean-removed, Hann-windowed envelope in 8 s windows (hop 2 s),
/// each normalised to 1 at lag 0, averaged over windows (index = lag in frames), and the
/// window used.
fn mean_autocorrelation(envelope: &[f32], frame_rate: f64) -> (Vec<f64>, Vec<f64>) {
    let n = envelope.len();
    let width = ((WINDOW_S * frame_rate).round() as usize).min(n);
    if width < 4 {
        return (Vec::new(), Vec::new());
    }
    let fft_len = (2 * width).next_power_of_two();
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(fft_len);
    let inverse = planner.plan_fft_inverse(fft_len);
    let mut time = forward.make_input_vec();
    let mut spectrum = forward.make_output_vec();
    let mut scratch = forward.make_scratch_vec();
    let mut inverse_scratch = inverse.make_scratch_vec();
    let hann: Vec<f64> = (0..width)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * (i as f64 + 0.5) / width as f64).cos())
        .collect();

    let step = (width / 4).max(1);
    let mut starts: Vec<usize> = (0..=n - width).step_by(step).collect();
    if starts.last() != Some(&(n - width)) {
        starts.push(n - width);
    }
    let mut sum = vec![0.0f64; width];
    let mut used = 0usize;
    for start in starts {
        let frame = &envelope[start..start + width];
        let mean = frame.iter().map(|v| f64::from(*v)).sum::<f64>() / width as f64;
        time.iter_mut().for_each(|x| *x = 0.0);
        for ((x, v), w) in time.iter_mut().zip(frame).zip(&hann) {
            *x = (f64::from(*v) - mean) * w;
        }
        if forward
            .process_with_scratch(&mut time, &mut spectrum, &mut scratch)
            .is_err()
        {
            continue;
        }
        spectrum.iter_mut().for_each(|c| *c = c.norm_sqr().into());
        if inverse
            .process_with_scratch(&mut spectrum, &mut time, &mut inverse_scratch)
            .is_err()
        {
            continue;
        }
        let zero_lag = time[0];
        if zero_lag <= 1e-12 {
            continue; // a flat window carries no rhythm
        }
        for (s, x) in sum.iter_mut().zip(&time) {
            *s += x / zero_lag;
        }
        used += 1;
    }
    if used > 0 {
        sum.iter_mut().for_each(|s| *s /= used as f64);
    }
    (sum, hann)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pulse_train(bpm: f64, frame_rate: f64, seconds: f64, accent_every: usize) -> Vec<f32> {
        let n = (seconds * frame_rate) as usize;
        let mut env = vec![0.0f32; n];
        let period = 60.0 * frame_rate / bpm;
        let mut beat = 0usize;
        while (beat as f64 * period) < n as f64 {
            let t = (beat as f64 * period).round() as usize;
            if t < n {
                env[t] = if accent_every > 0 && beat.is_multiple_of(accent_every) {
                    2.0
                } else {
                    1.0
                };
            }
            beat += 1;
        }
        env
    }

    #[test]
    fn pulse_trains_give_their_tempo() {
        let fr = 22_050.0 / 256.0;
        for bpm in [90.0, 120.0, 137.0, 160.0] {
            let r = estimate_rhythm(&pulse_train(bpm, fr, 30.0, 0), fr);
            assert!((r.bpm - bpm).abs() < 1.5, "{bpm}: {r:?}");
            assert!(r.confidence > 0.5, "{r:?}");
        }
    }

    #[test]
    fn accents_decide_between_three_and_four() {
        let fr = 22_050.0 / 256.0;
        let waltz = estimate_rhythm(&pulse_train(120.0, fr, 30.0, 3), fr);
        let march = estimate_rhythm(&pulse_train(120.0, fr, 30.0, 4), fr);
        assert_eq!(
            (waltz.time_signature, march.time_signature),
            (3, 4),
            "{waltz:?} {march:?}"
        );
        assert!(
            waltz.time_signature_confidence > 0.05 && march.time_signature_confidence > 0.05,
            "{waltz:?} {march:?}"
        );
        let plain = estimate_rhythm(&pulse_train(120.0, fr, 30.0, 0), fr);
        assert!(plain.time_signature_confidence < 0.03, "{plain:?}");
    }

    #[test]
    fn silence_has_no_tempo() {
        assert_eq!(estimate_rhythm(&vec![0.0; 3000], 86.0), Rhythm::UNKNOWN);
        assert_eq!(estimate_rhythm(&[], 86.0), Rhythm::UNKNOWN);
    }
}
