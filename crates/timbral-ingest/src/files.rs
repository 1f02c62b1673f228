//! Listing the input files of a folder-based source.

use std::path::{Path, PathBuf};

use timbral_core::{Error, Result};

/// Every file under `dir` (recursively) whose extension is `extension` (case-insensitive), in
/// path order. `what` names the files in the error when there are none.
pub fn list_by_extension(dir: &Path, extension: &str, what: &str) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Err(Error::bad_input(dir, format!("not a directory (expected a folder of .{extension} {what})")));
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::bad_input(dir, e.to_string()))?;
        let matches = entry.path().extension().is_some_and(|e| e.eq_ignore_ascii_case(extension));
        if entry.file_type().is_file() && matches {
            files.push(entry.into_path());
        }
    }
    if files.is_empty() {
        return Err(Error::NoUsableInput(format!("{}: no .{extension} {what}", dir.display())));
    }
    Ok(files)
}
