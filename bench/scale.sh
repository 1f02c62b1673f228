#!/usr/bin/env bash
# The catalogue-scale benchmark (issue 12): from the features table on, every stage one by one.
# See bench/README-scale.md.
#
#   bench/scale.sh SONGS [ARTISTS] [--python]   # one size (ARTISTS default: SONGS / 5)
#   bench/scale.sh --standard [--python]        # 13000/9000, 100000/20000, 1000000/100000
#
# For each size: `timbral synth --level features` into a fresh workdir (not counted in the
# total), then `timbral cluster --timings`, `similarity`, `eval` and `report`, each under
# `/usr/bin/time -v`; prints per-step seconds and peak RSS, the total, and cluster's own steps.
# --python also runs the Python reference stack (bench/cluster_vs_python.sh, umap-learn with
# pynndescent, scikit-learn, hdbscan) on the same features at 100,000 songs (or at the one
# size asked for) and prints timbral / Python for the cluster stage.
#
# Environment: SEED (default 42), KEEP_WORKDIR=1 to keep the workdirs, TMPDIR for where they go
# (1M songs need about 2 GB), GENRES=N for synth's genre count (default 16), WORKDIR=DIR to reuse one size's workdir from an earlier
# `KEEP_WORKDIR=1` run (its synth step is skipped), and what bench/cluster_vs_python.sh reads
# (HDBSCAN_IMPL, PASSES).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
seed="${SEED:-42}"
timbral="$root/target/release/timbral"

usage() {
    echo "usage: $0 SONGS [ARTISTS] [--python] | --standard [--python]" >&2
    exit 2
}

sizes=()
python=0
standard=0
positional=()
for arg in "$@"; do
    case "$arg" in
        --python) python=1 ;;
        --standard) standard=1 ;;
        -h|--help) usage ;;
        *) positional+=("$arg") ;;
    esac
done
if [[ $standard == 1 ]]; then
    [[ ${#positional[@]} == 0 ]] || usage
    sizes=("13000 9000" "100000 20000" "1000000 100000")
    python_size=100000
else
    [[ ${#positional[@]} == 1 || ${#positional[@]} == 2 ]] || usage
    songs="${positional[0]}"
    sizes=("$songs ${positional[1]:-$(( songs / 5 ))}")
    python_size="$songs"
fi

if [[ ! -x /usr/bin/time ]]; then
    echo "== installing GNU time (apt)" >&2
    apt-get update -qq >&2 && apt-get install -y -qq time >&2
fi

echo "== building timbral (release)" >&2
(cd "$root" && cargo build --release --quiet --bin timbral) >&2

cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT

# measure LOG STDOUT CMD...: runs CMD under /usr/bin/time -v; LOG gets its report, STDOUT
# the command's output and STDOUT with .err for .out its log.
measure() {
    local log="$1" stdout="$2"
    shift 2
    /usr/bin/time -v -o "$log" "$@" > "$stdout" 2> "${stdout%.out}.err"
}

# seconds LOG / peak_mb LOG: wall time and maximum resident set size from a time -v report.
seconds() {
    sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'
}
peak_mb() {
    sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" | awk '{ printf "%.0f", $1 / 1024 }'
}

for size in "${sizes[@]}"; do
    read -r songs artists <<< "$size"
    if [[ -n "${WORKDIR:-}" ]]; then
        work="$WORKDIR"
        logs="$work/bench"
        [[ -f "$logs/synth.time" ]] || { echo "$work holds no earlier synth run" >&2; exit 2; }
        echo "== $songs songs / $artists artists in $work (reused)" >&2
    else
        work="$(mktemp -d "${TMPDIR:-/tmp}/timbral-scale-$songs.XXXXXX")"
        [[ "${KEEP_WORKDIR:-0}" == 1 ]] || cleanup+=("$work")
        logs="$work/bench"
        mkdir -p "$logs"
        echo "== $songs songs / $artists artists in $work" >&2
        measure "$logs/synth.time" "$logs/synth.out" \
            "$timbral" --seed "$seed" --workdir "$work" synth --level features \
            --songs "$songs" --artists "$artists" ${GENRES:+--genres "$GENRES"}
        cat "$logs/synth.out" >&2
    fi
    steps=(cluster similarity eval report)
    for step in "${steps[@]}"; do
        echo "-- timbral $step" >&2
        extra=()
        [[ $step == cluster ]] && extra=(--timings)
        RUST_LOG="${RUST_LOG:-info,timbral_cluster::umap=debug}" measure "$logs/$step.time" "$logs/$step.out" \
            "$timbral" --seed "$seed" --workdir "$work" "$step" "${extra[@]}"
    done

    echo
    echo "## $songs songs, $artists artists (seed $seed, $(nproc) cores)"
    echo
    echo "| step | seconds | peak RSS (MB) |"
    echo "|---|---:|---:|"
    printf '| synth --level features (not in total) | %s | %s |\n' \
        "$(seconds "$logs/synth.time")" "$(peak_mb "$logs/synth.time")"
    total=0
    peak=0
    for step in "${steps[@]}"; do
        s="$(seconds "$logs/$step.time")"
        m="$(peak_mb "$logs/$step.time")"
        printf '| %s | %s | %s |\n' "$step" "$s" "$m"
        total="$(awk -v a="$total" -v b="$s" 'BEGIN { printf "%.2f", a + b }')"
        if (( m > peak )); then peak="$m"; fi
    done
    printf '| **cluster -> report** | **%s** | **%s** (max) |\n' "$total" "$peak"
    echo
    echo "timbral cluster --timings:"
    grep '^timing ' "$logs/cluster.out" | sed 's/^/    /'
    echo
    echo "UMAP fits, similarity and eval steps (their logs):"
    grep -h 'UMAP .*fitted' "$logs/cluster.err" | sed 's/^/    /' || true
    grep -h 'secs=' "$logs/similarity.err" "$logs/eval.err" | sed 's/^/    /' || true

    if [[ $python == 1 && $songs == "$python_size" ]]; then
        echo
        echo "== Python reference on the same features ($songs songs)" >&2
        TIMBRAL_TIMINGS="$logs/cluster.out" "$here/cluster_vs_python.sh" "$work"
    fi
done
