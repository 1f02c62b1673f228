#!/usr/bin/env bash
# Times the similarity stage and the interactive look-ups on synthetic data shaped like the
# study's catalogue (default 13000 songs, 9000 artists), built by the real pipeline
# (synth -> features -> cluster).
#   usage: bench/similarity.sh [SONGS] [ARTISTS]
# Targets (issue 7): `similarity` < 60 s; `recommend` and `artists` < 1 s each.
set -euo pipefail
cd "$(dirname "$0")/.."
songs=${1:-13000}
artists=${2:-9000}
cargo build --release --quiet --bin timbral
bin=$PWD/target/release/timbral
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
t() { /usr/bin/time -f "%e s, peak %M KiB" "$@"; }
echo "preparing $songs songs / $artists artists (synth, features, cluster; not timed here)"
"$bin" --quiet --workdir "$work" synth --songs "$songs" --artists "$artists"
"$bin" --quiet --workdir "$work" features
"$bin" --quiet --workdir "$work" cluster --stability-seeds 1

printf 'similarity (umap):     '; t "$bin" --quiet --workdir "$work" similarity 2>&1 >/dev/null
# A song and an artist to look up, read from the tables just written.
pick() { "$bin" --quiet --workdir "$work" sql "$1" --format csv | sed -n 2p; }
track=$(pick "SELECT track_id FROM tracks ORDER BY track_id LIMIT 1 OFFSET $((songs / 2))")
artist=$(pick "SELECT artist_name FROM tracks ORDER BY track_id LIMIT 1 OFFSET $((songs / 3))")
printf 'recommend %s:  ' "$track"; t "$bin" --quiet --workdir "$work" recommend "$track" -k 10 2>&1 >/dev/null
printf 'recommend --other-artists --same-cluster: '
t "$bin" --quiet --workdir "$work" recommend "$track" -k 10 --other-artists --same-cluster 2>&1 >/dev/null
printf 'artists "%s": ' "$artist"; t "$bin" --quiet --workdir "$work" artists "$artist" -n 10 2>&1 >/dev/null
printf 'eval:                  '; t "$bin" --quiet --workdir "$work" eval 2>&1 >/dev/null
printf 'similarity (features): '; t "$bin" --quiet --workdir "$work" similarity --space features 2>&1 >/dev/null
