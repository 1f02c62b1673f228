#!/usr/bin/env bash
# Benchmark `timbral cluster` against the Python stack (scikit-learn, umap-learn, hdbscan) on
# the same features.parquet, and print per-step timings (Python warm and cold) and quality
# side by side. See bench/README-cluster.md.
#
#   bench/cluster_vs_python.sh WORKDIR          # WORKDIR holds data/processed/features.parquet
#   bench/cluster_vs_python.sh --synth 13000    # makes one: timbral synth --level features
#
# Environment: SEED (default 42), KEEP_WORKDIR=1 to keep a --synth workdir, HDBSCAN_IMPL=hdbscan
# (default, the hdbscan package) or sklearn (sklearn.cluster.HDBSCAN), PASSES=2 (cold then warm)
# or 1 (cold only), TIMBRAL_TIMINGS=FILE to reuse the `timbral cluster --timings` output of a run
# already made on WORKDIR (bench/scale.sh --python does) instead of running the stage again.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
seed="${SEED:-42}"
venv="$here/.venv"
timbral="$root/target/release/timbral"
cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT

if [[ $# -lt 1 ]]; then
    echo "usage: $0 WORKDIR | --synth SONGS" >&2
    exit 2
fi

echo "== building timbral (release)" >&2
(cd "$root" && cargo build --release --bin timbral) >&2

if [[ "$1" == "--synth" ]]; then
    songs="${2:?--synth needs a number of songs}"
    workdir="$(mktemp -d "${TMPDIR:-/tmp}/timbral-cluster-bench.XXXXXX")"
    [[ "${KEEP_WORKDIR:-0}" == 1 ]] || cleanup+=("$workdir")
    artists=$(( songs * 9 / 13 ))
    echo "== synthesising $songs songs into $workdir" >&2
    "$timbral" --quiet --seed "$seed" --workdir "$workdir" synth --level features \
        --songs "$songs" --artists "$artists"
else
    workdir="$1"
fi
features="$workdir/data/processed/features.parquet"
[[ -f "$features" ]] || { echo "no $features; run timbral features first" >&2; exit 1; }

if [[ ! -x "$venv/bin/python" ]]; then
    echo "== creating $venv" >&2
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet pandas pyarrow scikit-learn umap-learn pynndescent hdbscan >&2

out="$(mktemp -d "${TMPDIR:-/tmp}/timbral-cluster-bench-out.XXXXXX")"
cleanup+=("$out")

echo "== Python reference (cold pass then warm pass)" >&2
"$venv/bin/python" "$here/cluster_reference.py" run --features "$features" --seed "$seed" \
    --hdbscan-impl "${HDBSCAN_IMPL:-hdbscan}" --passes "${PASSES:-2}" \
    --out "$out/python.json" --labels "$out/python_labels.parquet"

if [[ -n "${TIMBRAL_TIMINGS:-}" ]]; then
    cp "$TIMBRAL_TIMINGS" "$out/timbral_timings.txt"
else
    echo "== timbral cluster" >&2
    "$timbral" --quiet --seed "$seed" --workdir "$workdir" cluster --timings > "$out/timbral_timings.txt"
fi

"$venv/bin/python" "$here/cluster_reference.py" compare --python "$out/python.json" \
    --labels "$out/python_labels.parquet" --timbral-processed "$workdir/data/processed" \
    --timbral-timings "$out/timbral_timings.txt"
