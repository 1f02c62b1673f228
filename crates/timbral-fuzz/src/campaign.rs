//! The campaign loop: for each kind, N seeded mutations run one at a time on a worker thread
//! with a wall-time limit; each must end accepted or rejected with an error naming its input.
//! A panic is caught, its input minimised (chunks removed while the same panic persists) and
//! kept; a hang ends the kind's run (its thread cannot be stopped).

use std::path::{Path, PathBuf};
use std::cell::RefCell;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use timbral_audio::AnalyzerConfig;
use timbral_core::error::panic_message;

use crate::mutate::mutate;
use crate::targets::{Kind, Outcome, Seed};

/// Stack of the worker thread: deeply nested documents recurse in the parsers.
const WORKER_STACK: usize = 64 << 20;
/// Most runs spent minimising one panicking input.
const MINIMISE_RUNS: usize = 300;

/// Bounds on one input.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall time past which the input counts as a hang.
    pub time: Duration,
    /// The analyzer's settings for audio; its own time limit sits below `time`.
    pub analyzer: AnalyzerConfig,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            time: Duration::from_secs(20),
            analyzer: AnalyzerConfig { time_limit: Some(Duration::from_secs(10)), ..AnalyzerConfig::default() },
        }
    }
}

/// An input that broke the rules, with what happened.
#[derive(Debug, Clone)]
pub struct Finding {
    pub iteration: usize,
    /// Index of the seed it was mutated from (which file it stands for, for some kinds).
    pub seed: usize,
    /// The panic message and location, the unclear error, or the hang.
    pub what: String,
    /// The input, minimised for panics.
    pub input: Vec<u8>,
}

/// What one kind's run did.
#[derive(Debug, Clone, Default)]
pub struct KindReport {
    pub kind: &'static str,
    pub iterations: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub panics: Vec<Finding>,
    pub hangs: Vec<Finding>,
    /// Rejections whose error does not name the input.
    pub unclear: Vec<Finding>,
    pub slowest: Duration,
    pub slowest_iteration: usize,
    /// Most heap bytes live during one input, when a [`crate::alloc::PeakAlloc`] is installed.
    pub peak_bytes: usize,
}

impl KindReport {
    pub fn is_clean(&self) -> bool {
        self.panics.is_empty() && self.hangs.is_empty() && self.unclear.is_empty()
    }
}

/// How one execution ended.
enum Execution {
    Finished(Result<Outcome, String>, Duration),
    Hung,
}

thread_local! {
    /// The panic hook's record of this thread's last panic (message and location).
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Replaces the default panic output (a backtrace per caught panic) by a per-thread record.
/// A panic on a pool thread reaches the worker re-raised, without its location.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| LAST_PANIC.with(|last| *last.borrow_mut() = Some(info.to_string()))));
}

/// Runs one kind: `iterations` mutations of its seeds from `seed`, in folders under `scratch`.
pub fn run_kind(
    kind: Kind,
    iterations: usize,
    seed: u64,
    limits: &Limits,
    scratch: &Path,
    peak: Option<&crate::alloc::PeakAlloc>,
) -> std::io::Result<KindReport> {
    let seeds = Arc::new(kind.seeds()?);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ blake3_u64(kind.name()));
    let mut report = KindReport { kind: kind.name(), ..KindReport::default() };
    for iteration in 0..iterations {
        let index = rng.random_range(0..seeds.len());
        let other = &seeds[rng.random_range(0..seeds.len())].bytes;
        let input = mutate(&mut rng, kind.format(), &seeds[index].bytes, other);
        let baseline = peak.map(|p| {
            p.reset_peak();
            p.live()
        });
        let dir = scratch.join(format!("{}-{iteration}", kind.name()));
        let execution = execute(kind, input.clone(), &seeds, index, &dir, limits);
        report.iterations += 1;
        if let (Some(peak), Some(baseline)) = (peak, baseline) {
            report.peak_bytes = report.peak_bytes.max(peak.peak().saturating_sub(baseline));
        }
        match execution {
            Execution::Hung => {
                let what = format!("no result within {:.0} s", limits.time.as_secs_f64());
                report.hangs.push(Finding { iteration, seed: index, what, input });
                return Ok(report);
            }
            Execution::Finished(result, took) => {
                let _ = std::fs::remove_dir_all(&dir);
                if took > report.slowest {
                    report.slowest = took;
                    report.slowest_iteration = iteration;
                }
                match result {
                    Ok(Outcome::Accepted) => report.accepted += 1,
                    Ok(Outcome::Rejected(why)) if kind.names_its_input(&why) => report.rejected += 1,
                    Ok(Outcome::Rejected(why)) => {
                        report.rejected += 1;
                        report.unclear.push(Finding { iteration, seed: index, what: why, input });
                    }
                    Err(panic) => {
                        let minimised = minimise(kind, &input, &seeds, index, &dir, limits, &panic_location(&panic));
                        report.panics.push(Finding { iteration, seed: index, what: panic, input: minimised });
                    }
                }
            }
        }
    }
    Ok(report)
}

/// Runs `input`, standing for seed `index`, once as the campaign does: `None` for a hang,
/// `Err` with the panic's message and location for a panic.
pub fn replay(kind: Kind, input: &[u8], index: usize, scratch: &Path, limits: &Limits) -> std::io::Result<Option<Result<Outcome, String>>> {
    let seeds = Arc::new(kind.seeds()?);
    if index >= seeds.len() {
        return Err(std::io::Error::other(format!("{} has {} seeds, no seed {index}", kind.name(), seeds.len())));
    }
    Ok(match execute(kind, input.to_vec(), &seeds, index, scratch, limits) {
        Execution::Finished(result, _) => Some(result),
        Execution::Hung => None,
    })
}

/// Runs one input on a fresh worker thread, waiting at most `limits.time`.
fn execute(kind: Kind, input: Vec<u8>, seeds: &Arc<Vec<Seed>>, index: usize, dir: &Path, limits: &Limits) -> Execution {
    let (send, receive) = mpsc::channel();
    let seeds = Arc::clone(seeds);
    let dir: PathBuf = dir.to_path_buf();
    let analyzer = limits.analyzer.clone();
    let spawned = std::thread::Builder::new().name(format!("fuzz-{}", kind.name())).stack_size(WORKER_STACK).spawn(move || {
        let _ = std::fs::remove_dir_all(&dir);
        let started = Instant::now();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| kind.run(&input, &seeds, index, &dir, &analyzer)));
        let took = started.elapsed();
        let result = result.map_err(|payload| {
            LAST_PANIC.with(|last| last.borrow_mut().take()).unwrap_or_else(|| panic_message(payload.as_ref()))
        });
        let _ = send.send((result, took));
    });
    if let Err(e) = spawned {
        return Execution::Finished(Err(format!("cannot start the worker thread: {e}")), Duration::ZERO);
    }
    match receive.recv_timeout(limits.time) {
        Ok((result, took)) => Execution::Finished(result, took),
        Err(_) => Execution::Hung,
    }
}

/// `panicked at src/x.rs:1:2` of a panic hook message: what two panics must share to be one.
fn panic_location(message: &str) -> String {
    message.lines().next().unwrap_or(message).to_string()
}

/// Removes chunks of `input` (halves, quarters, ... single bytes) while the panic at `location`
/// persists, within [`MINIMISE_RUNS`] runs.
fn minimise(kind: Kind, input: &[u8], seeds: &Arc<Vec<Seed>>, index: usize, dir: &Path, limits: &Limits, location: &str) -> Vec<u8> {
    let mut best = input.to_vec();
    let mut runs = 0;
    let mut chunk = best.len() / 2;
    while chunk >= 1 && runs < MINIMISE_RUNS {
        let mut start = 0;
        while start < best.len() && runs < MINIMISE_RUNS {
            let mut candidate = best.clone();
            candidate.drain(start..(start + chunk).min(candidate.len()));
            runs += 1;
            let same_panic = matches!(
                execute(kind, candidate.clone(), seeds, index, dir, limits),
                Execution::Finished(Err(panic), _) if panic_location(&panic) == location
            );
            if same_panic {
                best = candidate;
            } else {
                start += chunk;
            }
        }
        chunk /= 2;
    }
    let _ = std::fs::remove_dir_all(dir);
    best
}

/// A stable per-kind offset of the seed, so kinds do not share a mutation sequence.
fn blake3_u64(text: &str) -> u64 {
    let hash = blake3::hash(text.as_bytes());
    u64::from_le_bytes(hash.as_bytes()[..8].try_into().unwrap_or([0; 8]))
}
