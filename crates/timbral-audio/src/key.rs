//! Key and mode by Krumhansl-Schmuckler profile matching: the track's pitch-class
//! distribution is correlated with the 24 rotated Krumhansl-Kessler key profiles.

/// Krumhansl & Kessler (1982) probe-tone ratings, tonic first.
const MAJOR_PROFILE: [f64; 12] = [
    6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88,
];
const MINOR_PROFILE: [f64; 12] = [
    6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17,
];

/// Key estimate. Confidences: `key_confidence` is the winning correlation (clamped to 0..1);
/// `mode_confidence` is how far the best key of the chosen mode beats the best key of the
/// other mode, `(r_mode - r_other) / (1 - r_other)`, clamped to 0..1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct KeyEstimate {
    pub key: i32,
    pub mode: i32,
    pub key_confidence: f64,
    pub mode_confidence: f64,
}

/// Estimate the key from a pitch-class distribution (C first). `None` when it is flat.
pub(crate) fn estimate_key(pitch_classes: &[f64; 12]) -> Option<KeyEstimate> {
    let best = |profile: &[f64; 12]| -> Option<(usize, f64)> {
        (0..12)
            .filter_map(|tonic| {
                let rotated: [f64; 12] = std::array::from_fn(|pc| profile[(pc + 12 - tonic) % 12]);
                pearson(pitch_classes, &rotated).map(|r| (tonic, r))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
    };
    let (major_key, major_r) = best(&MAJOR_PROFILE)?;
    let (minor_key, minor_r) = best(&MINOR_PROFILE)?;
    let (key, mode, r, other) = if major_r >= minor_r {
        (major_key, 1, major_r, minor_r)
    } else {
        (minor_key, 0, minor_r, major_r)
    };
    Some(KeyEstimate {
        key: key as i32,
        mode,
        key_confidence: r.clamp(0.0, 1.0),
        mode_confidence: ((r - other) / (1.0 - other).max(1e-9)).clamp(0.0, 1.0),
    })
}

fn pearson(a: &[f64; 12], b: &[f64; 12]) -> Option<f64> {
    let (ma, mb) = (a.iter().sum::<f64>() / 12.0, b.iter().sum::<f64>() / 12.0);
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        cov += (x - ma) * (y - mb);
        va += (x - ma) * (x - ma);
        vb += (y - mb) * (y - mb);
    }
    (va > 1e-12 && vb > 1e-12).then(|| cov / (va * vb).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_themselves_are_recognised_in_every_key() {
        for tonic in 0..12 {
            let major: [f64; 12] = std::array::from_fn(|pc| MAJOR_PROFILE[(pc + 12 - tonic) % 12]);
            let k = estimate_key(&major).unwrap();
            assert_eq!((k.key, k.mode), (tonic as i32, 1));
            assert!((k.key_confidence - 1.0).abs() < 1e-9);
            let minor: [f64; 12] = std::array::from_fn(|pc| MINOR_PROFILE[(pc + 12 - tonic) % 12]);
            let k = estimate_key(&minor).unwrap();
            assert_eq!((k.key, k.mode), (tonic as i32, 0));
        }
    }

    #[test]
    fn flat_distribution_has_no_key() {
        assert_eq!(estimate_key(&[1.0; 12]), None);
    }
}
