#!/usr/bin/env bash
# bench/fuzz.sh [N] [SEED]: the mutation-fuzz campaign, N inputs (default 500) per input kind,
# from SEED (default 42): audio (OGG, MP3, FLAC, WAV, M4A, Opus), saved audio-analysis JSON,
# audio features, metadata and features CSVs, Spotify API bodies, and MSD HDF5 files when
# libhdf5-dev is installed. Prints per kind: iterations, accepted, rejected, panics, hangs,
# unclear errors, the slowest iteration and the peak heap of one input; writes the inputs of
# findings to target/fuzz-findings/<kind>/ (copy them to crates/timbral-fuzz/regressions/<kind>/
# once fixed). Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-500}
seed=${2:-42}
features=()
[ -f /usr/include/hdf5/serial/hdf5.h ] && features=(--features msd)
cargo run --quiet --release -p timbral-fuzz "${features[@]}" -- --iterations "$iterations" --seed "$seed"
