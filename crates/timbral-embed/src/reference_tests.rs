//! The front end against librosa and the network against onnxruntime and TensorFlow, on the
//! fixtures `tests/fixtures/make_fixtures.py` computed (see its README).

use std::path::PathBuf;

use crate::weights::Weights;
use crate::{N_MELS, PATCH_FRAMES, Scratch, default_model, log_mel};

fn fixtures(name: &str) -> Weights {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    Weights::parse(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn tensor(weights: &mut Weights, name: &str) -> (Vec<usize>, Vec<f32>) {
    let shape = weights.shape(name).unwrap_or_else(|| panic!("fixture has no `{name}`"));
    (shape.clone(), weights.take(name, &shape).unwrap())
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// The fixture's synthetic tone, recomputed exactly as `make_fixtures.py` defines it.
fn tone() -> Vec<f32> {
    (0..56_000)
        .map(|i| {
            let t = f64::from(i) / 16_000.0;
            let two_pi = 2.0 * std::f64::consts::PI;
            (0.5 * (two_pi * 440.0 * t).sin() + 0.25 * (two_pi * (1000.0 * t + 500.0 * t * t)).sin()) as f32
        })
        .collect()
}

/// Power mel within 1e-5 of the frame's largest band (float32 FFT against librosa's float64),
/// log-mel within 1e-3: a value on a float16 rounding boundary may round the other way, one
/// float16 step (1/1024 relative), which the logarithm turns into at most ~4e-4.
fn assert_front_end(name: &str, signal: &[f32], reference: &mut Weights) {
    let mel = timbral_audio::mel_spectrogram(signal, 16_000, 512, 256, N_MELS);
    let (shape, power) = tensor(reference, &format!("{name}.mel_power"));
    assert_eq!(shape, [mel.frames, N_MELS], "{name}: frames");
    for (t, (ours, theirs)) in mel.power.chunks(N_MELS).zip(power.chunks(N_MELS)).enumerate() {
        let peak = theirs.iter().copied().fold(f32::MIN_POSITIVE, f32::max);
        let worst = max_abs_diff(ours, theirs) / peak;
        assert!(worst < 1e-5, "{name}: frame {t}: power differs by {worst} of the frame's peak");
    }
    let (_, logmel) = tensor(reference, &format!("{name}.logmel"));
    let ours = log_mel(signal);
    let worst = max_abs_diff(&ours.values, &logmel);
    eprintln!("{name}: log-mel max |diff| {worst:e}");
    assert!(worst < 1e-3, "{name}: log-mel differs by {worst}");
}

#[test]
fn front_end_matches_librosa_on_a_synthetic_tone_and_a_real_excerpt() {
    let mut reference = fixtures("frontend.safetensors");
    assert_front_end("tone", &tone(), &mut reference);
    let (_, clip) = tensor(&mut reference, "clip.y16k");
    assert_front_end("clip", &clip, &mut reference);
}

#[test]
fn decoding_and_resampling_stay_close_to_librosa_load() {
    // Our own decoder (symphonia) and resampler (22050 Hz, then 16 kHz) against librosa.load's
    // (libsndfile, soxr straight to 16 kHz): the log-mel may differ where the two resamplers'
    // pass bands end, so this compares means, not every value.
    let clip = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../timbral-ingest/tests/fixtures/clip.ogg");
    let decoded = timbral_audio::analyze_file_keeping_signal(&clip, &timbral_audio::AnalyzerConfig::default()).unwrap();
    let signal = timbral_audio::resample_all(&decoded.signal, 22_050, 16_000).unwrap();
    let ours = log_mel(&signal);
    let mut reference = fixtures("frontend.safetensors");
    let (shape, theirs) = tensor(&mut reference, "clip.logmel");
    let frames = ours.frames.min(shape[0]);
    let n = frames * N_MELS;
    let mean_abs = ours.values[..n].iter().zip(&theirs[..n]).map(|(a, b)| (a - b).abs()).sum::<f32>() / n as f32;
    let level = theirs[..n].iter().sum::<f32>() / n as f32;
    eprintln!("clip.ogg decoded and resampled: mean |log-mel diff| {mean_abs:e} at mean level {level}");
    assert!(ours.frames.abs_diff(shape[0]) <= 1, "{} frames against {}", ours.frames, shape[0]);
    assert!(mean_abs < 0.01 * level.max(1.0), "mean |diff| {mean_abs} at mean level {level}");
}

#[test]
fn network_matches_onnxruntime_and_tensorflow() {
    let mut reference = fixtures("network.safetensors");
    let (shape, patches) = tensor(&mut reference, "patches");
    assert_eq!(&shape[1..], [PATCH_FRAMES, N_MELS]);
    let model = default_model().unwrap();
    let mut scratch = Scratch::default();
    let outputs: Vec<_> = patches.chunks(PATCH_FRAMES * N_MELS).map(|p| model.forward(p, &mut scratch)).collect();
    for runtime in ["onnx", "tf"] {
        let (_, penultimate) = tensor(&mut reference, &format!("MSD_musicnn.penultimate_{runtime}"));
        let (_, tags) = tensor(&mut reference, &format!("MSD_musicnn.tags_{runtime}"));
        let ours: Vec<f32> = outputs.iter().flat_map(|o| o.penultimate.clone()).collect();
        let worst = max_abs_diff(&ours, &penultimate);
        eprintln!("penultimate against {runtime}: max |diff| {worst:e}");
        assert!(worst < 1e-4, "penultimate differs from {runtime} by {worst}");
        let ours: Vec<f32> = outputs.iter().flat_map(|o| o.tags.clone()).collect();
        let worst = max_abs_diff(&ours, &tags);
        eprintln!("tags against {runtime}: max |diff| {worst:e}");
        assert!(worst < 1e-5, "tags differ from {runtime} by {worst}");
    }
}

#[test]
fn a_model_file_with_a_wrong_shape_or_a_missing_tensor_is_refused() {
    let err = crate::Musicnn::from_safetensors(b"short").err().unwrap();
    assert!(err.to_string().contains("header"), "{err}");
    let mut bytes = include_bytes!("../model/MSD_musicnn.safetensors").to_vec();
    // Rename one tensor in the header (same length): the network then misses it.
    let name = b"timbral_74.conv.bias";
    let at = bytes.windows(name.len()).position(|w| w == name).unwrap();
    bytes[at + name.len() - 1] = b'_';
    let err = crate::Musicnn::from_safetensors(&bytes).err().unwrap();
    assert!(err.to_string().contains("no tensor `timbral_74.conv.bias`"), "{err}");
}

#[test]
fn an_empty_or_non_finite_signal_and_a_zero_patch_cap_are_refused_by_name() {
    let model = default_model().unwrap();
    let options = crate::EmbedOptions::default();
    let err = crate::embed_signal(model, &[], 16_000, &options).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    let err = crate::embed_signal(model, &[0.1, f32::NAN, 0.2], 16_000, &options).unwrap_err();
    assert!(err.to_string().contains("sample 1 is not a finite number"), "{err}");
    let err = crate::embed_signal(model, &[0.1; 16_000], 16_000, &crate::EmbedOptions { max_patches: 0 }).unwrap_err();
    assert!(err.to_string().contains("max_patches"), "{err}");
}
