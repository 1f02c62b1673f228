#!/usr/bin/env bash
# Spark ingest (analysis + features as Spark tasks) against `timbral ingest audio --jobs N` +
# `timbral features` on the same audio: songs per second of each, and the cluster's start time.
#
#   bench/spark_ingest.sh [AUDIO_DIR]     # default: the development corpus in /tmp/dev-audio
#
# Environment: PYTHON (an interpreter with timbral and pyspark; default .venv-py/bin/python),
# TIMBRAL_BIN (default target/debug/timbral: the profile the wheel is built with, so both sides
# run the same optimisation levels), MASTER (default local-cluster[2,1,1024]: 2 executor JVMs of
# 1 core), JOBS (default 2, the CLI's --jobs), PARTITIONS (default: the job's own choice).
set -euo pipefail
cd "$(dirname "$0")/.."
AUDIO=${1:-/tmp/dev-audio}
PYTHON=${PYTHON:-.venv-py/bin/python}
BIN=${TIMBRAL_BIN:-target/debug/timbral}
MASTER=${MASTER:-local-cluster[2,1,1024]}
JOBS=${JOBS:-2}
[ -d "$AUDIO" ] || ../shared/scripts/fetch-dev-audio "$AUDIO"
META=()
[ -f "$AUDIO/METADATA.csv" ] && META=(--metadata "$AUDIO/METADATA.csv")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

start=$(date +%s.%N)
"$BIN" --quiet --workdir "$WORK/cli" ingest audio "$AUDIO" "${META[@]}" --jobs "$JOBS"
"$BIN" --quiet --workdir "$WORK/cli" features
cli=$(echo "$(date +%s.%N) - $start" | bc)
songs=$("$BIN" --workdir "$WORK/cli" sql "SELECT count(*) AS n FROM features" --format csv | tail -1)

"$PYTHON" - "$MASTER" "$AUDIO" "$WORK/spark" "${PARTITIONS:-0}" "${META[@]}" <<'EOF' > "$WORK/spark.txt"
import sys, time
import pyarrow.dataset as ds
import timbral.spark as ts
master, audio, workdir, partitions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
metadata = sys.argv[6] if len(sys.argv) > 6 else None
t = time.time()
spark = ts.session(master, progress=False)
spark.sparkContext.setLogLevel("ERROR")
# One trivial job so executor start-up counts as cluster start, not as ingest.
spark.range(2, numPartitions=2).count()
started = time.time() - t
t = time.time()
ts.ingest(spark, [audio], workdir, metadata, partitions=partitions or None).unpersist()
seconds = time.time() - t
spark.stop()
print(started, seconds, ds.dataset(f"{workdir}/data/processed/features.parquet").count_rows())
EOF
read -r started spark spark_songs < "$WORK/spark.txt"
[ "$songs" = "$spark_songs" ] || { echo "songs differ: CLI $songs, Spark $spark_songs" >&2; exit 1; }
printf '| what | songs | seconds | songs/s |\n|---|---:|---:|---:|\n'
printf '| timbral ingest audio --jobs %s + features | %s | %.1f | %.2f |\n' "$JOBS" "$songs" "$cli" "$(echo "$songs / $cli" | bc -l)"
printf '| timbral.spark ingest on %s (cluster started beforehand) | %s | %.1f | %.2f |\n' "$MASTER" "$songs" "$spark" "$(echo "$songs / $spark" | bc -l)"
printf '| cluster start (session + first executor task) | | %.1f | |\n' "$started"
