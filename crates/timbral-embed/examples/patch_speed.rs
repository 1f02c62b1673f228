//! Times the musicnn network on one thread over real patches, for `bench/embed.sh`.
//!
//!   cargo run --release -p timbral-embed --example patch_speed -- AUDIO N PATCHES.npy
//!
//! Decodes AUDIO as `timbral ingest audio` does, cuts its log-mel spectrogram into N patches
//! (cycling when it has fewer), writes them to PATCHES.npy (float32 [N, 187, 96], for the
//! onnxruntime reference of `bench/embed_reference.py`) and prints the fastest of three timed
//! passes over them, after one untimed pass: `timbral_ms_per_patch=<x>`.

use std::io::Write;
use std::time::Instant;

use timbral_embed::{N_MELS, PATCH_FRAMES, SAMPLE_RATE, Scratch, default_model, log_mel};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, audio, n, out] = &args[..] else {
        return Err("usage: patch_speed AUDIO N PATCHES.npy".into());
    };
    let n: usize = n.parse()?;
    let config = timbral_audio::AnalyzerConfig::default();
    let decoded = timbral_audio::analyze_file_keeping_signal(std::path::Path::new(audio), &config)?;
    let signal = timbral_audio::resample_all(&decoded.signal, config.sample_rate, SAMPLE_RATE)?;
    let mel = log_mel(&signal);
    if mel.patch_count() == 0 {
        return Err(format!("{audio} is shorter than one {PATCH_FRAMES}-frame patch").into());
    }
    let patches: Vec<&[f32]> = (0..n).map(|i| mel.patch(i % mel.patch_count())).collect();
    write_npy(out, &patches)?;

    let model = default_model()?;
    let mut scratch = Scratch::default();
    let mut pass = || {
        let started = Instant::now();
        for patch in &patches {
            std::hint::black_box(model.forward(patch, &mut scratch));
        }
        started.elapsed().as_secs_f64()
    };
    pass();
    let best = (0..3).map(|_| pass()).fold(f64::INFINITY, f64::min);
    println!("timbral_ms_per_patch={:.3}", 1000.0 * best / n as f64);
    Ok(())
}

/// NumPy's `.npy` format, version 1.0: magic, header length, a Python dict literal padded to
/// a multiple of 64 bytes, then the little-endian data.
fn write_npy(path: &str, patches: &[&[f32]]) -> std::io::Result<()> {
    let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {PATCH_FRAMES}, {N_MELS}), }}", patches.len());
    let unpadded = 10 + dict.len() + 1;
    let header = format!("{dict}{}\n", " ".repeat(unpadded.next_multiple_of(64) - unpadded));
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    file.write_all(b"\x93NUMPY\x01\x00")?;
    file.write_all(&(header.len() as u16).to_le_bytes())?;
    file.write_all(header.as_bytes())?;
    for value in patches.iter().flat_map(|p| p.iter()) {
        file.write_all(&value.to_le_bytes())?;
    }
    file.flush()
}
