#!/usr/bin/env bash
# musicnn in timbral (Rust, timbral-embed) against onnxruntime on the same model and patches,
# one thread each; then `timbral ingest audio --jobs 1` with and without embeddings on the
# development corpus: times real time per core, and peak memory.
#
#   bench/embed.sh [AUDIO_DIR]     # default: the development corpus in /tmp/dev-audio
#
# Environment: PATCHES (default 64) patches timed per pass; BATCH (default 1) onnxruntime's
# batch size; MAX_PATCHES (default: the CLI's) for the ingest runs; PROFILE=dev uses the debug
# build (its dependencies, analyzer and network are optimised too) instead of compiling a
# release build. Needs the Python packages
# of bench/requirements-embed.txt (installed into a venv under /tmp on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
AUDIO=${1:-/tmp/dev-audio}
PATCHES=${PATCHES:-64}
[ -d "$AUDIO" ] || ../shared/scripts/fetch-dev-audio "$AUDIO"
VENV=${VENV:-/tmp/timbral-embed-bench}
[ -x "$VENV/bin/python" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install --quiet -r bench/requirements-embed.txt; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ "${PROFILE:-release}" = dev ]; then dir=target/debug; else dir=target/release; fi
cargo build --quiet --profile "${PROFILE:-release}" --bin timbral
cargo build --quiet --profile "${PROFILE:-release}" -p timbral-embed --example patch_speed
song=$(find "$AUDIO" -name '*.ogg' | sort | head -1)
echo "patches: $PATCHES from $song"
ours=$(RAYON_NUM_THREADS=1 $dir/examples/patch_speed "$song" "$PATCHES" "$WORK/patches.npy" | sed -n 's/timbral_ms_per_patch=//p')
ref=$("$VENV/bin/python" bench/embed_reference.py --patches "$WORK/patches.npy" --n "$PATCHES" --batch "${BATCH:-1}" --threads 1 | sed -n 's/onnxruntime_ms_per_patch=//p')
echo "timbral_ms_per_patch=$ours"
echo "onnxruntime_ms_per_patch=$ref"
echo "ratio_timbral_over_onnxruntime=$(echo "scale=3; $ours / $ref" | bc)"

audio_seconds=$("$VENV/bin/python" -c "import csv,sys; print(sum(float(r['duration_s']) for r in csv.DictReader(open(sys.argv[1]))))" "$AUDIO/METADATA.csv")
ingest() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/$name.time" $dir/timbral --quiet --workdir "$WORK/$name" \
    ingest audio "$AUDIO" --metadata "$AUDIO/METADATA.csv" --jobs 1 "$@"
  read -r seconds kb < "$WORK/$name.time"
  echo "ingest_${name}_seconds=$seconds"
  echo "ingest_${name}_x_real_time_per_core=$(echo "scale=1; $audio_seconds / $seconds" | bc)"
  echo "ingest_${name}_peak_rss_mb=$((kb / 1024))"
}
echo "audio_seconds=$audio_seconds"
ingest analysis_only --no-embed
ingest with_embeddings ${MAX_PATCHES:+--max-patches "$MAX_PATCHES"}
