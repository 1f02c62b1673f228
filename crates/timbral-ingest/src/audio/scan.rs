//! Finding audio files under the directories given, by extension, in a deterministic order.

use std::path::{Path, PathBuf};

use timbral_core::{Error, IngestError, Result};

/// File extensions taken as audio (compared case-insensitively). A file with one of these
/// names that is not audio becomes an `ingest_errors` row, not a crash.
pub const AUDIO_EXTENSIONS: &[&str] = &["ogg", "oga", "mp3", "flac", "wav", "m4a", "aac", "opus"];

/// One candidate audio file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioFile {
    /// The path as found: the directory given joined with [`AudioFile::relative`].
    pub path: PathBuf,
    /// The path relative to the directory given, `/`-separated: the `location` column and the
    /// key of the `--metadata` CSV, so that neither depends on where the library is mounted.
    pub relative: String,
}

impl AudioFile {
    /// File name without its extension: the title of a song that has none.
    pub fn stem(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.relative.clone())
    }

    /// Where an error about this file is reported: the path as found, so the user can open it.
    pub fn error_location(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }
}

/// True when `path` has one of the [`AUDIO_EXTENSIONS`].
pub fn is_audio_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
}

/// Every audio file under `dir`, recursively, sorted by relative path. Directory entries that
/// cannot be read are returned as errors instead of ending the scan.
pub fn find_audio_files(dir: &Path) -> Result<(Vec<AudioFile>, Vec<IngestError>)> {
    if !dir.is_dir() {
        return Err(Error::bad_input(dir, "not a directory (expected a folder of audio files)"));
    }
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(true).sort_by_file_name() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let location = err.path().unwrap_or(dir).to_string_lossy().into_owned();
                errors.push(IngestError::new("audio", location, "ingest", err.to_string()));
                continue;
            }
        };
        if !entry.file_type().is_file() || !is_audio_name(entry.path()) {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        files.push(AudioFile {
            path: entry.path().to_path_buf(),
            relative,
        });
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok((files, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_audio_recursively_case_insensitively_and_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/deep")).unwrap();
        for name in ["b/deep/z.FLAC", "a.Ogg", "b/c.mp3", "notes.txt", "b/cover.jpg", "x.opus"] {
            std::fs::write(root.join(name), b"").unwrap();
        }
        let (files, errors) = find_audio_files(root).unwrap();
        assert!(errors.is_empty());
        let relative: Vec<_> = files.iter().map(|f| f.relative.as_str()).collect();
        assert_eq!(relative, ["a.Ogg", "b/c.mp3", "b/deep/z.FLAC", "x.opus"]);
        assert_eq!(files[2].path, root.join("b/deep/z.FLAC"));
        assert_eq!(files[2].stem(), "z");
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_it() {
        let err = find_audio_files(Path::new("/no/such/music")).unwrap_err();
        assert!(err.to_string().contains("/no/such/music"), "{err}");
    }
}
