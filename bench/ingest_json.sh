#!/usr/bin/env bash
# Throughput of `ingest json` (parse + merge into Parquet tables) on N Spotify-sized
# audio-analysis documents (about 1,000 segments each, ~460 KB).
# Usage: bench/ingest_json.sh [N=1000]. Needs numpy (bench/.venv from cluster_vs_python.sh, or python3).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=python3; [[ -x bench/.venv/bin/python ]] && py=bench/.venv/bin/python
"$py" crates/timbral-ingest/tests/fixtures/json/make_bench_docs.py "$work/docs" "$n"
du -sh "$work/docs"
TIMBRAL_BENCH_DOCS="$work/docs" cargo test --release -p timbral-ingest --test json_throughput \
  -- --ignored --nocapture 2>&1 | grep "ingest json:"
