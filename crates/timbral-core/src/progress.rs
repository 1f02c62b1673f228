//! Progress bars that honour `--quiet`. The binary calls [`set_quiet`] once; library code asks
//! for bars here and never decides on its own whether to draw.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use indicatif::ProgressBar;
use indicatif::{ProgressDrawTarget, ProgressStyle};

static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A bar of `len` steps with a message and an ETA; hidden when quiet.
pub fn bar(len: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), draw_target());
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>12} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar.set_message(message.to_string());
    bar
}

/// A spinner for work of unknown length; hidden when quiet.
pub fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, draw_target());
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn draw_target() -> ProgressDrawTarget {
    if is_quiet() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    }
}

/// Wall seconds per step of a stage, each from the end of the previous one (or given, for a
/// step that ran beside others), logged at debug level as they close.
#[derive(Debug)]
pub struct Stopwatch {
    last: std::time::Instant,
    laps: Vec<(&'static str, f64)>,
}

impl Default for Stopwatch {
    fn default() -> Self {
        Stopwatch::new()
    }
}

impl Stopwatch {
    pub fn new() -> Self {
        Stopwatch { last: std::time::Instant::now(), laps: Vec::new() }
    }

    /// Closes step `step` and returns its seconds.
    pub fn lap(&mut self, step: &'static str) -> f64 {
        let seconds = self.last.elapsed().as_secs_f64();
        self.record(step, seconds);
        seconds
    }

    /// Records a step that ran beside others with its own duration, and restarts the lap.
    pub fn record(&mut self, step: &'static str, seconds: f64) {
        tracing::debug!(step, seconds, "step done");
        self.laps.push((step, seconds));
        self.last = std::time::Instant::now();
    }

    /// The steps so far, in order.
    pub fn into_laps(self) -> Vec<(&'static str, f64)> {
        self.laps
    }
}
