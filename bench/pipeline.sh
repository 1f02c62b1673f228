#!/usr/bin/env bash
# Times `timbral run` stage by stage on synthetic data shaped like the study's catalogue.
#   usage: bench/pipeline.sh [SONGS] [ARTISTS]     (default: 13000 songs, 9000 artists)
# Prints the wall time of every stage from data/processed/run_manifest.json, and peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
songs=${1:-13000}
artists=${2:-9000}
cargo build --release --quiet --bin timbral
bin=target/release/timbral
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/time -f "synth: %e s, peak %M KiB" "$bin" --quiet --workdir "$work" synth --songs "$songs" --artists "$artists"
/usr/bin/time -f "run:   %e s, peak %M KiB" "$bin" --quiet --workdir "$work" run
python3 - "$work/data/processed/run_manifest.json" <<'PY'
import json, sys
stages = json.load(open(sys.argv[1]))["stages"]
print(f"{'stage':<12}{'seconds':>10}")
for name in ["ingest", "features", "cluster", "similarity", "eval", "report"]:
    if name in stages:
        print(f"{name:<12}{stages[name]['seconds']:>10.2f}")
PY
