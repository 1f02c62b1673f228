//! Parquet and small-file I/O. Every write is atomic: it goes to a temporary file in the
//! destination directory, is flushed to disk, and is then renamed over the destination, so a
//! killed run leaves either the old table or the new one, never half of one.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, PolarsContext, Result};

pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    ParquetReader::new(file)
        .finish()
        .ctx(format!("reading {}", path.display()))
}

pub fn write_parquet_atomic(path: &Path, frame: &mut DataFrame) -> Result<()> {
    write_atomic(path, |file| {
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(frame)
            .map(|_| ())
            .map_err(|e| Error::polars(format!("writing {}", path.display()), e))
    })
}

/// Writes bytes atomically; used for HTML, JSON manifests and PNGs.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |file| file.write_all(bytes).map_err(|e| Error::io(path, e)))
}

/// Runs `write` against a temporary file next to `path`, syncs it and renames it into place.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    write(tmp.as_file_mut())?;
    // Temporary files are created owner-only; outputs are ordinary files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(path, e))?;
    }
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    if path.is_dir() {
        // A table of part files (written by Spark) is replaced by one file: move the parts
        // aside, rename the new file in, then delete them.
        let aside = tempfile::Builder::new()
            .prefix(".replaced-")
            .tempdir_in(dir)
            .map_err(|e| Error::io(dir, e))?;
        let parts = aside.path().join("parts");
        std::fs::rename(path, &parts).map_err(|e| Error::io(path, e))?;
        tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
        return Ok(());
    }
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}
