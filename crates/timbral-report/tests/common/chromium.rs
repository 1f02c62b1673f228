//! Headless Chromium (Debian's `chromium`), for the browser tests and the explorer benchmark:
//! found on PATH or through `$TIMBRAL_CHROMIUM`, run with a fresh profile, no network
//! services and software WebGL (SwiftShader).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const CANDIDATES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];
const TIME_LIMIT: Duration = Duration::from_secs(180);

pub fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TIMBRAL_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| CANDIDATES.iter().map(move |c| dir.join(c)))
        .find(|p| p.is_file())
}

/// The `file://` URL of `page` with `fragment` (already percent-encoded) after `#`.
pub fn file_url(page: &Path, fragment: &str) -> String {
    let page = page.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", page.display()));
    if fragment.is_empty() { format!("file://{}", page.display()) } else { format!("file://{}#{fragment}", page.display()) }
}

/// Runs Chromium headless with `args` on `url`, returning (stdout, stderr).
pub fn run(binary: &Path, profile: &Path, args: &[String], url: &str) -> (String, String) {
    let mut child = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--use-angle=swiftshader",
            "--enable-unsafe-swiftshader",
            // Without these, Chromium waits on services the closed network never answers.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
    // Read both pipes while waiting, so that a large DOM cannot fill a pipe and stall Chromium.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).map(|_| text)
    });
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            panic!("chromium did not finish within {TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (out.join().unwrap().unwrap_or_default(), err.join().unwrap().unwrap_or_default())
}

/// Console messages Chromium logged for the page (`INFO:CONSOLE(..)` lines and the like).
pub fn console_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught")).collect()
}
