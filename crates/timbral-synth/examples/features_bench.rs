//! Benchmark driver without the CLI: `timbral synth` then `timbral features` (both sets) in one
//! workdir, printing wall times. Peak memory comes from running it under `/usr/bin/time -v`
//! (see bench/features_bench.sh, which prefers the release binary).
//!
//!   cargo run --release -p timbral-synth --example features_bench -- DIR SONGS [synth|seed|extended]

use std::time::Instant;

use timbral_core::Workdir;
use timbral_features::{FeatureSet, compute_features};
use timbral_synth::{ParamGuard, SynthParams, synthesize};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(songs)) = (args.get(1), args.get(2)) else {
        return Err("usage: features_bench DIR SONGS [synth|seed|extended]".into());
    };
    let songs: usize = songs.parse()?;
    let workdir = Workdir::new(dir);
    let step = args.get(3).map(String::as_str).unwrap_or("all");
    if step == "all" || step == "synth" {
        let started = Instant::now();
        let summary = synthesize(&workdir, &SynthParams::new(songs, songs * 7 / 10).seed(42).check()?)?;
        println!(
            "synth: {} songs, {} segments in {:.1} s",
            summary.songs,
            summary.segments,
            started.elapsed().as_secs_f64()
        );
    }
    for set in FeatureSet::ALL {
        if step == "all" || step == set.name() {
            let started = Instant::now();
            let summary = compute_features(&workdir, set)?;
            println!(
                "features {set}: {} tracks x {} columns from {} segments in {:.1} s",
                summary.tracks,
                summary.columns,
                summary.segments,
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}
