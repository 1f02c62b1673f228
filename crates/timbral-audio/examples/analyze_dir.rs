//! Analyse every audio file under a folder and print one CSV row per file, then a throughput
//! summary line on stderr (used by bench/audio_vs_librosa.py).
//!
//! Usage: analyze_dir DIR [--jobs N] [--limit N] [--segments OUT.csv]
//!   --jobs N        worker threads (default 1)
//!   --limit N       only the first N files (sorted by path)
//!   --segments OUT  also write every segment (path,start,duration,confidence,loudness_max,timbre_0..11)

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use timbral_audio::{AnalyzerConfig, TrackAnalysis, analyze_file};

const AUDIO_EXTENSIONS: [&str; 8] = ["ogg", "oga", "mp3", "flac", "wav", "m4a", "aac", "opus"];

struct Options {
    dir: PathBuf,
    jobs: usize,
    limit: Option<usize>,
    segments: Option<PathBuf>,
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut opts = Options {
        dir: PathBuf::new(),
        jobs: 1,
        limit: None,
        segments: None,
    };
    let mut dir = None;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--jobs" => {
                opts.jobs = value("--jobs")?
                    .parse()
                    .map_err(|e| format!("--jobs: {e}"))?
            }
            "--limit" => {
                opts.limit = Some(
                    value("--limit")?
                        .parse()
                        .map_err(|e| format!("--limit: {e}"))?,
                )
            }
            "--segments" => opts.segments = Some(PathBuf::from(value("--segments")?)),
            other if dir.is_none() && !other.starts_with("--") => dir = Some(PathBuf::from(other)),
            other => return Err(format!("unexpected argument {other}")),
        }
    }
    opts.dir = dir.ok_or("usage: analyze_dir DIR [--jobs N] [--limit N] [--segments OUT.csv]")?;
    Ok(opts)
}

fn collect_audio(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_audio(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Peak resident set size of this process, from /proc (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let opts = parse_args()?;
    let mut files = Vec::new();
    collect_audio(&opts.dir, &mut files)?;
    files.sort();
    if let Some(limit) = opts.limit {
        files.truncate(limit);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()?;
    let cfg = AnalyzerConfig::default();
    let started = Instant::now();
    let results: Vec<(PathBuf, Result<TrackAnalysis, String>)> = pool.install(|| {
        files
            .par_iter()
            .map(|p| {
                (
                    p.clone(),
                    analyze_file(p, &cfg)
                        .map(|(_, a)| a)
                        .map_err(|e| e.to_string()),
                )
            })
            .collect()
    });
    let wall = started.elapsed().as_secs_f64();

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "path,duration_s,segments,segments_per_s,tempo,key,mode,loudness,error"
    )?;
    let mut audio_s = 0.0;
    let mut failed = 0;
    for (path, result) in &results {
        let rel = path.strip_prefix(&opts.dir).unwrap_or(path).display();
        match result {
            Ok(a) => {
                audio_s += a.duration_s;
                writeln!(
                    out,
                    "{rel},{:.3},{},{:.3},{:.2},{},{},{:.2},",
                    a.duration_s,
                    a.segments.len(),
                    a.segments.len() as f64 / a.duration_s,
                    a.tempo,
                    a.key,
                    a.mode,
                    a.loudness
                )?;
            }
            Err(e) => {
                failed += 1;
                writeln!(out, "{rel},,,,,,,,\"{}\"", e.replace('"', "'"))?;
            }
        }
    }
    if let Some(seg_path) = &opts.segments {
        let mut w = std::io::BufWriter::new(std::fs::File::create(seg_path)?);
        let timbre_cols: Vec<String> = (0..12).map(|k| format!("timbre_{k}")).collect();
        writeln!(
            w,
            "path,start,duration,confidence,loudness_max,{}",
            timbre_cols.join(",")
        )?;
        for (path, result) in &results {
            let rel = path.strip_prefix(&opts.dir).unwrap_or(path).display();
            for s in result.iter().flat_map(|a| &a.segments) {
                let timbre: Vec<String> = s.timbre.iter().map(|v| format!("{v:.3}")).collect();
                writeln!(
                    w,
                    "{rel},{:.4},{:.4},{:.3},{:.2},{}",
                    s.start,
                    s.duration,
                    s.confidence,
                    s.loudness_max,
                    timbre.join(",")
                )?;
            }
        }
    }
    eprintln!(
        "SUMMARY files={} failed={failed} jobs={} audio_s={audio_s:.1} wall_s={wall:.3} realtime_x={:.1} per_core_x={:.1} peak_rss_mib={:.1}",
        results.len(),
        opts.jobs,
        audio_s / wall,
        audio_s / wall / opts.jobs.max(1) as f64,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    Ok(())
}
