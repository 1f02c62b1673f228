//! Song embeddings from musicnn (Pons and Serra 2019), a music-tagging CNN trained on the
//! Million Song Dataset's tags, run in Rust over faer's matrix products with the weights compiled in.
//!
//! A song's embedding is the mean, over its 3-second patches, of the network's 200-unit
//! penultimate layer; songs are compared by cosine distance. The weights come from the PyPI
//! wheel `musicnn` 0.1.0 (ISC licence), converted by `model/convert.sh`; see
//! `model/PROVENANCE.md` and docs/embeddings.md.

mod frontend;
mod network;
#[cfg(test)]
mod reference_tests;
mod weights;

use std::sync::OnceLock;

pub use frontend::{LogMel, chosen_patches, frame_count, log_mel, log_mel_frames};
pub use network::{EMBEDDING_DIM, Musicnn, PatchOutput, Scratch, TAGS};

/// Sample rate the model was trained at.
pub const SAMPLE_RATE: u32 = 16_000;
/// Mel bands of the model's input.
pub const N_MELS: usize = 96;
/// Frames of one patch: 3 seconds (`librosa.time_to_frames(3, 16000, 512, 256) + 1`).
pub const PATCH_FRAMES: usize = 187;
/// Default cap on the patches embedded per song (see [`EmbedOptions::max_patches`]).
pub const DEFAULT_MAX_PATCHES: usize = 20;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmbedError {
    #[error("invalid musicnn model file: {0}")]
    InvalidModel(String),
    #[error("cannot embed the audio: {0}")]
    InvalidInput(String),
}

/// How a song is cut into patches.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedOptions {
    /// At most this many patches per song, evenly spaced over it ([`chosen_patches`]): the
    /// network's cost per song is then bounded whatever its length.
    pub max_patches: usize,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions { max_patches: DEFAULT_MAX_PATCHES }
    }
}

/// One song's embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct SongEmbedding {
    /// Mean penultimate layer over the patches used, [`EMBEDDING_DIM`] values.
    pub vector: Vec<f32>,
    /// Mean tag probabilities over the same patches, in [`Musicnn::tag_names`] order.
    pub tags: Vec<f32>,
    /// Patches used.
    pub patches: usize,
}

/// The default model, parsed once from the weights compiled into the binary.
pub fn default_model() -> Result<&'static Musicnn, EmbedError> {
    static MODEL: OnceLock<Result<Musicnn, EmbedError>> = OnceLock::new();
    MODEL
        .get_or_init(|| Musicnn::from_safetensors(include_bytes!("../model/MSD_musicnn.safetensors")))
        .as_ref()
        .map_err(Clone::clone)
}

/// The embedding of a mono signal at `sample_rate` (resampled to 16 kHz first if needed).
pub fn embed_signal(
    model: &Musicnn,
    signal: &[f32],
    sample_rate: u32,
    options: &EmbedOptions,
) -> Result<SongEmbedding, EmbedError> {
    if options.max_patches == 0 {
        return Err(EmbedError::InvalidInput("max_patches must be at least 1".into()));
    }
    if signal.is_empty() {
        return Err(EmbedError::InvalidInput("the signal is empty".into()));
    }
    if let Some(i) = signal.iter().position(|x| !x.is_finite()) {
        return Err(EmbedError::InvalidInput(format!("sample {i} is not a finite number")));
    }
    let resampled;
    let signal_16k = if sample_rate == SAMPLE_RATE {
        signal
    } else {
        resampled = timbral_audio::resample_all(signal, sample_rate, SAMPLE_RATE).map_err(EmbedError::InvalidInput)?;
        &resampled
    };
    // Only the chosen patches' frames are computed, one patch at a time: the memory for a song
    // does not grow with its length beyond the signal itself.
    let mut scratch = Scratch::default();
    let patches = frame_count(signal_16k.len()) / PATCH_FRAMES;
    let outputs: Vec<PatchOutput> = if patches == 0 {
        vec![model.forward(&log_mel(signal_16k).repeat_padded(), &mut scratch)]
    } else {
        chosen_patches(patches, options.max_patches)
            .into_iter()
            .map(|i| model.forward(&log_mel_frames(signal_16k, i * PATCH_FRAMES..(i + 1) * PATCH_FRAMES).values, &mut scratch))
            .collect()
    };
    let mean = |part: fn(&PatchOutput) -> &[f32]| -> Vec<f32> {
        let mut sum = vec![0.0f64; part(&outputs[0]).len()];
        for output in &outputs {
            sum.iter_mut().zip(part(output)).for_each(|(s, x)| *s += f64::from(*x));
        }
        sum.into_iter().map(|s| (s / outputs.len() as f64) as f32).collect()
    };
    Ok(SongEmbedding {
        vector: mean(|o| &o.penultimate),
        tags: mean(|o| &o.tags),
        patches: outputs.len(),
    })
}
