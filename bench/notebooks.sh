#!/usr/bin/env bash
# Times the notebook step of .ci/run as on a fresh machine: a new venv, `pip install -r
# notebooks/requirements.txt` from an empty pip cache, then notebooks/run-all.
#   usage: bench/notebooks.sh [WORKDIR]   (default: `timbral run` on the bundled sample, not timed)
# Target (issue 15): under 3 minutes in all.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
workdir=${1:-$scratch/workdir}
if [ $# -eq 0 ]; then
  cargo build --release --quiet --bin timbral
  target/release/timbral --quiet --workdir "$workdir" run >/dev/null
fi
now() { date +%s.%N; }
started=$(now)
python3 -m venv "$scratch/venv"
PIP_CACHE_DIR=$scratch/pip-cache "$scratch/venv/bin/pip" install --quiet -r notebooks/requirements.txt
installed=$(now)
TIMBRAL_WORKDIR=$workdir "$scratch/venv/bin/python" notebooks/run-all --output "$scratch/executed"
finished=$(now)
awk -v s="$started" -v i="$installed" -v f="$finished" 'BEGIN {
  printf "venv + pip install (cold cache): %.1f s; run-all: %.1f s; total: %.1f s\n", i - s, f - i, f - s }'
