#!/usr/bin/env bash
# Benchmark `timbral synth` and `timbral features` (seed and extended sets): wall time and peak
# resident memory from /usr/bin/time -v, on a release build.
#
#   bench/features_bench.sh [SONGS ...]
#
# SONGS defaults to 11800 (about 10^7 segment rows; ~850 segments per song). 118000 songs give
# about 10^8 rows (~10 GB of Parquet; needs the disk space and a few minutes per step).
# Without the CLI, crates/timbral-synth/examples/features_bench.rs runs the same steps:
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

# measure LABEL CMD...: runs CMD, keeps its stdout in $work/last.out and prints one result line
# (also appended to $work/results.txt): wall time, the kernel's peak RSS (VmHWM), and the peak
# of RssAnon sampled every 0.1 s. Polars memory-maps Parquet files, so VmHWM also counts the
# file's pages cached in the mapping (reclaimable page cache, growing with the file); RssAnon
# is the heap, the memory the program actually holds.
measure() {
    local label=$1 start pid hwm=0 anon=0 now
    shift
    start=$(date +%s.%N)
    "$@" >"$work/last.out" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        now=$(awk '/^RssAnon/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
        [[ -n $now && $now -gt $anon ]] && anon=$now
        now=$(awk '/^VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
        [[ -n $now && $now -gt $hwm ]] && hwm=$now
        sleep 0.1
    done
    wait "$pid"
    printf '%-24s %11s segment rows  wall %7.1f s  peak RSS %6d MiB  peak heap (RssAnon) %6d MiB\n' \
        "$label" "$rows" "$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')" "$((hwm / 1024))" "$((anon / 1024))" \
        | tee -a "$work/results.txt"
}

echo "binary: $bin"
echo "work directory: $work ($(nproc) cores)"
for songs in "${@:-11800}"; do
    dir=$work/songs-$songs
    artists=$((songs * 7 / 10))
    rows="-"
    if [[ -f $dir/data/interim/segments.parquet ]]; then
        echo "reusing $dir"
        rows=$("$bin" --quiet --workdir "$dir" sql "SELECT count(*) AS n FROM segments" --format csv | sed -n 2p)
    else
        measure "synth ($songs songs)" "$bin" --workdir "$dir" synth --songs "$songs" --artists "$artists"
        cat "$work/last.out"
        rows=$(sed -n 's/.* \([0-9]*\) segments,.*/\1/p' "$work/last.out")
    fi
    du -h "$dir/data/interim/segments.parquet"
    measure "features --set seed" "$bin" --quiet --workdir "$dir" features --set seed
    measure "features --set extended" "$bin" --quiet --workdir "$dir" features --set extended
done
echo
cat "$work/results.txt"
