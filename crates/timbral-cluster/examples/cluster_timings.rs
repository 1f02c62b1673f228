//! Runs the cluster stage on a workdir and prints `timing <step> <seconds>` lines, like
//! `timbral cluster --timings`, without building the whole CLI:
//! `cargo run -p timbral-cluster --example cluster_timings -- WORKDIR [SEED]`.

use timbral_cluster::ParamGuard;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let workdir = args.next().ok_or("usage: cluster_timings WORKDIR [SEED]")?;
    let seed = args.next().map(|s| s.parse()).transpose()?.unwrap_or(42);
    timbral_core::progress::set_quiet(true);
    let summary = timbral_cluster::run(&timbral_core::Workdir::new(workdir), &timbral_cluster::ClusterParams::new(seed).check()?)?;
    for (step, seconds) in &summary.timings {
        println!("timing {step} {seconds:.4}");
    }
    for (metric, value) in &summary.quality {
        println!("quality {metric} {value}");
    }
    Ok(())
}
