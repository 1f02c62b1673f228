//! Streaming decode with symphonia: packet by packet, downmixed to mono and resampled on the
//! fly, so only the analysis-rate mono `f32` signal is ever held in memory.

use std::io::ErrorKind;
use std::path::Path;

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::TrackType;

use crate::{AnalyzerConfig, Deadline, Tags};
use crate::error::AudioError;
use crate::probe::{corrupt, open_format, unsupported};
use crate::resample::StreamResampler;
use crate::tags::absorb_pending_metadata;

/// Packets that fail to decode are skipped, but past this share of all packets the file is
/// reported corrupt rather than analysed with holes.
const MAX_BAD_PACKET_SHARE: f64 = 0.01;
/// A handful of bad packets is tolerated regardless of the share (e.g. a damaged first frame).
const MAX_BAD_PACKETS_ALWAYS_OK: usize = 3;

/// A decoded file: tags plus the mono signal at the requested rate.
pub(crate) struct DecodedAudio {
    pub tags: Tags,
    pub samples: Vec<f32>,
}

/// Decode `path` to mono at `cfg.sample_rate`, within `cfg.max_duration_s` and the deadline.
pub(crate) fn decode_mono(
    path: &Path,
    cfg: &AnalyzerConfig,
    deadline: &Deadline,
) -> Result<DecodedAudio, AudioError> {
    let target_rate = cfg.sample_rate;
    let max_samples = (cfg.max_duration_s * f64::from(target_rate)) as usize;
    let mut format = open_format(path)?;
    let mut tags = Tags::default();
    absorb_pending_metadata(format.as_mut(), &mut tags);

    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(|| unsupported(path, "no audio track"))?;
    let track_id = track.id;
    let expected_frames = track.num_frames;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| unsupported(path, "track has no audio codec parameters"))?;
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(|e| unsupported(path, &format!("no decoder for this codec ({e})")))?;

    let mut resampler: Option<(u32, StreamResampler)> = None;
    let mut planes: Vec<Vec<f32>> = Vec::new();
    let mut mono: Vec<f32> = Vec::new();
    let mut samples: Vec<f32> = Vec::new();
    if let Some(frames) = expected_frames {
        // Pre-size from the header, but never trust it for more than ~2 h of audio.
        let rate = params.sample_rate.unwrap_or(target_rate).max(1);
        let estimate = frames.min(2 * 3600 * u64::from(rate)) as f64 * f64::from(target_rate)
            / f64::from(rate);
        samples.reserve((estimate as usize).min(max_samples) + 1);
    }
    let (mut packets, mut bad_packets, mut decoded_frames) = (0usize, 0usize, 0u64);

    loop {
        deadline.check(path)?;
        if samples.len() > max_samples {
            return Err(AudioError::TooLong {
                path: path.to_path_buf(),
                max_seconds: cfg.max_duration_s,
            });
        }
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // A new logical stream (chained Ogg) — the song we were decoding is complete.
            Err(SymphoniaError::ResetRequired) => break,
            Err(SymphoniaError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => {
                return Err(corrupt(
                    path,
                    format!("truncated: stream ends inside a packet after {decoded_frames} frames"),
                ));
            }
            Err(e) => return Err(corrupt(path, format!("cannot read packet {packets}: {e}"))),
        };
        if packet.track_id != track_id {
            continue;
        }
        packets += 1;
        let buffer = match decoder.decode(&packet) {
            Ok(buffer) => buffer,
            Err(SymphoniaError::DecodeError(msg)) => {
                bad_packets += 1;
                tracing::debug!(path = %path.display(), packet = packets, "skipping undecodable packet: {msg}");
                continue;
            }
            Err(SymphoniaError::IoError(e)) => {
                bad_packets += 1;
                tracing::debug!(path = %path.display(), packet = packets, "skipping packet: {e}");
                continue;
            }
            Err(SymphoniaError::Unsupported(what)) => return Err(unsupported(path, what)),
            Err(e) => {
                return Err(corrupt(
                    path,
                    format!("decoder failed at packet {packets}: {e}"),
                ));
            }
        };
        if buffer.frames() == 0 {
            continue;
        }
        let rate = buffer.spec().rate();
        buffer.copy_to_vecs_planar::<f32>(&mut planes);
        downmix(&planes, buffer.frames(), &mut mono);
        decoded_frames += buffer.frames() as u64;
        let (stream_rate, stream) = match resampler.as_mut() {
            Some(r) => r,
            None => {
                let r =
                    StreamResampler::new(rate, target_rate).map_err(|e| unsupported(path, &e))?;
                resampler.insert((rate, r))
            }
        };
        if *stream_rate != rate {
            return Err(unsupported(
                path,
                &format!("sample rate changes mid-stream ({stream_rate} -> {rate} Hz)"),
            ));
        }
        stream
            .push(&mono, &mut samples)
            .map_err(|e| corrupt(path, e))?;
    }

    if bad_packets > MAX_BAD_PACKETS_ALWAYS_OK
        && bad_packets as f64 > MAX_BAD_PACKET_SHARE * packets as f64
    {
        return Err(corrupt(
            path,
            format!("{bad_packets} of {packets} packets could not be decoded"),
        ));
    }
    if let Some((_, stream)) = resampler.as_mut() {
        stream.finish(&mut samples).map_err(|e| corrupt(path, e))?;
    }
    if decoded_frames == 0 {
        return Err(corrupt(
            path,
            format!("no audio could be decoded ({packets} packets read)"),
        ));
    }
    // Tags may also arrive mid-stream (e.g. Ogg chained comment updates).
    absorb_pending_metadata(format.as_mut(), &mut tags);
    samples.shrink_to_fit();
    Ok(DecodedAudio { tags, samples })
}

/// Average all channels into `mono` (resized to `frames`).
fn downmix(planes: &[Vec<f32>], frames: usize, mono: &mut Vec<f32>) {
    mono.clear();
    mono.resize(frames, 0.0);
    if planes.is_empty() {
        return;
    }
    for plane in planes {
        for (m, s) in mono.iter_mut().zip(plane) {
            *m += *s;
        }
    }
    let scale = 1.0 / planes.len() as f32;
    mono.iter_mut().for_each(|m| *m *= scale);
}
