#!/usr/bin/env bash
# Benchmark `timbral synth` and `timbral features` (seed and extended sets): wall time and peak
# resident memory from /usr/bin/time -v, on a release build.
#
#   bench/features_bench.sh [SONGS ...]
#
# SONGS defaults to 11800 (about 10^7 segment rows; ~850 segments per song). 118000 songs give
# about 10^8 rows (~10 GB of Parquet; needs the disk space and a few minutes per step).
# Without the CLI, crates/timbral-features/examples/features_bench.rs runs the same steps:
#   /usr/bin/time -v target/release/examples/features_bench DIR SONGS [synth|seed|extended]
# Environment: TIMBRAL_BIN (default target/release/timbral, built if missing),
#              BENCH_DIR (default: a new temporary directory, removed at the end unless KEEP=1).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${TIMBRAL_BIN:-$root/target/release/timbral}
if [[ ! -x $bin ]]; then
    (cd "$root" && cargo build --release --bin timbral)
fi
work=${BENCH_DIR:-$(mktemp -d)}
if [[ -z ${BENCH_DIR:-} && ${KEEP:-0} != 1 ]]; then
    trap 'rm -rf "$work"' EXIT
fi

# measure LABEL CMD...: runs CMD under /usr/bin/time -v, keeps its stdout in $work/last.out
# and prints one result line (also appended to $work/results.txt).
measure() {
    local label=$1 log wall rss
    shift
    log=$(mktemp)
    /usr/bin/time -v "$@" >"$work/last.out" 2>"$log"
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
    rm -f "$log"
    printf '%-24s %11s segment rows  wall %9s  peak RSS %6d MiB\n' \
        "$label" "$rows" "$wall" "$((rss / 1024))" | tee -a "$work/results.txt"
}

echo "binary: $bin"
echo "work directory: $work ($(nproc) cores)"
for songs in "${@:-11800}"; do
    dir=$work/songs-$songs
    artists=$((songs * 7 / 10))
    rows="-"
    measure "synth ($songs songs)" "$bin" --workdir "$dir" synth --songs "$songs" --artists "$artists"
    cat "$work/last.out"
    rows=$(sed -n 's/.* \([0-9]*\) segments,.*/\1/p' "$work/last.out")
    du -h "$dir/data/interim/segments.parquet"
    measure "features --set seed" "$bin" --quiet --workdir "$dir" features --set seed
    measure "features --set extended" "$bin" --quiet --workdir "$dir" features --set extended
done
echo
cat "$work/results.txt"
