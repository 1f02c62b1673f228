//! One writer per workdir: `data/.timbral.lock`, held with an OS file lock (`flock`) for the
//! life of a writing command. The kernel releases the lock when its process ends, however it
//! ends, so a lock file left by a killed run is stale by construction and the next run takes it
//! over. The file's text names the holder (pid, command, start time) for the message a second
//! writer gets.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::workdir::Workdir;

/// A held workdir lock; dropping it releases the lock.
#[derive(Debug)]
pub struct WorkdirLock {
    file: File,
    path: PathBuf,
}

/// What to do when another process holds the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenHeld {
    /// Fail at once with a message naming the holder.
    Fail,
    /// Block until the holder finishes.
    Wait,
}

impl WorkdirLock {
    /// Takes the lock of `workdir` for `command` (shown to a second writer).
    pub fn acquire(workdir: &Workdir, command: &str, when_held: WhenHeld) -> Result<WorkdirLock> {
        let path = workdir.lock_path();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = read_holder(&mut file);
                if when_held == WhenHeld::Fail {
                    return Err(Error::WorkdirBusy { workdir: workdir.root().to_path_buf(), holder });
                }
                tracing::info!("waiting for the workdir lock held by {holder}");
                file.lock().map_err(|e| Error::io(&path, e))?;
            }
            Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        let previous = read_holder(&mut file);
        if !previous.is_empty() {
            tracing::info!("taking over the workdir lock left by {previous}, which is no longer running");
        }
        let mut lock = WorkdirLock { file, path };
        lock.write_holder(command)?;
        Ok(lock)
    }

    fn write_holder(&mut self, command: &str) -> Result<()> {
        let text = format!(
            "pid {} (`timbral {command}`, since {})\n",
            std::process::id(),
            crate::errors_log::utc_timestamp()
        );
        let io_err = |e| Error::io(&self.path, e);
        self.file.set_len(0).map_err(io_err)?;
        self.file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        self.file.write_all(text.as_bytes()).map_err(io_err)?;
        self.file.sync_data().map_err(io_err)
    }
}

impl Drop for WorkdirLock {
    fn drop(&mut self) {
        // Cleared so the next holder does not report a stale take-over; the kernel drops the lock.
        let _ = self.file.set_len(0);
    }
}

/// The holder's description, or empty when the file holds none.
fn read_holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0)).and_then(|_| file.read_to_string(&mut text));
    text.trim().to_string()
}
