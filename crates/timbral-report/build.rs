//! Records the versions of the main libraries from the workspace's Cargo.lock, so that the
//! report's Run section can list them.

use std::path::Path;

const CRATES: [&str; 8] = [
    "polars",
    "linfa",
    "manifolds-rs",
    "petal-clustering",
    "kiddo",
    "faer",
    "symphonia",
    "plotters",
];

fn main() {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    let mut found = Vec::new();
    let mut name: Option<&str> = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"'));
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take())
            && CRATES.contains(&n) && !found.iter().any(|(f, _): &(String, String)| f == n) {
                found.push((n.to_string(), v.trim_matches('"').to_string()));
            }
    }
    found.sort_by_key(|(n, _)| CRATES.iter().position(|c| c == n));
    let list: Vec<String> = found.iter().map(|(n, v)| format!("{n} {v}")).collect();
    println!("cargo:rustc-env=TIMBRAL_LIBRARY_VERSIONS={}", list.join(", "));
}
