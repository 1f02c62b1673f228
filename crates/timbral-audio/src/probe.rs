//! Opening a file and probing its container: the first step of both decoding and tag reading.

use std::fs::File;
use std::io::ErrorKind;
use std::path::Path;

use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use crate::error::AudioError;

/// Open `path` and probe its container, mapping every failure to a specific [`AudioError`].
pub(crate) fn open_format(path: &Path) -> Result<Box<dyn FormatReader>, AudioError> {
    let io_err = |source| AudioError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if meta.len() == 0 {
        return Err(AudioError::Empty {
            path: path.to_path_buf(),
        });
    }
    let file = File::open(path).map_err(io_err)?;
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    symphonia::default::get_probe()
        .probe(
            &hint,
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymphoniaError::DecodeError(msg) => {
                corrupt(path, format!("malformed container: {msg}"))
            }
            SymphoniaError::IoError(source) if source.kind() != ErrorKind::UnexpectedEof => {
                AudioError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
            // Running out of bytes while probing a file that starts like audio = truncated.
            SymphoniaError::IoError(_) if looks_like_audio(path) => corrupt(
                path,
                "truncated: file ends inside the container headers".to_string(),
            ),
            other => AudioError::Unsupported {
                path: path.to_path_buf(),
                reason: format!("no known audio container recognised ({other})"),
            },
        })
}

/// Whether the file starts with the signature of a container this crate decodes.
fn looks_like_audio(path: &Path) -> bool {
    let mut head = [0u8; 12];
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let Ok(n) = std::io::Read::read(&mut file, &mut head) else {
        return false;
    };
    let head = &head[..n];
    let starts = |magic: &[u8]| head.starts_with(magic);
    starts(b"OggS")
        || starts(b"fLaC")
        || starts(b"ID3")
        || (starts(b"RIFF") && head.get(8..12) == Some(b"WAVE"))
        || (starts(b"FORM") && head.get(8..12).is_some_and(|f| f == b"AIFF" || f == b"AIFC"))
        || head.get(4..8) == Some(b"ftyp")
        || head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) // Matroska / WebM
        || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0) // MPEG audio frame sync
}

pub(crate) fn corrupt(path: &Path, reason: String) -> AudioError {
    AudioError::Corrupt {
        path: path.to_path_buf(),
        reason,
    }
}

pub(crate) fn unsupported(path: &Path, reason: &str) -> AudioError {
    AudioError::Unsupported {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}
