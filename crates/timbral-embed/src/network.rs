//! The musicnn network (Pons and Serra 2019, `build_musicnn` in the package's `models.py`) in
//! inference mode: every convolution is an im2col matrix product, every batch normalisation is
//! folded into a per-channel scale and shift.
//!
//! Shapes per 3-second patch (T = 187 frames, F = 96 mel bands):
//! - front end: input batch norm; two "timbral" convolutions (7 x 38 and 7 x 67, 204 filters,
//!   time padded by 3) and three "temporal" ones (128, 64 and 32 x 1, 51 filters, TF "same"
//!   padding), each relu -> batch norm -> max over frequency, concatenated to T x 561;
//! - mid end: three 7-frame convolutions of 64 filters over all channels (relu -> batch norm),
//!   the second and third with residual connections; with the front end, T x 753;
//! - back end: max and mean over time, interleaved per channel (TF's flatten of [753, 2]),
//!   batch norm, dense 200 (relu), batch norm = the penultimate layer; dense 50 + sigmoid = tags.

use faer::{Accum, MatMut, MatRef, Par};

use crate::weights::Weights;
use crate::{EmbedError, N_MELS, PATCH_FRAMES};

/// Units of the penultimate layer: the song embedding's dimension.
pub const EMBEDDING_DIM: usize = 200;
/// Tags the model predicts.
pub const TAGS: usize = 50;

const TIMBRAL_FILTERS: usize = 204;
const TEMPORAL_FILTERS: usize = 51;
const MIDEND_FILTERS: usize = 64;
/// Time kernel of the timbral and mid-end convolutions (padded by 3 each side: "same").
const TIME_KERNEL: usize = 7;
const FRONTEND_CHANNELS: usize = 2 * TIMBRAL_FILTERS + 3 * TEMPORAL_FILTERS;
const MIDEND_CHANNELS: usize = FRONTEND_CHANNELS + 3 * MIDEND_FILTERS;
const POOLED: usize = 2 * MIDEND_CHANNELS;

/// Batch normalisation in inference mode, as `x * scale + shift` per channel.
struct BatchNorm {
    scale: Vec<f32>,
    shift: Vec<f32>,
}

impl BatchNorm {
    fn load(weights: &mut Weights, prefix: &str, channels: usize, epsilon: f32) -> Result<Self, EmbedError> {
        let mut part = |name: &str| weights.take(&format!("{prefix}.{name}"), &[channels]);
        let (gamma, beta, mean, var) = (part("gamma")?, part("beta")?, part("mean")?, part("var")?);
        let scale: Vec<f32> = gamma.iter().zip(&var).map(|(g, v)| g / (v + epsilon).sqrt()).collect();
        let shift = beta.iter().zip(&mean).zip(&scale).map(|((b, m), s)| b - m * s).collect();
        Ok(BatchNorm { scale, shift })
    }

    fn apply(&self, channel: usize, x: f32) -> f32 {
        x * self.scale[channel] + self.shift[channel]
    }
}

/// A convolution (or dense layer) as a `inputs x outputs` matrix (TF's HWIO kernel flattened),
/// with its bias and the batch norm that follows its relu.
struct ConvBlock {
    kernel: Vec<f32>,
    inputs: usize,
    outputs: usize,
    bias: Vec<f32>,
    norm: BatchNorm,
}

impl ConvBlock {
    fn load(weights: &mut Weights, prefix: &str, kernel_shape: [usize; 4], epsilon: f32) -> Result<Self, EmbedError> {
        let outputs = kernel_shape[3];
        Ok(ConvBlock {
            kernel: weights.take(&format!("{prefix}.conv.kernel"), &kernel_shape)?,
            inputs: kernel_shape[..3].iter().product(),
            outputs,
            bias: weights.take(&format!("{prefix}.conv.bias"), &[outputs])?,
            norm: BatchNorm::load(weights, &format!("{prefix}.bn"), outputs, epsilon)?,
        })
    }

    /// `relu(x + bias)` then batch norm, for output channel `c`.
    fn activate(&self, c: usize, x: f32) -> f32 {
        self.norm.apply(c, (x + self.bias[c]).max(0.0))
    }

    /// `rows` rows of `lhs` (each `self.inputs` long, `row_stride` apart) times the kernel, into
    /// `out` (`rows x outputs`, overwritten).
    fn product(&self, lhs: &[f32], rows: usize, row_stride: usize, out: &mut Vec<f32>) {
        out.resize(rows * self.outputs, 0.0);
        matmul(lhs, rows, row_stride, self.inputs, &self.kernel, self.outputs, out);
    }
}

/// `out[m x n] = lhs[m x k] * rhs[k x n]`, row-major; `lhs` rows are `lhs_row_stride` apart
/// (they may overlap: a convolution's sliding window), single-threaded (callers parallelise
/// over songs). faer's kernels: AVX-512 where the CPU has it, chosen at run time.
fn matmul(lhs: &[f32], m: usize, lhs_row_stride: usize, k: usize, rhs: &[f32], n: usize, out: &mut [f32]) {
    if m == 0 {
        return;
    }
    assert!(lhs.len() >= (m - 1) * lhs_row_stride + k, "lhs too short for {m} x {k}");
    // SAFETY: the assert keeps every element of the view inside `lhs`; the view is read-only,
    // so overlapping rows are sound.
    let lhs = unsafe { MatRef::from_raw_parts(lhs.as_ptr(), m, k, lhs_row_stride as isize, 1) };
    let rhs = MatRef::from_row_major_slice(&rhs[..k * n], k, n);
    let out = MatMut::from_row_major_slice_mut(&mut out[..m * n], m, n);
    faer::linalg::matmul::matmul(out, Accum::Replace, lhs, rhs, 1.0f32, Par::Seq);
}

/// A dense layer, `inputs x outputs`.
struct Dense {
    kernel: Vec<f32>,
    bias: Vec<f32>,
    outputs: usize,
}

impl Dense {
    fn load(weights: &mut Weights, prefix: &str, inputs: usize, outputs: usize) -> Result<Self, EmbedError> {
        Ok(Dense {
            kernel: weights.take(&format!("{prefix}.kernel"), &[inputs, outputs])?,
            bias: weights.take(&format!("{prefix}.bias"), &[outputs])?,
            outputs,
        })
    }

    fn apply(&self, input: &[f32]) -> Vec<f32> {
        let mut out = self.bias.clone();
        for (x, row) in input.iter().zip(self.kernel.chunks_exact(self.outputs)) {
            for (o, w) in out.iter_mut().zip(row) {
                *o += x * w;
            }
        }
        out
    }
}

/// A loaded musicnn model.
pub struct Musicnn {
    name: String,
    tags: Vec<String>,
    input_norm: BatchNorm,
    /// (block, frequency width of its kernel).
    timbral: [(ConvBlock, usize); 2],
    /// (block, time length of its kernel).
    temporal: [(ConvBlock, usize); 3],
    midend: [ConvBlock; 3],
    pool_norm: BatchNorm,
    dense: Dense,
    dense_norm: BatchNorm,
    logits: Dense,
}

/// One patch's outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOutput {
    /// The penultimate layer (after its batch norm), [`EMBEDDING_DIM`] values.
    pub penultimate: Vec<f32>,
    /// Tag probabilities, [`TAGS`] values in [`Musicnn::tag_names`] order.
    pub tags: Vec<f32>,
}

/// Buffers reused from patch to patch.
#[derive(Default)]
pub struct Scratch {
    buffers: Buffers,
    /// The mid end's input and outputs, `PATCH_FRAMES x MIDEND_CHANNELS`.
    features: Vec<f32>,
}

/// A layer's padded input, im2col matrix and matrix product.
#[derive(Default)]
struct Buffers {
    padded: Vec<f32>,
    columns: Vec<f32>,
    product: Vec<f32>,
}

impl Musicnn {
    /// Reads a model from the safetensors layout written by `model/convert.py`.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Musicnn, EmbedError> {
        let mut w = Weights::parse(bytes)?;
        let meta = |key: &str| {
            w.metadata.get(key).cloned().ok_or_else(|| EmbedError::InvalidModel(format!("metadata has no `{key}`")))
        };
        let name = meta("model")?;
        let epsilon: f32 = meta("bn_epsilon")?
            .parse()
            .map_err(|e| EmbedError::InvalidModel(format!("bn_epsilon: {e}")))?;
        let tags: Vec<String> = meta("tags")?.lines().map(str::to_string).collect();
        if tags.len() != TAGS {
            return Err(EmbedError::InvalidModel(format!("{} tag names, expected {TAGS}", tags.len())));
        }
        let input_norm = BatchNorm::load(&mut w, "input_bn", 1, epsilon)?;
        let timbral_width = |share: f64| (share * N_MELS as f64) as usize;
        let mut timbral_block = |prefix: &str, width: usize| {
            ConvBlock::load(&mut w, prefix, [TIME_KERNEL, width, 1, TIMBRAL_FILTERS], epsilon).map(|b| (b, width))
        };
        let timbral = [timbral_block("timbral_74", timbral_width(0.4))?, timbral_block("timbral_77", timbral_width(0.7))?];
        let mut temporal_block = |length: usize| {
            ConvBlock::load(&mut w, &format!("temporal_{length}"), [length, 1, 1, TEMPORAL_FILTERS], epsilon)
                .map(|b| (b, length))
        };
        let temporal = [temporal_block(128)?, temporal_block(64)?, temporal_block(32)?];
        let midend = [
            ConvBlock::load(&mut w, "midend_1", [TIME_KERNEL, FRONTEND_CHANNELS, 1, MIDEND_FILTERS], epsilon)?,
            ConvBlock::load(&mut w, "midend_2", [TIME_KERNEL, MIDEND_FILTERS, 1, MIDEND_FILTERS], epsilon)?,
            ConvBlock::load(&mut w, "midend_3", [TIME_KERNEL, MIDEND_FILTERS, 1, MIDEND_FILTERS], epsilon)?,
        ];
        let model = Musicnn {
            name,
            tags,
            input_norm,
            timbral,
            temporal,
            midend,
            pool_norm: BatchNorm::load(&mut w, "backend.pool_bn", POOLED, epsilon)?,
            dense: Dense::load(&mut w, "backend.dense", POOLED, EMBEDDING_DIM)?,
            dense_norm: BatchNorm::load(&mut w, "backend.dense_bn", EMBEDDING_DIM, epsilon)?,
            logits: Dense::load(&mut w, "backend.logits", EMBEDDING_DIM, TAGS)?,
        };
        let extra = w.remaining();
        if !extra.is_empty() {
            return Err(EmbedError::InvalidModel(format!("unexpected tensors: {}", extra.join(", "))));
        }
        Ok(model)
    }

    /// The model's name (`MSD_musicnn`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tags' names, in output order.
    pub fn tag_names(&self) -> &[String] {
        &self.tags
    }

    /// Runs one log-mel patch, `PATCH_FRAMES x N_MELS` row-major.
    pub fn forward(&self, patch: &[f32], scratch: &mut Scratch) -> PatchOutput {
        assert_eq!(patch.len(), PATCH_FRAMES * N_MELS, "a patch is {PATCH_FRAMES} x {N_MELS}");
        let input: Vec<f32> = patch.iter().map(|x| self.input_norm.apply(0, *x)).collect();
        let Scratch { buffers, features } = scratch;
        features.clear();
        features.resize(PATCH_FRAMES * MIDEND_CHANNELS, 0.0);
        let mut channel = 0;
        for (block, width) in &self.timbral {
            timbral_block(block, *width, &input, buffers, features, channel);
            channel += block.outputs;
        }
        for (block, length) in &self.temporal {
            temporal_block(block, *length, &input, buffers, features, channel);
            channel += block.outputs;
        }
        for (i, block) in self.midend.iter().enumerate() {
            // Input: the front end for the first layer, the previous layer's output after it,
            // which the second and third layers also add back (residual connections).
            let (from, width) = if i == 0 { (0, FRONTEND_CHANNELS) } else { (channel - MIDEND_FILTERS, MIDEND_FILTERS) };
            pad_time(features, MIDEND_CHANNELS, from, width, &mut buffers.padded);
            block.product(&buffers.padded, PATCH_FRAMES, width, &mut buffers.product);
            for t in 0..PATCH_FRAMES {
                for c in 0..MIDEND_FILTERS {
                    let mut y = block.activate(c, buffers.product[t * MIDEND_FILTERS + c]);
                    if i > 0 {
                        y += features[t * MIDEND_CHANNELS + from + c];
                    }
                    features[t * MIDEND_CHANNELS + channel + c] = y;
                }
            }
            channel += MIDEND_FILTERS;
        }
        debug_assert_eq!(channel, MIDEND_CHANNELS);

        let mut pooled = vec![0.0f32; POOLED];
        for c in 0..MIDEND_CHANNELS {
            let column = (0..PATCH_FRAMES).map(|t| features[t * MIDEND_CHANNELS + c]);
            let (max, sum) = column.fold((f32::NEG_INFINITY, 0.0f32), |(m, s), x| (m.max(x), s + x));
            pooled[2 * c] = self.pool_norm.apply(2 * c, max);
            pooled[2 * c + 1] = self.pool_norm.apply(2 * c + 1, sum / PATCH_FRAMES as f32);
        }
        let penultimate: Vec<f32> = self
            .dense
            .apply(&pooled)
            .into_iter()
            .enumerate()
            .map(|(c, x)| self.dense_norm.apply(c, x.max(0.0)))
            .collect();
        let tags = self.logits.apply(&penultimate).into_iter().map(|x| 1.0 / (1.0 + (-x).exp())).collect();
        PatchOutput { penultimate, tags }
    }
}

/// Copies channels `from..from + width` of `features` (rows `row_len` long) into `padded` with
/// `TIME_KERNEL / 2` zero frames before and after.
fn pad_time(features: &[f32], row_len: usize, from: usize, width: usize, padded: &mut Vec<f32>) {
    let pad = TIME_KERNEL / 2;
    padded.clear();
    padded.resize((PATCH_FRAMES + 2 * pad) * width, 0.0);
    for t in 0..PATCH_FRAMES {
        let src = &features[t * row_len + from..t * row_len + from + width];
        padded[(t + pad) * width..(t + pad + 1) * width].copy_from_slice(src);
    }
}

/// A `TIME_KERNEL x width` convolution over the (time-padded) spectrogram, then the max over
/// frequency, into `features[t, channel..]`.
fn timbral_block(block: &ConvBlock, width: usize, input: &[f32], buffers: &mut Buffers, features: &mut [f32], channel: usize) {
    let Buffers { padded, columns, product } = buffers;
    pad_time(input, N_MELS, 0, N_MELS, padded);
    let positions = N_MELS - width + 1;
    let rows = PATCH_FRAMES * positions;
    columns.clear();
    columns.reserve(rows * block.inputs);
    for t in 0..PATCH_FRAMES {
        for f in 0..positions {
            for dt in 0..TIME_KERNEL {
                let start = (t + dt) * N_MELS + f;
                columns.extend_from_slice(&padded[start..start + width]);
            }
        }
    }
    block.product(columns, rows, block.inputs, product);
    max_over_frequency(block, product, positions, |row| row / positions, features, channel);
}

/// A `length x 1` convolution along time with TF's "same" padding, then the max over
/// frequency, into `features[t, channel..]`.
fn temporal_block(block: &ConvBlock, length: usize, input: &[f32], buffers: &mut Buffers, features: &mut [f32], channel: usize) {
    let Buffers { padded, columns, product } = buffers;
    let before = (length - 1) / 2;
    let span = PATCH_FRAMES + length - 1;
    // Frequency-major, so that each output's window is a contiguous run of time.
    padded.clear();
    padded.resize(N_MELS * span, 0.0);
    for t in 0..PATCH_FRAMES {
        for f in 0..N_MELS {
            padded[f * span + before + t] = input[t * N_MELS + f];
        }
    }
    columns.clear();
    columns.reserve(N_MELS * PATCH_FRAMES * length);
    for f in 0..N_MELS {
        for t in 0..PATCH_FRAMES {
            columns.extend_from_slice(&padded[f * span + t..f * span + t + length]);
        }
    }
    block.product(columns, N_MELS * PATCH_FRAMES, length, product);
    max_over_frequency(block, product, N_MELS, |row| row % PATCH_FRAMES, features, channel);
}

/// For every frame and filter, the max over `positions` frequency positions of the activated
/// product (`frame_of(row)` gives a product row's frame), into `features[t, channel + c]`.
///
/// The activation `relu(x + bias)` then batch norm is monotone in `x`: increasing where the
/// norm's scale is positive, decreasing where it is negative. So the max of the activated values
/// is the activation of the raw max (or of the raw min), exactly, which leaves one comparison per
/// product value and one activation per frame and filter.
fn max_over_frequency(
    block: &ConvBlock,
    product: &[f32],
    positions: usize,
    frame_of: impl Fn(usize) -> usize,
    features: &mut [f32],
    channel: usize,
) {
    let n = block.outputs;
    let mut highest = vec![f32::NEG_INFINITY; PATCH_FRAMES * n];
    let mut lowest = vec![f32::INFINITY; PATCH_FRAMES * n];
    for (r, row) in product.chunks_exact(n).take(PATCH_FRAMES * positions).enumerate() {
        let t = frame_of(r);
        for ((h, l), x) in highest[t * n..(t + 1) * n].iter_mut().zip(&mut lowest[t * n..(t + 1) * n]).zip(row) {
            *h = h.max(*x);
            *l = l.min(*x);
        }
    }
    for t in 0..PATCH_FRAMES {
        let out = &mut features[t * MIDEND_CHANNELS + channel..t * MIDEND_CHANNELS + channel + n];
        for (c, o) in out.iter_mut().enumerate() {
            let extreme = if block.norm.scale[c] >= 0.0 { highest[t * n + c] } else { lowest[t * n + c] };
            *o = block.activate(c, extreme);
        }
    }
}
